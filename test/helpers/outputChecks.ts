/**
 * Checks on what cairn prints, shared by the output-consistency tests: hash
 * lengths, dates, plurals and doubled words found in a command's output.
 */
/** Every hex word of 7+ digits with a letter in it (a hash, not a part of a file path): its length. */
export function hashLengths(text: string): number[] {
  return [...text.matchAll(/(?<![0-9a-zA-Z_/])[0-9a-f]{7,}(?![0-9a-zA-Z_/])/g)]
    .map((m) => m[0])
    .filter((w) => /[a-f]/.test(w))
    .map((w) => w.length);
}

/** Every date-like word, with its time when one follows. */
export function dates(text: string): string[] {
  return [...text.matchAll(/\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?/g)].map((m) => m[0]);
}

const COUNTED =
  'files?|objects?|artifacts?|rows?|sources?|commits?|candidates?|conflicts?|pointers?|tables?|runs?|tags?|backups?|hooks?|experiments?|worktrees?|keys?|counts?';

/** Counts whose noun disagrees ("1 files", "2 object") and hedged plurals ("object(s)"). */
export function pluralMistakes(text: string): string[] {
  const counted = new RegExp(`(?<![\\w.-])(\\d+) (?:[a-z-]+ )?(${COUNTED})\\b(?!\\()`, 'g');
  const wrong = [...text.matchAll(counted)].filter((m) => (m[1] === '1') !== !m[2]!.endsWith('s')).map((m) => m[0]);
  return [...wrong, ...[...text.matchAll(/\w+\(s\)/g)].map((m) => m[0])];
}

/** A word or two said twice in a row, as in "invalid pointer: invalid pointer" (not "results: results.db"). */
export function doubledWords(text: string): string[] {
  return [...text.matchAll(/\b([a-z]{3,}(?: [a-z]{3,})?)[:,]? \1(?![\w.#/-])/gi)].map((m) => m[0]);
}
