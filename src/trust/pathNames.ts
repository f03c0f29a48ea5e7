/**
 * Which relative paths cairn will touch at all, before any file system call.
 * Pure. The rules are git's own `verify_path` (read-tree.c / path.c) with its
 * NTFS and HFS+ protections always on, so that no committed pointer, manifest
 * entry, config value or command argument can name git's own folder in a
 * spelling some file system folds back to `.git`.
 */

/** Code points HFS+ ignores when comparing names (git's is_hfs_dotgit list). */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * True when `segment` is, or a file system may treat it as, `.git`: any letter
 * case; trailing dots or spaces (Windows strips them); an NTFS stream suffix
 * (`.git::$INDEX_ALLOCATION`); the 8.3 short name `git~1`; HFS+ ignorable
 * code points inside.
 */
export function isGitDirName(segment: string): boolean {
  const folded = segment.replace(HFS_IGNORABLE, '').toLowerCase();
  const stem = folded.replace(/:.*$/s, '').replace(/[. ]+$/, '');
  return stem === '.git' || stem === 'git~1';
}

/**
 * Why a repo-relative POSIX path must not be used, or null when it is safe:
 * no absolute path or drive letter, no backslash, no control character, no
 * empty, `.` or `..` segment, and no segment git would read as its own folder.
 */
export function unsafePathReason(p: string): string | null {
  if (typeof p !== 'string' || p.length === 0) return 'it is empty';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'it is absolute';
  if (p.includes('\\')) return 'it contains a backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'it contains a control character';
  for (const segment of p.split('/')) {
    if (segment === '..') return 'it climbs out with ..';
    if (segment === '' || segment === '.') return 'it has an empty or "." segment';
    if (isGitDirName(segment)) return `it names git's own folder (${JSON.stringify(segment)})`;
  }
  return null;
}

/** Why a value that must be a bare file name is not one, or null. */
export function unsafeFileNameReason(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.includes('/')) return 'it is not a bare file name (it contains "/")';
  return unsafePathReason(name);
}
