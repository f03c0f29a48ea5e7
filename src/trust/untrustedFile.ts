/**
 * Reading a small file that the repository controls (a pointer, a config
 * file, a `.gitignore`): it must be a regular file, it is opened without
 * following a final symlink and without blocking (a FIFO would hang a plain
 * read forever), and it is read only up to a cap (a link to /dev/zero would
 * grow memory without bound).
 */
import fs from 'node:fs';

export type UntrustedRead =
  | { kind: 'text'; text: string }
  | { kind: 'missing' }
  /** Not read: `why` completes "it ..." (e.g. "is a symlink"). */
  | { kind: 'refused'; why: string; unsafe: boolean };

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Pointer files are ~150 bytes; config files are a few KiB. */
export const MAX_POINTER_BYTES = 64 * 1024;
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Read `file` as UTF-8 text, refusing anything but a regular file of at most `maxBytes`. */
export function readUntrustedFile(file: string, maxBytes: number): UntrustedRead {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'refused', why: 'is a symlink', unsafe: true };
    if (code === 'ENXIO' || code === 'EOPNOTSUPP') return { kind: 'refused', why: 'is a socket or device, not a regular file', unsafe: true };
    if (code === 'EISDIR') return { kind: 'refused', why: 'is a folder', unsafe: false };
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return { kind: 'refused', why: 'is a folder', unsafe: false };
    if (!st.isFile()) return { kind: 'refused', why: `is ${specialKind(st)}, not a regular file`, unsafe: true };
    if (st.size > maxBytes) return { kind: 'refused', why: `is ${st.size} bytes, more than the ${maxBytes} allowed`, unsafe: false };
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let got = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got === buf.length) return { kind: 'refused', why: `is larger than the ${maxBytes} bytes allowed`, unsafe: false };
    }
    return { kind: 'text', text: buf.toString('utf8', 0, got) };
  } finally {
    fs.closeSync(fd);
  }
}

function specialKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
