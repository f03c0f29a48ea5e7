#!/usr/bin/env node
// The artifact store against its peers, on the same files in one run:
//   add of one big file (2 GiB)    vs git annex add, git-lfs `git add`, openssl dgst -sha256
//   add of 10,000 files of 4 KiB   vs plain git add, git-lfs, git annex add
//   status with nothing changed    vs git status on the same tree
//   checkout of 10,000 files       vs cp -a (copy mode) and cp -al (hardlink mode)
//   cairn --version                vs node -e 0
// Usage: node bench/store.mjs [--quick] [--runs N] [--no-annex]
import fs from 'node:fs';
import path from 'node:path';
import { CAIRN, benchEnv, ensureTools, gitInit, has, makeBigFile, makeSmallFiles, printTable, sh, timeIt, workDir } from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 1 : 3;
const BIG = quick ? 256 * 1024 * 1024 : 2 * 1024 * 1024 * 1024;
const SMALL_COUNT = quick ? 2000 : 10_000;
const withAnnex = !process.argv.includes('--no-annex');

ensureTools({ 'git-annex': 'git-annex', 'git-lfs': 'git-lfs', openssl: 'openssl', rsync: 'rsync' });
const env = benchEnv();
const node = process.execPath;
const cairn = (args) => [CAIRN, ...args];
const work = workDir('store');
const rows = [];

// ---------- one big file ----------
const bigSrc = path.join(work, 'big.bin');
console.error(`making a ${(BIG / 2 ** 30).toFixed(2)} GiB file ...`);
makeBigFile(bigSrc, BIG);
sh('cat', [bigSrc], { stdio: ['ignore', 'ignore', 'ignore'] }); // warm the page cache for everyone

/** A fresh repo holding a hard link to the big file (no copy needed to set up). */
function bigRepo(kind, i) {
  const dir = path.join(work, `${kind}-${i}`);
  fs.rmSync(dir, { recursive: true, force: true });
  gitInit(dir, env);
  fs.linkSync(bigSrc, path.join(dir, 'big.bin'));
  if (kind.startsWith('cairn')) {
    sh(node, cairn(['init']), { cwd: dir, env });
    if (kind === 'cairn-hardlink') fs.writeFileSync(path.join(dir, '.cairn/config.json'), '{"cache":{"link":"hardlink"}}\n');
  }
  if (kind === 'annex') sh('git', ['annex', 'init', '-q', 'bench'], { cwd: dir, env });
  if (kind === 'lfs') {
    sh('git', ['lfs', 'install', '--local'], { cwd: dir, env });
    sh('git', ['lfs', 'track', '*.bin'], { cwd: dir, env });
  }
  return { cwd: dir, env };
}
const cleanup = (prefix) => {
  for (const n of fs.readdirSync(work)) if (n.startsWith(prefix)) fs.rmSync(path.join(work, n), { recursive: true, force: true });
};

console.error('add, one big file');
const openssl = timeIt('openssl dgst -sha256', RUNS, null, 'openssl', ['dgst', '-sha256', bigSrc]);
const addBig = timeIt('cairn add (copy)', RUNS, (i) => bigRepo('cairn', i), node, cairn(['add', 'big.bin']));
cleanup('cairn-');
const addBigLink = timeIt('cairn add (hardlink)', RUNS, (i) => bigRepo('cairn-hardlink', i), node, cairn(['add', 'big.bin']));
cleanup('cairn-');
let annexBig = null;
if (withAnnex && has('git-annex')) {
  annexBig = timeIt('git annex add', RUNS, (i) => bigRepo('annex', i), 'git', ['annex', 'add', '-q', 'big.bin']);
  for (const n of fs.readdirSync(work)) if (n.startsWith('annex')) sh('chmod', ['-R', 'u+w', path.join(work, n)]);
  cleanup('annex');
}
let lfsBig = null;
if (has('git-lfs')) {
  lfsBig = timeIt('git lfs: git add', RUNS, (i) => bigRepo('lfs', i), 'git', ['add', 'big.bin']);
  cleanup('lfs');
}
if (annexBig) rows.push({ workload: 'add 1 big file (copy)', cairn: addBig, peerName: 'git annex add', peer: annexBig, target: 0.35 });
rows.push({ workload: 'add 1 big file (copy)', cairn: addBig, peerName: 'openssl dgst -sha256', peer: openssl, target: 1.6 });
if (lfsBig) rows.push({ workload: 'add 1 big file (copy)', cairn: addBig, peerName: 'git-lfs git add', peer: lfsBig });
if (annexBig) rows.push({ workload: 'add 1 big file (hardlink)', cairn: addBigLink, peerName: 'git annex add', peer: annexBig, target: 0.35 });
rows.push({ workload: 'add 1 big file (hardlink)', cairn: addBigLink, peerName: 'openssl dgst -sha256', peer: openssl, target: 1.6 });
fs.rmSync(bigSrc, { force: true });

// ---------- many small files ----------
const smallSrc = path.join(work, 'small-src');
console.error(`making ${SMALL_COUNT} files of 4 KiB ...`);
makeSmallFiles(smallSrc, SMALL_COUNT, 4096);

