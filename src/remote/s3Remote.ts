/**
 * A remote on S3-compatible object storage (`s3://bucket/prefix`; endpoint,
 * region and path-style options for MinIO and friends). Loaded lazily: the
 * AWS SDK costs ~90 ms to import.
 *
 * Objects are uploaded with one PUT (multipart above a threshold), which S3
 * makes visible only once complete, with a Content-MD5 the server checks and
 * the SHA-256 in metadata. Presence means "listed with the expected size", so
 * a truncated object left by a non-atomic server counts as absent and is
 * uploaded again.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { S3Client as S3ClientType } from '@aws-sdk/client-s3';
import { CairnError, IntegrityError, NotFoundError } from '../errors.js';
import type { RemoteConfig } from '../config/config.js';
import { CHUNK_SIZE, HASH_PREFIX, hashHex } from '../store/hash.js';
import { SMALL_FILE } from '../store/cache.js';
import { mapLimit } from '../concurrency.js';
import type { Inventory, ObjectRef, ObjectStore, PutOptions } from '../store/objectStore.js';

type S3 = typeof import('@aws-sdk/client-s3');

/** Above this size objects go up in parts (a single PUT is limited to 5 GiB). */
export const MULTIPART_THRESHOLD = 1024 * 1024 * 1024;
const PART_SIZE = 64 * 1024 * 1024;
/** With more objects than this, one LIST beats a HEAD each. */
const LIST_THRESHOLD = 64;

