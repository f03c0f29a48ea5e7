/**
 * Keeping artifacts out of git: each artifact gets a `/<name>` line in the
 * `.gitignore` beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../durable/atomicWrite.js';

/** The gitignore line that ignores exactly `name` in its own folder. */
export function ignoreLine(name: string): string {
  let escaped = name.replace(/[\\*?[\]]/g, (c) => '\\' + c);
  if (/^[#!]/.test(escaped)) escaped = '\\' + escaped;
  escaped = escaped.replace(/ +$/, (spaces) => spaces.replace(/ /g, '\\ '));
  return '/' + escaped;
}

function paths(root: string, artifactRel: string): { file: string; rel: string; line: string } {
  const dir = path.posix.dirname(artifactRel);
  const rel = dir === '.' ? '.gitignore' : `${dir}/.gitignore`;
  return { file: path.join(root, rel), rel, line: ignoreLine(path.posix.basename(artifactRel)) };
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Add the artifact's line; returns the `.gitignore` path (repo-relative) if it changed. */
export function ignoreArtifact(root: string, artifactRel: string): string | null {
  const { file, rel, line } = paths(root, artifactRel);
  const lines = readLines(file);
  if (lines.includes(line)) return null;
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.push(line, '');
  writeFileAtomic(file, lines.join('\n'));
  return rel;
}

/** Remove the artifact's line; returns the `.gitignore` path if it changed. */
export function unignoreArtifact(root: string, artifactRel: string): string | null {
  const { file, rel, line } = paths(root, artifactRel);
  const lines = readLines(file);
  if (!lines.includes(line)) return null;
  writeFileAtomic(file, lines.filter((l) => l !== line).join('\n'));
  return rel;
}
