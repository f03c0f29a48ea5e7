#!/usr/bin/env node
// Starts s3rver on 127.0.0.1 (for the benchmarks: a separate process, so the
// benchmark's own blocking waits cannot stall it). Prints the port, then serves
// until killed. Usage: node bench/s3server.mjs <dir> <bucket>
import S3rver from 's3rver';

const [dir, bucket] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
const { port } = await server.run();
process.stdout.write(`${port}\n`);
