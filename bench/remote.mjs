#!/usr/bin/env node
// Remotes against their peers, on the same data in one run:
//   (a) one 1 GiB file, (b) 10,000 files of 4 KiB
//   local-path remote: cairn push / cairn pull  vs  cp -a and rsync -a of the same data to the same disk
//   S3 (s3rver on 127.0.0.1): cairn push / pull  vs  aws s3 cp --recursive and rclone copy
// Usage: node bench/remote.mjs [--quick] [--runs N] [--no-s3] [--only big|small]
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CAIRN, ROOT, benchEnv, ensureTools, gitInit, has, makeBigFile, makeSmallFiles, printTable, sh, timeIt, timeMaybe, workDir } from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 1 : 3;
const BIG = quick ? 128 * 1024 * 1024 : 1024 * 1024 * 1024;
const SMALL = quick ? 1000 : 10_000;
const withS3 = !process.argv.includes('--no-s3');

ensureTools({ rsync: 'rsync', aws: 'awscli', rclone: 'rclone' });
const node = process.execPath;
const work = workDir('remote');
const env = benchEnv({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' });
const cairn = (args) => [CAIRN, ...args];
const rows = [];

/** A repo holding the dataset as a cairn artifact, committed. */
function sourceRepo(name, place) {
  const dir = path.join(work, `src-${name}`);
  gitInit(dir, env);
  sh(node, cairn(['init']), { cwd: dir, env });
  place(dir);
  sh(node, cairn(['add', 'data']), { cwd: dir, env });
  sh('git', ['add', '-A'], { cwd: dir, env });
  sh('git', ['commit', '-q', '-m', 'data'], { cwd: dir, env });
  return dir;
}

function fresh(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

function cloneOf(src, name) {
  const dir = fresh(path.join(work, name));
  sh('git', ['clone', '-q', src, dir], { env });
  return dir;
}

async function startS3() {
  const dir = fs.mkdtempSync(path.join(work, 's3-'));
  const child = spawn(node, [path.join(ROOT, 'bench', 's3server.mjs'), dir, 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { port, endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const datasets = [
  {
    name: `1 file of ${(BIG / 2 ** 30).toFixed(2)} GiB`,
    key: 'big',
    place: (dir) => {
      fs.mkdirSync(path.join(dir, 'data'));
      makeBigFile(path.join(dir, 'data', 'big.bin'), BIG);
    },
  },
  { name: `${SMALL} files of 4 KiB`, key: 'small', place: (dir) => makeSmallFiles(path.join(dir, 'data'), SMALL, 4096) },
];

// Debian's aws (v2) at /usr/bin; a Python shim earlier on PATH may be another version.
const AWS = fs.existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
const s3 = withS3 && has('aws') && has('rclone') ? await startS3() : null;
try {
  for (const ds of datasets.filter((d) => !only || d.key === only)) {
    console.error(`dataset: ${ds.name}`);
    const src = sourceRepo(ds.key, ds.place);
    const data = path.join(src, 'data');
    // ---- local folder remote ----
    const store = path.join(work, `store-${ds.key}`);
    const dest = path.join(work, `copy-${ds.key}`);
    const push = timeIt(
      `cairn push (local)`,
      RUNS,
      () => {
        fresh(store);
        sh(node, cairn(['remote', 'add', 'store', store, '--default', '--force']), { cwd: src, env });
        return { cwd: src, env };
      },
      node,
      cairn(['push']),
    );
    const cpPush = timeIt('cp -a', RUNS, () => (fresh(dest), {}), 'cp', ['-a', data, dest]);
    const rsyncPush = timeIt('rsync -a', RUNS, () => (fresh(dest), {}), 'rsync', ['-a', data + '/', dest + '/']);
    sh('git', ['commit', '-q', '-am', 'remote'], { cwd: src, env });
    const pull = timeIt('cairn pull (local)', RUNS, (i) => ({ cwd: cloneOf(src, `clone-${ds.key}-${i}`), env }), node, cairn(['pull']));
    const back = path.join(work, `back-${ds.key}`);
    const cpPull = timeIt('cp -a back', RUNS, () => (fresh(back), {}), 'cp', ['-a', dest, back]);
    rows.push({ workload: `push ${ds.name}, local`, cairn: push, peerName: 'cp -a', peer: cpPush, target: 1.5 });
    rows.push({ workload: `push ${ds.name}, local`, cairn: push, peerName: 'rsync -a', peer: rsyncPush });
    rows.push({ workload: `pull ${ds.name}, local (fetch + checkout)`, cairn: pull, peerName: 'cp -a', peer: cpPull, target: 1.5 });
    for (const n of fs.readdirSync(work)) if (n.startsWith(`clone-${ds.key}`)) fresh(path.join(work, n));
    fresh(store);
    fresh(dest);
    fresh(back);

    // ---- S3 ----
    if (s3) {
      let prefix = 0;
      const s3push = timeIt(
        'cairn push (s3)',
        RUNS,
        () => {
          prefix++;
          sh(node, cairn(['remote', 'add', 'store', `s3://bench/cairn-${ds.key}-${prefix}`, '--endpoint', s3.endpoint, '--default', '--force']), {
            cwd: src,
            env,
          });
          return { cwd: src, env };
        },
        node,
        cairn(['push', '-j', '8']),
      );
      let awsN = 0;
      const awsPush = timeMaybe(
        'aws s3 cp --recursive',
        RUNS,
        () => ({ env }),
        AWS,
        () => ['--endpoint-url', s3.endpoint, 's3', 'cp', '--recursive', '--only-show-errors', data, `s3://bench/aws-${ds.key}-${++awsN}`],
      );
      const { AWS_CA_BUNDLE: _ca, ...envNoBundle } = env; // rclone cannot use a custom CA bundle with its transport
      const rcloneEnv = {
        ...envNoBundle,
        RCLONE_CONFIG_BENCH_TYPE: 's3',
        RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
        RCLONE_CONFIG_BENCH_ENDPOINT: s3.endpoint,
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
      };
      let rcN = 0;
      const rclonePush = timeMaybe(
        'rclone copy',
        RUNS,
        () => ({ env: rcloneEnv }),
        'rclone',
        () => ['copy', '--transfers', '8', data, `bench:bench/rclone-${ds.key}-${++rcN}`],
      );
      sh('git', ['commit', '-q', '-am', 's3 remote'], { cwd: src, env });
      const s3pull = timeIt('cairn pull (s3)', RUNS, (i) => ({ cwd: cloneOf(src, `clone-s3-${ds.key}-${i}`), env }), node, cairn(['pull', '-j', '8']));
      const awsPull = timeMaybe(
        'aws s3 cp back',
        RUNS,
        () => ({ env }),
        AWS,
        () => [
          '--endpoint-url',
          s3.endpoint,
          's3',
          'cp',
          '--recursive',
          '--only-show-errors',
          `s3://bench/aws-${ds.key}-1`,
          fresh(path.join(work, `aws-back-${ds.key}`)),
        ],
      );
      rows.push({
        workload: `push ${ds.name}, S3`,
        cairn: s3push,
        peerName: 'aws s3 cp --recursive',
        peer: awsPush,
        target: ds.key === 'small' && awsPush !== null && (rclonePush === null || awsPush <= rclonePush) ? 1.0 : undefined,
      });
      rows.push({
        workload: `push ${ds.name}, S3`,
        cairn: s3push,
        peerName: 'rclone copy',
        peer: rclonePush,
        target: ds.key === 'small' && rclonePush !== null && (awsPush === null || rclonePush < awsPush) ? 1.0 : undefined,
      });
      rows.push({ workload: `pull ${ds.name}, S3 (fetch + checkout)`, cairn: s3pull, peerName: 'aws s3 cp', peer: awsPull });
      for (const n of fs.readdirSync(work)) if (n.startsWith('clone-s3') || n.startsWith('aws-back')) fresh(path.join(work, n));
    }
    fresh(src);
  }
} finally {
  s3?.stop();
}

printTable(`remotes (${RUNS} run(s) each, median; ${quick ? 'quick sizes' : 'full sizes'})`, rows);
fs.rmSync(work, { recursive: true, force: true });