export class S3Remote implements ObjectStore {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly sdk: S3,
    private readonly client: S3ClientType,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly endpoint: string,
    /** Tests lower this to exercise multipart uploads on small files. */
    public multipartThreshold = MULTIPART_THRESHOLD,
    public partSize = PART_SIZE,
  ) {}

  static async open(name: string, config: RemoteConfig, url: { bucket: string; prefix: string }): Promise<S3Remote> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = await import('@aws-sdk/client-s3');
    const credentials = config.accessKeyId && config.secretAccessKey ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } : undefined;
    if (config.profile && !credentials) process.env.AWS_PROFILE ??= config.profile;
    const client = new sdk.S3Client({
      region: config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle ?? Boolean(config.endpoint),
      ...(credentials ? { credentials } : {}),
      // Checksums only where required (plus our own Content-MD5): streaming
      // checksum trailers are not understood by every S3-compatible server.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
    return new S3Remote(name, config.url, sdk, client, url.bucket, url.prefix, config.endpoint ?? 'AWS S3');
  }

  private key(hash: string): string {
    const hex = hashHex(hash);
    return `${this.prefix ? this.prefix + '/' : ''}objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
  }

  /** Turn an SDK failure into a cairn error that says what to do. */
  private translate(err: unknown, what: string): CairnError {
    if (err instanceof CairnError) return err;
    const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? e.code ?? 'Error';
    if (name === 'NoSuchBucket') {
      return new NotFoundError(`remote ${this.name}: bucket ${this.bucket} does not exist`, {
        hint: 'create the bucket, or fix the URL (cairn remote add --force)',
      });
    }
    if (status === 403 || /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Credentials/i.test(name + (e.message ?? ''))) {
      return new CairnError(`remote ${this.name}: access denied while ${what} (${name})`, {
        hint: 'check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or accessKeyId/secretAccessKey in .cairn/config.local.json',
        cause: err,
      });
    }
    if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|socket hang up|TimeoutError/i.test(`${name} ${e.code ?? ''} ${e.message ?? ''}`)) {
      return new CairnError(`remote ${this.name} is not reachable at ${this.endpoint} while ${what}: ${e.message ?? name}`, {
        hint: 'check the endpoint and your network, then run the same command again: transfers resume where they stopped',
        cause: err,
      });
    }
    return new CairnError(`remote ${this.name}: ${what} failed: ${name}: ${e.message ?? ''}`.trim(), {
      hint: 'run the same command again: transfers are idempotent and resume',
      cause: err,
    });
  }

  async inventory(objects: ObjectRef[]): Promise<Inventory> {
    const out: Inventory = { present: new Set(), damaged: new Set() };
    const sort = (o: ObjectRef, size: number | undefined): void => {
      if (size === undefined) return;
      if (o.size < 0 || size === o.size) out.present.add(o.hash);
      else out.damaged.add(o.hash);
    };
    if (objects.length === 0) return out;
    if (objects.length <= LIST_THRESHOLD) {
      await mapLimit(objects, 16, async (o) => {
        try {
          const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(o.hash) }));
          sort(o, head.ContentLength ?? -1);
        } catch (err) {
          const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status !== 404) throw this.translate(err, 'checking objects');
        }
      });
      return out;
    }
    const sizes = new Map<string, number>();
    const listPrefix = `${this.prefix ? this.prefix + '/' : ''}objects/`;
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: listPrefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) sizes.set(o.Key, o.Size ?? -1);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.translate(err, 'listing objects');
    }
    for (const o of objects) sort(o, sizes.get(this.key(o.hash)));
    return out;
  }

  /**
   * Upload an object of a local store (the cache), replacing whatever is
   * under its name (push puts only what is missing or damaged). A small one
   * may come from any store.
   */
  async put(hash: string, size: number, from: ObjectStore, options: PutOptions = {}): Promise<number> {
    const file = from.localFile?.(hash) ?? null;
    if (file) {
      const n = size >= 0 ? size : fs.statSync(file).size;
      await this.upload(hash, file, n, null, options.onBytes);
      return n;
    }
    const stream = await from.read(hash); // NotFoundError when `from` lacks it
    if (size < 0 || size > SMALL_FILE) {
      (stream as Readable).destroy?.();
      throw new CairnError(`remote ${this.name} can take large objects only from a local store, not from ${from.name}`, {
        hint: 'fetch the objects into the cache first (cairn fetch), then push them',
      });
    }
    const data = await buffer(stream);
    await this.upload(hash, null, data.length, data, options.onBytes);
    return data.length;
  }

  /** Upload `file` (or the bytes `data`), checking that they hash to `hash` and computing the MD5 the server verifies. */
  private async upload(hash: string, file: string | null, size: number, data: Buffer | null, onBytes?: (n: number) => void): Promise<void> {
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let small: Buffer | null = data;
    if (small) {
      sha.update(small);
      md5.update(small);
    } else if (size <= SMALL_FILE) {
      small = fs.readFileSync(file!);
      sha.update(small);
      md5.update(small);
    } else {
      for await (const chunk of fs.createReadStream(file!, { highWaterMark: CHUNK_SIZE })) {
        sha.update(chunk as Buffer);
        md5.update(chunk as Buffer);
      }
    }
    const actual = HASH_PREFIX + sha.digest('hex');
    if (actual !== hash) {
      throw new IntegrityError(`cache object ${hash} is corrupt (its bytes hash to ${actual}); not uploading it`, {
        hint: 'run cairn verify; re-add the original file or fetch the object again',
      });
    }
    const Key = this.key(hash);
    try {
      if (size > this.multipartThreshold && file) {
        await this.uploadParts(Key, file, size, hash, onBytes);
      } else {
        await this.client.send(
          new this.sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: small ?? fs.createReadStream(file!, { highWaterMark: CHUNK_SIZE }),
            ContentLength: size,
            ContentMD5: md5.digest('base64'),
            Metadata: { 'cairn-sha256': hashHex(hash) },
          }),
        );
        onBytes?.(size);
      }
    } catch (err) {
      throw this.translate(err, `uploading ${hash}`);
    }
  }

  /** A multipart upload: invisible until completed; aborted on failure. */
  private async uploadParts(Key: string, file: string, size: number, hash: string, onBytes?: (n: number) => void): Promise<void> {
    const created = await this.client.send(
      new this.sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key, Metadata: { 'cairn-sha256': hashHex(hash) } }),
    );
    const UploadId = created.UploadId!;
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += this.partSize, n++) {
        const end = Math.min(size, start + this.partSize);
        const body = Buffer.alloc(end - start);
        const fd = fs.openSync(file, 'r');
        try {
          fs.readSync(fd, body, 0, body.length, start);
        } finally {
          fs.closeSync(fd);
        }
        const part = await this.client.send(
          new this.sdk.UploadPartCommand({
            Bucket: this.bucket,
            Key,
            UploadId,
            PartNumber: n,
            Body: body,
            ContentLength: body.length,
            ContentMD5: createHash('md5').update(body).digest('base64'),
          }),
        );
        parts.push({ ETag: part.ETag!, PartNumber: n });
        onBytes?.(body.length);
      }
      await this.client.send(new this.sdk.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  async read(hash: string): Promise<NodeJS.ReadableStream> {
    try {
      const got = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(hash) }));
      return got.Body as Readable;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
        throw new NotFoundError(`object ${hash} is not on remote ${this.name}`, {
          hint: `push it from a machine that has it (cairn push -r ${this.name})`,
          data: { hash, remote: this.name },
        });
      }
      throw this.translate(err, `downloading ${hash}`);
    }
  }

  /** Each PUT is complete when it returns. */
  async flush(): Promise<void> {}

  close(): void {
    this.client.destroy();
  }
}
