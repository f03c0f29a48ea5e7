/**
 * How workspace files relate to cache objects (docs/DATA-SAFETY.md). Apart from the
 * cache so that reading the config does not load the store (and node:crypto).
 */
export type LinkType = 'copy' | 'reflink' | 'hardlink' | 'symlink';
export const LINK_TYPES: readonly LinkType[] = ['copy', 'reflink', 'hardlink', 'symlink'];
