/**
 * How cairn writes hashes, dates, sizes and counts for people. Every message
 * and table goes through these, so a short hash has one length, a date one
 * format and a count a noun that agrees with it, whichever command prints
 * them. (JSON output keeps full hashes and ISO dates.)
 */

/**
 * Hex digits of a short hash, for commits and objects alike. Git's own
 * default starts at 7 and grows with the repository; cairn's cache holds
 * sha256 objects for every file of a tracked folder, often 10^5 and more,
 * where 7 digits (28 bits) already collide by the birthday bound (~16,000
 * objects). 12 digits (48 bits, what the Linux kernel sets core.abbrev to)
 * stay unique to ~16 million, and `explore lineage`, `backup drop` and git
 * itself accept them.
 */
export const SHORT_HASH_LENGTH = 12;

/** A sha256 object hash (`sha256:...`) or a git commit id, shortened for people. */
export function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, SHORT_HASH_LENGTH);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * An ISO 8601 date (a tag's, a backup's) as `YYYY-MM-DD HH:MM` in local
 * time, as `git log --date=iso-local` shows it without seconds and offset.
 * Text that is not a date is returned as it is.
 */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The pattern every date {@link formatDate} writes matches (for tests and parsers). */
export const DATE_PATTERN = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/;

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/**
 * A count and its noun, agreeing: `plural(1, 'file')` is "1 file",
 * `plural(2, 'file')` "2 files"; `many` for nouns that do not just take an s
 * (`plural(n, 'repository', 'repositories')`). A phrase is given with the
 * noun first: `plural(n, 'object') + ' missing'`.
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
