#!/usr/bin/env node
// The floors under the speed targets cairn misses: for each, the peer the
// issue names against the least any program can do under cairn's two fixed
// constraints, timed side by side in one run (interleaved, median of N).
//
//   - Node 20 is the runtime (README): the floor programs are the bare
//     Node loops, with nothing of cairn in them (no pointers, manifests,
//     cache checks or records), so cairn itself can only be slower.
//   - An object is flushed to disk before it is named (docs/DATA-SAFETY.md): the floor
//     for writing into the cache is `cp` then one `sync` of what it wrote
//     (the cheapest flush there is: one syncfs for 10,000 files, where cairn
//     flushes per batch), without hashing anything.
//
// A target is out of reach here when floor/peer alone is above it.
//
// Usage: node bench/floors.mjs [--runs N] [--quick]
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchEnv, gitInit, makeBigFile, makeSmallFiles, sh, workDir } from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 3 : 5;
const BIG = quick ? 256 * 2 ** 20 : 2 * 2 ** 30;
const GIB = quick ? 128 * 2 ** 20 : 2 ** 30;
const SMALL = quick ? 2000 : 10_000;
const node = process.execPath;
const env = benchEnv();
const work = workDir('floors');

// ---------- the floor programs ----------
const LSTAT_ALL = `import fs from 'node:fs';
const walk = (dir) => { for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
  const p = dir + '/' + d.name;
  if (d.isDirectory()) walk(p); else fs.lstatSync(p, { bigint: true });
} };
walk(process.argv[2]);
`;
const LINK_ALL = `import fs from 'node:fs';
const walk = (src, dst) => { fs.mkdirSync(dst); for (const d of fs.readdirSync(src, { withFileTypes: true })) {
  if (d.isDirectory()) walk(src + '/' + d.name, dst + '/' + d.name); else fs.linkSync(src + '/' + d.name, dst + '/' + d.name);
} };
walk(process.argv[2], process.argv[3]);
`;
const WORKTREE_LINK_ALL = `import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
const [repo, dest, ...items] = process.argv.slice(2);
execFileSync('git', ['worktree', 'add', '-q', dest], { cwd: repo });
const walk = (src, dst) => { fs.mkdirSync(dst); for (const d of fs.readdirSync(src, { withFileTypes: true })) {
  if (d.isDirectory()) walk(src + '/' + d.name, dst + '/' + d.name); else fs.linkSync(src + '/' + d.name, dst + '/' + d.name);
} };
for (const item of items) {
  if (fs.statSync(repo + '/' + item).isDirectory()) walk(repo + '/' + item, dest + '/' + item);
  else fs.linkSync(repo + '/' + item, dest + '/' + item);
}
`;
const scripts = {};
for (const [name, text] of Object.entries({ lstatAll: LSTAT_ALL, linkAll: LINK_ALL, worktreeLinkAll: WORKTREE_LINK_ALL })) {
  scripts[name] = path.join(work, `${name}.mjs`);
  fs.writeFileSync(scripts[name], text);
}

// ---------- data ----------
console.error(`making ${SMALL} files of 4 KiB, a ${(BIG / 2 ** 30).toFixed(2)} GiB file and a ${(GIB / 2 ** 30).toFixed(2)} GiB file ...`);
const repo = path.join(work, 'repo');
gitInit(repo, env);
makeSmallFiles(path.join(repo, 'data'), SMALL, 4096);
makeBigFile(path.join(repo, 'big.bin'), BIG);
makeBigFile(path.join(repo, 'one.bin'), GIB);
sh('git', ['add', 'data'], { cwd: repo, env });
sh('git', ['commit', '-q', '-m', 'data'], { cwd: repo, env });
sh('git', ['status'], { cwd: repo, env }); // index refreshed: status compares stats only
sh('cat', [path.join(repo, 'big.bin'), path.join(repo, 'one.bin')], { stdio: ['ignore', 'ignore', 'ignore'] });
const data = path.join(repo, 'data');
// For worktree new: a repository whose artifacts are not in git (ignored), as with cairn.
const wtRepo = path.join(work, 'wt-repo');
gitInit(wtRepo, env);
fs.writeFileSync(path.join(wtRepo, '.gitignore'), '/data\n/big.bin\n');
sh('git', ['add', '.gitignore'], { cwd: wtRepo, env });
sh('git', ['commit', '-q', '-m', 'ignore the artifacts'], { cwd: wtRepo, env });
sh('cp', ['-al', data, path.join(wtRepo, 'data')]);
fs.linkSync(path.join(repo, 'big.bin'), path.join(wtRepo, 'big.bin'));
const out = path.join(work, 'out');
const clean = () => {
  spawnSync('git', ['worktree', 'remove', '--force', path.join(work, 'wt')], { cwd: wtRepo, env });
  spawnSync('git', ['worktree', 'prune'], { cwd: wtRepo, env });
  for (const p of [out, path.join(work, 'wt')]) fs.rmSync(p, { recursive: true, force: true });
  fs.mkdirSync(out);
};
const shell = (script) => ['sh', ['-c', script]];

