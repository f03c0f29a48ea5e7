/**
 * `cairn ui --export FILE`: the page as one self-contained HTML file (scripts,
 * styles and the documents inlined), written atomically; an existing file is
 * replaced only with `force`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { uiSnapshot, type UiSource } from '../commands/ui.js';
import { exportedPage } from './page.js';

/** Options of {@link exportUi}: where to write (relative to the source's cwd), whether to replace a file there, how many experiments to detail. */
export interface ExportUiOptions {
  out: string;
  force?: boolean;
  maxShown?: number;
}

/** What {@link exportUi} wrote. */
export interface ExportUiResult {
  file: string;
  bytes: number;
  experiments: number;
  detailed: number;
}

/** Write the report. AlreadyExistsError when `out` exists and not `force`; UsageError when it is a folder. */
export async function exportUi(source: UiSource, options: ExportUiOptions): Promise<ExportUiResult> {
  const file = path.resolve(source.cwd, options.out);
  const there = fs.lstatSync(file, { throwIfNoEntry: false });
  if (there?.isDirectory()) throw new UsageError(`${options.out} is a folder`, { hint: 'give a file name, e.g. --export report.html' });
  if (there && !options.force) {
    throw new AlreadyExistsError(`${options.out} already exists`, { hint: 'pass --force to replace it, or choose another name' });
  }
  if (there && !there.isFile()) throw new UsageError(`${options.out} is not a regular file`, { hint: 'give a new file name' });
  const snapshot = await uiSnapshot(source, options.maxShown !== undefined ? { maxShown: options.maxShown } : {});
  const html = exportedPage({ ...snapshot, exportedAt: new Date().toISOString() });
  writeFileAtomic(file, html);
  const experiments = 'error' in snapshot.list ? 0 : snapshot.list.experiments.length;
  return { file, bytes: Buffer.byteLength(html), experiments, detailed: Object.keys(snapshot.show).length };
}
