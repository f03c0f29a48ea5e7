/**
 * Registering cairn's merge driver for pointer files: `*.cairn merge=cairn`
 * in the root `.gitattributes` (committed, so every clone asks for it) and
 * `merge.cairn.driver` in the repository's own git config (not committed:
 * git runs only drivers its user configured). The driver itself is
 * src/commands/mergeDriver.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnsafeError } from '../errors.js';
import { gitAdd, removeConfigSection, setConfig } from '../git/git.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { checkConfined } from '../trust/confine.js';
import { MAX_CONFIG_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';

export const ATTRIBUTES_LINE = '*.cairn merge=cairn';
const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));

/** The command git runs: node from PATH (no absolute node path) on this cairn's bin/cairn.js. */
export function driverCommand(bin: string = BIN): string {
  return `node '${bin.replace(/'/g, `'\\''`)}' merge-driver %O %A %B %P`;
}

export interface MergeDriverRegistration {
  /** `.gitattributes` was changed (and staged). */
  attributes: boolean;
  driver: string;
}

/**
 * The text of the root `.gitattributes` ('' when there is none). It is
 * committed input: refused (UnsafeError) when it, or a folder on the way, is
 * a symlink, or it is not a regular file. Callers check it before their first
 * write, so that init never writes `.cairn/` and then refuses here.
 */
export function readAttributesFile(root: string): string {
  checkConfined(root, '.gitattributes', 'edit .gitattributes', { leaf: true });
  const read = readUntrustedFile(path.join(root, '.gitattributes'), MAX_CONFIG_BYTES);
  if (read.kind === 'refused') {
    throw new UnsafeError(`refusing to edit .gitattributes: it ${read.why}`, { hint: 'replace it with a regular file, then run the command again' });
  }
  return read.kind === 'text' ? read.text : '';
}

/** Register the driver in the git config of the repository at `root`, and the attribute in its `.gitattributes` (staged). */
export async function registerMergeDriver(root: string): Promise<MergeDriverRegistration> {
  const file = path.join(root, '.gitattributes');
  const text = readAttributesFile(root);
  const has = text.split('\n').some((l) => l.trim() === ATTRIBUTES_LINE);
  const driver = driverCommand();
  await setConfig(root, 'merge.cairn.name', 'cairn: merge results databases, conflict on other artifacts');
  await setConfig(root, 'merge.cairn.driver', driver);
  if (!has) {
    writeFileAtomic(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${ATTRIBUTES_LINE}\n`);
    await gitAdd(root, [':(literal).gitattributes']);
  }
  return { attributes: !has, driver };
}

/** Remove the driver from the git config (the committed attribute stays: without a driver git merges pointers as text). */
export async function unregisterMergeDriver(root: string): Promise<void> {
  await removeConfigSection(root, 'merge.cairn');
}
