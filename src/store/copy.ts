/**
 * Copying a large file's bytes to a new file.
 *
 * `fs.copyFile` is not used for plain copies: libuv truncates the
 * destination before copying, and on ext4 (mounted with the default
 * `auto_da_alloc`) a file truncated to zero is flushed when it is closed, so
 * every copy waited for the disk (0.64 s against 0.43 s for a 1 GiB file
 * here). A reflink is still tried first, where the filesystem shares blocks
 * (btrfs, XFS, APFS); elsewhere the bytes are streamed into a file created
 * fresh (`wx`), in 4 MiB chunks.
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** Read and write size of a streamed copy: larger chunks measured faster than 1 MiB ones. */
export const COPY_CHUNK = 4 * 1024 * 1024;

/** Errors a reflink attempt passes on: the copy would fail the same way. */
const COPY_FAILS = new Set(['ENOENT', 'EEXIST', 'EACCES', 'ENOSPC', 'EROFS', 'EISDIR', 'ENOTDIR']);

/**
 * Create `dest` (which must not exist) as a reflink of `src`: true when done,
 * false when the filesystem cannot share blocks here (ENOTSUP, EXDEV, and
 * whatever else a filesystem answers: EAGAIN, an NFS error), with nothing
 * left at `dest`.
 */
export async function reflink(src: string, dest: string): Promise<boolean> {
  try {
    await fs.promises.copyFile(src, dest, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch (err) {
    if (COPY_FAILS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    fs.rmSync(dest, { force: true }); // libuv removes it; a filesystem's odd error must not leave it either
    return false;
  }
}

/**
 * Create `dest` (which must not exist) with the bytes of `src` and `mode`:
 * a reflink where the filesystem can, else a streamed copy.
 */
export async function copyFileBytes(src: string, dest: string, mode: number): Promise<'reflink' | 'copy'> {
  if (await reflink(src, dest)) {
    fs.chmodSync(dest, mode);
    return 'reflink';
  }
  await pipeline(
    fs.createReadStream(src, { highWaterMark: COPY_CHUNK }),
    fs.createWriteStream(dest, { flags: 'wx', mode, highWaterMark: COPY_CHUNK }),
  );
  fs.chmodSync(dest, mode); // exactly `mode`, as a reflink gets: not narrowed by the umask
  return 'copy';
}