function smallRepo(kind, i) {
  const dir = path.join(work, `${kind}-${i}`);
  fs.rmSync(dir, { recursive: true, force: true });
  gitInit(dir, env);
  sh('cp', ['-al', smallSrc, path.join(dir, 'data')]);
  if (kind === 'cairn') sh(node, cairn(['init']), { cwd: dir, env });
  if (kind === 'annex') sh('git', ['annex', 'init', '-q', 'bench'], { cwd: dir, env });
  if (kind === 'lfs') {
    sh('git', ['lfs', 'install', '--local'], { cwd: dir, env });
    sh('git', ['lfs', 'track', '*.bin'], { cwd: dir, env });
  }
  return { cwd: dir, env };
}

console.error('add, many small files');
const addSmall = timeIt('cairn add data/', RUNS, (i) => smallRepo('cairn', i), node, cairn(['add', 'data']));
const gitAddSmall = timeIt('git add data/', RUNS, (i) => smallRepo('git', i), 'git', ['add', 'data']);
rows.push({ workload: `add ${SMALL_COUNT} x 4 KiB`, cairn: addSmall, peerName: 'git add', peer: gitAddSmall, target: 1.0 });
if (has('git-lfs')) {
  const lfsSmall = timeIt('git lfs: git add data/', 1, (i) => smallRepo('lfs', i), 'git', ['add', 'data']);
  rows.push({ workload: `add ${SMALL_COUNT} x 4 KiB`, cairn: addSmall, peerName: 'git-lfs git add', peer: lfsSmall });
  cleanup('lfs');
}
if (withAnnex && has('git-annex')) {
  const annexSmall = timeIt('git annex add data/', 1, (i) => smallRepo('annex', i), 'git', ['annex', 'add', '-q', 'data']);
  rows.push({ workload: `add ${SMALL_COUNT} x 4 KiB`, cairn: addSmall, peerName: 'git annex add', peer: annexSmall });
  for (const n of fs.readdirSync(work)) if (n.startsWith('annex')) sh('chmod', ['-R', 'u+w', path.join(work, n)]);
  cleanup('annex');
}

// status: a cairn repo with the files added (and the stat cache warm) vs a git repo with them committed
console.error('status, nothing changed');
const cairnRepo = path.join(work, 'cairn-0');
const gitRepo = path.join(work, 'git-0');
sh('git', ['commit', '-q', '-m', 'data'], { cwd: gitRepo, env });
sh(node, cairn(['status']), { cwd: cairnRepo, env }); // fills the stat cache (add's own entries may be "racy")
sh(node, cairn(['status']), { cwd: cairnRepo, env });
const statusCairn = timeIt('cairn status', Math.max(RUNS, 5), () => ({ cwd: cairnRepo, env }), node, cairn(['status']));
const statusGit = timeIt('git status', Math.max(RUNS, 5), () => ({ cwd: gitRepo, env }), 'git', ['status']);
rows.push({ workload: `status, ${SMALL_COUNT} files unchanged`, cairn: statusCairn, peerName: 'git status', peer: statusGit, target: 3 });

// checkout: remove the folder, restore it from the cache
console.error('checkout, many small files');
const dest = path.join(work, 'cp-dest');
const checkoutCopy = timeIt(
  'cairn checkout (copy)',
  RUNS,
  () => {
    fs.rmSync(path.join(cairnRepo, 'data'), { recursive: true, force: true });
    return { cwd: cairnRepo, env };
  },
  node,
  cairn(['checkout']),
);
const cpA = timeIt(
  'cp -a',
  RUNS,
  () => {
    fs.rmSync(dest, { recursive: true, force: true });
    return {};
  },
  'cp',
  ['-a', smallSrc, dest],
);
fs.writeFileSync(path.join(cairnRepo, '.cairn/config.json'), '{"cache":{"link":"hardlink"}}\n');
const checkoutLink = timeIt(
  'cairn checkout (hardlink)',
  RUNS,
  () => {
    fs.rmSync(path.join(cairnRepo, 'data'), { recursive: true, force: true });
    return { cwd: cairnRepo, env };
  },
  node,
  cairn(['checkout']),
);
const cpAl = timeIt(
  'cp -al',
  RUNS,
  () => {
    fs.rmSync(dest, { recursive: true, force: true });
    return {};
  },
  'cp',
  ['-al', smallSrc, dest],
);
rows.push({ workload: `checkout ${SMALL_COUNT} files (copy)`, cairn: checkoutCopy, peerName: 'cp -a', peer: cpA, target: 1.0 });
rows.push({ workload: `checkout ${SMALL_COUNT} files (hardlink)`, cairn: checkoutLink, peerName: 'cp -al', peer: cpAl, target: 1.5 });

// start-up
console.error('start-up');
const version = timeIt('cairn --version', 10, null, node, cairn(['--version']));
const nodeBare = timeIt('node -e 0', 10, null, node, ['-e', '0']);
rows.push({ workload: 'cairn --version', cairn: version, peerName: 'node -e 0', peer: nodeBare, target: 1.5 });

printTable(`artifact store (${RUNS} run(s) each, median; ${quick ? 'quick sizes' : 'full sizes'})`, rows);
fs.rmSync(work, { recursive: true, force: true });
