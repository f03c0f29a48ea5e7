/**
 * Confinement (see SECURITY.md): every path cairn writes, deletes or reads
 * because a committed input named it is walked from the work-tree root one
 * component at a time with `lstat`. A symlink, or a file where a folder must
 * be, anywhere on the way refuses the whole operation before it touches
 * anything. Folders found real are remembered for the life of the object, so
 * a checkout of 10k files in 100 folders costs ~100 lstat calls, not 10k.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsafeError } from '../errors.js';
import { unsafePathReason } from './pathNames.js';

/** Why a path cannot be used: the offending prefix and what it is. */
export interface Escape {
  /** Repo-relative prefix that is not a real folder. */
  at: string;
  what: 'a symlink' | 'not a folder';
}

export class Confinement {
  /** Repo-relative folders seen to be real folders (not symlinks). */
  private readonly realDirs = new Set<string>(['']);

  constructor(readonly root: string) {}

  /**
   * The first component on the way to `rel` (its parent folders, and `rel`
   * itself unless `leaf` is false) that is a symlink or not a folder, or null.
   * Components that do not exist yet end the walk: whatever cairn creates
   * there is a real folder. The leaf may be anything but a symlink.
   */
  escapeOf(rel: string, options: { leaf?: boolean } = {}): Escape | null {
    const segments = rel.split('/');
    const upto = options.leaf ? segments.length : segments.length - 1;
    let prefix = '';
    for (let i = 0; i < upto; i++) {
      prefix = prefix === '' ? segments[i]! : `${prefix}/${segments[i]}`;
      const isLeaf = i === segments.length - 1;
      if (!isLeaf && this.realDirs.has(prefix)) continue;
      const st = fs.lstatSync(path.join(this.root, prefix), { throwIfNoEntry: false });
      if (!st) return null;
      if (st.isSymbolicLink()) return { at: prefix, what: 'a symlink' };
      if (isLeaf) return null;
      if (!st.isDirectory()) return { at: prefix, what: 'not a folder' };
      this.realDirs.add(prefix);
    }
    return null;
  }

  /**
   * Throw an UnsafeError unless `rel` is a safe name (see unsafePathReason)
   * whose parent folders are real folders inside the work tree. `purpose`
   * says what cairn was about to do ("write data/x").
   */
  check(rel: string, purpose: string, options: { leaf?: boolean } = {}): void {
    const reason = unsafePathReason(rel);
    if (reason) {
      throw new UnsafeError(`refusing to ${purpose}: the path ${JSON.stringify(rel)} is unsafe (${reason})`, {
        hint: 'the path came from a file in the repository; check where it came from before trusting it',
        data: { path: rel },
      });
    }
    const escape = this.escapeOf(rel, options);
    if (escape) throw escapeError(rel, escape, purpose);
  }

  /** Forget what was learnt under `rel` (after cairn removed or replaced it). */
  forget(rel: string): void {
    for (const dir of this.realDirs) if (dir === rel || dir.startsWith(rel + '/')) this.realDirs.delete(dir);
  }
}

export function escapeError(rel: string, escape: Escape, purpose: string): UnsafeError {
  const through = escape.at === rel ? `${rel} is ${escape.what}` : `${escape.at} on the way to ${rel} is ${escape.what}`;
  return new UnsafeError(`refusing to ${purpose}: ${through}`, {
    hint:
      escape.what === 'a symlink'
        ? `cairn never follows a symlink that a repository names; replace ${escape.at} with a real folder (or remove it) and retry`
        : `move ${escape.at} out of the way and retry`,
    data: { path: rel, at: escape.at },
  });
}

/** One-shot {@link Confinement.check}. */
export function checkConfined(root: string, rel: string, purpose: string, options: { leaf?: boolean } = {}): void {
  new Confinement(root).check(rel, purpose, options);
}

/**
 * The absolute path of `rel` (repo-relative, named by committed input such as
 * the config's `results.db` or a tag's `Cairn-Results`) after checking that
 * it is a safe name reached through real folders, and that the file itself,
 * when present, is a regular file: not a symlink (it could name a private
 * file elsewhere), FIFO or device (a read would block or never end).
 */
export function confinedFile(root: string, rel: string, purpose: string): string {
  checkConfined(root, rel, purpose, { leaf: true });
  const abs = path.join(root, rel);
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (st && !st.isFile()) {
    throw new UnsafeError(`refusing to ${purpose}: ${rel} is not a regular file`, {
      hint: `${rel} was named by a file in the repository; replace it with a regular file or name another with a flag`,
      data: { path: rel },
    });
  }
  return abs;
}
