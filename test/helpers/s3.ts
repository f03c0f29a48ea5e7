/**
 * A real S3-compatible server (s3rver) on 127.0.0.1 for the tests: started in
 * the test process, on a fixed folder so it can be stopped and restarted.
 * The CLI runs as a child process and talks to it over HTTP.
 */
import S3rver from 's3rver';
import { tempDir } from './repo.js';

export interface S3Server {
  endpoint: string;
  port: number;
  dir: string;
  bucket: string;
  /** Credentials s3rver accepts. */
  env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export const S3_KEY = 'S3RVER';
export const S3_SECRET = 'S3RVER';

export async function startS3(bucket = 'cairn-test'): Promise<S3Server> {
  const dir = tempDir('cairn-s3-');
  let server: S3rver | null = null;
  let port = 0;
  const start = async (): Promise<void> => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
    const info = (await server.run()) as { port: number };
    port = info.port;
  };
  await start();
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dir,
    bucket,
    env: { AWS_ACCESS_KEY_ID: S3_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET, AWS_REGION: 'us-east-1' },
    async stop() {
      await server?.close();
      server = null;
    },
    start,
  };
}
