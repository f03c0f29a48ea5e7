/**
 * Keeping artifacts out of git: each artifact gets a `/<name>` line in the
 * `.gitignore` beside it.
 */
import path from 'node:path';
import { UnsafeError } from '../errors.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { checkConfined } from '../trust/confine.js';
import { MAX_CONFIG_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';

/** The gitignore line that ignores exactly `name` in its own folder. */
export function ignoreLine(name: string): string {
  let escaped = name.replace(/[\\*?[\]]/g, (c) => '\\' + c);
  if (/^[#!]/.test(escaped)) escaped = '\\' + escaped;
  escaped = escaped.replace(/ +$/, (spaces) => spaces.replace(/ /g, '\\ '));
  return '/' + escaped;
}

/** The `.gitignore` (repo-relative) that holds an artifact's line: the one beside it. */
export function ignoreFileOf(artifactRel: string): string {
  const dir = path.posix.dirname(artifactRel);
  return dir === '.' ? '.gitignore' : `${dir}/.gitignore`;
}

function paths(root: string, artifactRel: string): { file: string; rel: string; line: string } {
  const rel = ignoreFileOf(artifactRel);
  return { file: path.join(root, rel), rel, line: ignoreLine(path.posix.basename(artifactRel)) };
}

/**
 * Refuse, before anything is written, a `.gitignore` cairn could not edit
 * safely: one reached through a symlinked folder, or that is itself a
 * symlink, FIFO or device (its bytes would be copied into a staged file).
 */
export function checkIgnoreFile(root: string, artifactRel: string): void {
  const { file, rel } = paths(root, artifactRel);
  checkConfined(root, rel, `edit ${rel}`, { leaf: true });
  readLines(file, rel);
}

function readLines(file: string, rel: string): string[] {
  const read = readUntrustedFile(file, MAX_CONFIG_BYTES);
  if (read.kind === 'missing') return [];
  if (read.kind === 'text') return read.text.split('\n');
  throw new UnsafeError(`refusing to edit ${rel}: it ${read.why}`, {
    hint: `replace ${rel} with a regular file (or remove it) and retry`,
    data: { path: rel },
  });
}

/** Add the artifact's line; returns the `.gitignore` path (repo-relative) if it changed. */
export function ignoreArtifact(root: string, artifactRel: string): string | null {
  const { file, rel, line } = paths(root, artifactRel);
  checkConfined(root, rel, `edit ${rel}`, { leaf: true });
  const lines = readLines(file, rel);
  if (lines.includes(line)) return null;
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.push(line, '');
  writeFileAtomic(file, lines.join('\n'));
  return rel;
}

/** Remove the artifact's line; returns the `.gitignore` path if it changed. */
export function unignoreArtifact(root: string, artifactRel: string): string | null {
  const { file, rel, line } = paths(root, artifactRel);
  checkConfined(root, rel, `edit ${rel}`, { leaf: true });
  const lines = readLines(file, rel);
  if (!lines.includes(line)) return null;
  writeFileAtomic(file, lines.filter((l) => l !== line).join('\n'));
  return rel;
}