/** Rows of [issue, workload, target, peer [label, cmd, args], floor [label, cmd, args]]. */
const workloads = [
  [2, `status, ${SMALL} files unchanged`, 3, ['git status', 'git', ['status']], ['Node: lstat every file', node, [scripts.lstatAll, data]]],
  [2, `checkout ${SMALL} files, hardlink`, 1.5, ['cp -al', 'cp', ['-al', data, `${out}/data`]], ['Node: link every file', node, [scripts.linkAll, data, `${out}/data`]]],
  [2, `add one ${(BIG / 2 ** 30).toFixed(0)} GiB file, copy mode`, 1.6, ['openssl dgst -sha256', 'openssl', ['dgst', '-sha256', `${repo}/big.bin`]], ['cp + sync (no hash)', ...shell(`cp ${repo}/big.bin ${out}/o && sync ${out}/o`)]],
  [3, `push one ${(GIB / 2 ** 30).toFixed(0)} GiB file, folder remote`, 1.5, ['cp -a', 'cp', ['-a', `${repo}/one.bin`, `${out}/o`]], ['cp -a + sync', ...shell(`cp -a ${repo}/one.bin ${out}/o && sync ${out}/o`)]],
  [3, `push ${SMALL} files, folder remote`, 1.5, ['cp -a', 'cp', ['-a', data, `${out}/data`]], ['cp -a + one syncfs', ...shell(`cp -a ${data} ${out}/data && sync -f ${out}/data`)]],
  [3, `pull one ${(GIB / 2 ** 30).toFixed(0)} GiB file (cache, then workspace copy)`, 1.5, ['cp -a', 'cp', ['-a', `${repo}/one.bin`, `${out}/o`]], ['cp -a + sync, cp -a', ...shell(`cp -a ${repo}/one.bin ${out}/c && sync ${out}/c && cp -a ${out}/c ${out}/o`)]],
  // Every byte that arrives in a store is hashed before it is named (SECURITY.md: a remote is hostile; push
  // checks the cache's bytes on their way out): the floors with that rule add a sha256 of the bytes, run
  // beside the copy (the least it can cost: the slower of the two, not their sum).
  [3, `push one ${(GIB / 2 ** 30).toFixed(0)} GiB file, folder remote, every byte hashed`, 1.3, ['cp -a + sync', ...shell(`cp -a ${repo}/one.bin ${out}/o && sync ${out}/o`)], ['(cp -a + sync) | openssl sha256', ...shell(`(cp -a ${repo}/one.bin ${out}/o && sync ${out}/o) & openssl dgst -sha256 ${repo}/one.bin >/dev/null; wait`)]],
  [3, `pull one ${(GIB / 2 ** 30).toFixed(0)} GiB file, every byte hashed`, 1.3, ['cp -a + sync, cp -a', ...shell(`cp -a ${repo}/one.bin ${out}/c && sync ${out}/c && cp -a ${out}/c ${out}/o`)], ['(cp -a + sync) | openssl sha256, cp -a', ...shell(`(cp -a ${repo}/one.bin ${out}/c && sync ${out}/c) & openssl dgst -sha256 ${repo}/one.bin >/dev/null; wait; cp -a ${out}/c ${out}/o`)]],
  [3, `pull ${SMALL} files (cache, then workspace copy)`, 1.5, ['cp -a', 'cp', ['-a', data, `${out}/data`]], ['cp -a + syncfs, cp -a', ...shell(`cp -a ${data} ${out}/c && sync -f ${out}/c && cp -a ${out}/c ${out}/data`)]],
  [5, `worktree new, ${SMALL} files + ${(BIG / 2 ** 30).toFixed(0)} GiB, hardlink`, 1.5, ['git worktree add + cp -al', ...shell(`cd ${wtRepo} && git worktree add -q ${work}/wt && cp -al data big.bin ${work}/wt/`)], ['Node: git worktree add, link every file', node, [scripts.worktreeLinkAll, wtRepo, `${work}/wt`, 'data', 'big.bin']]],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function once(cmd, args) {
  clean();
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

const lines = [
  `## floors under the missed targets (${RUNS} interleaved runs each, median; ${quick ? 'quick sizes' : 'full sizes'})`,
  '',
  '| issue | workload | peer | peer (s) | floor program | floor (s) | floor / peer | target | reachable |',
  '|---|---|---|---:|---|---:|---:|---:|:---:|',
];
for (const [issue, workload, target, [peerName, peerCmd, peerArgs], [floorName, floorCmd, floorArgs]] of workloads) {
  console.error(workload);
  const peer = [];
  const floor = [];
  for (let i = 0; i < RUNS; i++) {
    peer.push(once(peerCmd, peerArgs));
    floor.push(once(floorCmd, floorArgs));
  }
  console.error(`  ${peerName}: ${peer.map((t) => t.toFixed(3)).join(' ')}\n  ${floorName}: ${floor.map((t) => t.toFixed(3)).join(' ')}`);
  const ratio = median(floor) / median(peer);
  lines.push(`| ${issue} | ${workload} | ${peerName} | ${median(peer).toFixed(3)} | ${floorName} | ${median(floor).toFixed(3)} | ${ratio.toFixed(2)}x | <= ${target}x | ${ratio <= target ? 'yes' : 'no'} |`);
}
clean();
console.log(lines.join('\n') + '\n');
fs.rmSync(work, { recursive: true, force: true });
