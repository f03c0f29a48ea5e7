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
// Where the bare floor is below what any program could reach under cairn's
// rules, a third program (role "rules") adds that rule, and the target is
// held against it; both floors are printed.
//
// Each row also times cairn itself (this checkout's build, or --cairn PATH)
// in the same rounds: peer, floor and cairn take turns, so that the load of
// a shared machine falls on all three alike, and the row gives cairn / floor
// and cairn / peer from that one run. A target is out of reach when
// floor / peer alone is above it.
//
// Usage: node bench/floors.mjs [--runs N] [--quick] [--only status,checkout,...] [--cairn path/to/bin/cairn.js]
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { CAIRN, benchEnv, ensureTools, gitInit, has, loadAverage, makeBigFile, makeSmallFiles, makeTagRepo, median, sh, workDir } from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 3 : 5;
const BIG = quick ? 256 * 2 ** 20 : 2 * 2 ** 30;
const GIB = quick ? 128 * 2 ** 20 : 2 ** 30;
const SMALL = quick ? 2000 : 10_000;
const flag = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : null);
const only = flag('--only')?.split(',');
const BIN = path.resolve(flag('--cairn') ?? CAIRN);
const TAGS = quick ? 200 : 1000;
const node = process.execPath;
ensureTools({ 'git-annex': 'git-annex', openssl: 'openssl' });
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
// Floors under cairn's own rules (issue 21: where the bare floor is below what
// any program could reach under them): status must ask git which pointer
// files there are (tracked, or untracked and not ignored), and a link to a
// cache object is made only after a stat shows the object unchanged since it
// was hashed.
const LS_FILES_LSTAT_ALL = `import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.cairn'], { cwd: process.argv[2] });
const walk = (dir) => { for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
  const p = dir + '/' + d.name;
  if (d.isDirectory()) walk(p); else fs.lstatSync(p, { bigint: true });
} };
walk(process.argv[3]);
`;
const STAT_LINK = `const walk = (src, dst) => { fs.mkdirSync(dst); for (const d of fs.readdirSync(src, { withFileTypes: true })) {
  if (d.isDirectory()) walk(src + '/' + d.name, dst + '/' + d.name);
  else { fs.statSync(src + '/' + d.name, { bigint: true }); fs.linkSync(src + '/' + d.name, dst + '/' + d.name); }
} };`;
const STAT_LINK_ALL = `import fs from 'node:fs';
${STAT_LINK}
walk(process.argv[2], process.argv[3]);
`;
const WORKTREE_STAT_LINK_ALL = `import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
const [repo, dest, ...items] = process.argv.slice(2);
execFileSync('git', ['worktree', 'add', '-q', dest], { cwd: repo });
${STAT_LINK}
for (const item of items) {
  if (fs.statSync(repo + '/' + item).isDirectory()) walk(repo + '/' + item, dest + '/' + item);
  else { fs.statSync(repo + '/' + item, { bigint: true }); fs.linkSync(repo + '/' + item, dest + '/' + item); }
}
`;
const SPAWN_FOR_EACH_REF = `import { execFileSync } from 'node:child_process';
process.stdout.write(execFileSync('git', ['for-each-ref', '--format=%(refname:strip=2) %(objectname) %(contents)', 'refs/tags'], { maxBuffer: 1 << 28 }));
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
for (const [name, text] of Object.entries({
  lstatAll: LSTAT_ALL,
  linkAll: LINK_ALL,
  worktreeLinkAll: WORKTREE_LINK_ALL,
  spawnForEachRef: SPAWN_FOR_EACH_REF,
  lsFilesLstatAll: LS_FILES_LSTAT_ALL,
  statLinkAll: STAT_LINK_ALL,
  worktreeStatLinkAll: WORKTREE_STAT_LINK_ALL,
})) {
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
// cairn's own repository: the same 10,000 files added in copy mode (the stat
// cache warm), then the big file added in hardlink mode (for worktree new).
const crepo = path.join(work, 'cairn-repo');
gitInit(crepo, env);
sh(node, [BIN, 'init'], { cwd: crepo, env });
sh('cp', ['-a', data, path.join(crepo, 'data')]);
sh(node, [BIN, 'add', 'data'], { cwd: crepo, env });
fs.linkSync(path.join(repo, 'big.bin'), path.join(crepo, 'big.bin'));
sh(node, [BIN, 'add', 'big.bin'], { cwd: crepo, env: { ...env, CAIRN_CACHE_LINK: 'hardlink' } });
sh('git', ['add', '-A'], { cwd: crepo, env });
sh('git', ['commit', '-q', '-m', 'artifacts'], { cwd: crepo, env });
for (let i = 0; i < 2; i++) sh(node, [BIN, 'status'], { cwd: crepo, env });
const linkEnv = { ...env, CAIRN_CACHE_LINK: 'hardlink' };
// 1,000 experiment tags, for explore list.
const tagRepo = path.join(work, 'tags');
const { renderTagMessage } = await import(pathToFileURL(path.join(path.dirname(BIN), '..', 'dist', 'index.js')).href);
makeTagRepo(tagRepo, TAGS, env, renderTagMessage, BIN);
sh(node, [BIN, 'tags', '--json'], { cwd: tagRepo, env });

let fresh = 0;
let branch = 0;
/** A fresh repo holding a hard link to the big file; cairn initialised, or git-annex. */
const bigRepo = (kind) => () => {
  const dir = path.join(work, `fresh-${++fresh}`);
  gitInit(dir, env);
  fs.linkSync(path.join(repo, 'big.bin'), path.join(dir, 'big.bin'));
  if (kind === 'cairn') sh(node, [BIN, 'init'], { cwd: dir, env });
  else sh('git', ['annex', 'init', '-q', 'bench'], { cwd: dir, env });
  return dir;
};
const clean = () => {
  for (const [dir, wt] of [
    [wtRepo, path.join(work, 'wt')],
    [crepo, path.join(work, 'cwt')],
  ]) {
    spawnSync('git', ['worktree', 'remove', '--force', '--force', wt], { cwd: dir, env });
    spawnSync('git', ['worktree', 'prune'], { cwd: dir, env });
  }
  for (const n of fs.readdirSync(work)) {
    if (!n.startsWith('fresh-')) continue;
    spawnSync('chmod', ['-R', 'u+w', path.join(work, n)]); // git-annex leaves read-only folders
    fs.rmSync(path.join(work, n), { recursive: true, force: true });
  }
  for (const p of [out, path.join(work, 'wt'), path.join(work, 'cwt')]) fs.rmSync(p, { recursive: true, force: true });
  fs.mkdirSync(out);
};
const shell = (script) => ['sh', ['-c', script]];
const bigGiB = (BIG / 2 ** 30).toFixed(2).replace(/\.00$/, '');
const oneGiB = (GIB / 2 ** 30).toFixed(2).replace(/\.00$/, '');

/**
 * Rows: key, issue, workload, target (a ratio to the floor or to a peer, or
 * null), and contenders [role, label, cmd, args, options] where options.prepare()
 * (untimed) returns the cwd, options.env is the environment. Roles: peer,
 * floor, cairn (a row without cairn is the floor of another engineer's workload).
 */
const cairn = (label, args, options = {}) => ['cairn', label, node, [BIN, ...args], options];
const workloads = [
  [
    'status',
    21,
    `status, ${SMALL} files unchanged`,
    { floor: 1.3 },
    [
      ['peer', 'git status', 'git', ['status']],
      ['floor', 'Node: lstat every file', node, [scripts.lstatAll, data]],
      ['rules', 'Node: git ls-files *.cairn, lstat every file', node, [scripts.lsFilesLstatAll, crepo, data]],
      cairn('cairn status', ['status'], { prepare: () => crepo }),
    ],
  ],
  [
    'checkout',
    21,
    `checkout ${SMALL} files, hardlink`,
    { floor: 1.3 },
    [
      ['peer', 'cp -al', 'cp', ['-al', data, `${out}/data`]],
      ['floor', 'Node: link every file', node, [scripts.linkAll, data, `${out}/data`]],
      ['rules', 'Node: stat and link every file', node, [scripts.statLinkAll, data, `${out}/data`]],
      cairn('cairn checkout', ['checkout'], { env: linkEnv, prepare: () => (fs.rmSync(path.join(crepo, 'data'), { recursive: true, force: true }), crepo) }),
    ],
  ],
  [
    'worktree',
    21,
    `worktree new, ${SMALL} files + ${bigGiB} GiB, hardlink`,
    { floor: 1.3 },
    [
      ['peer', 'git worktree add + cp -al', ...shell(`cd ${wtRepo} && git worktree add -q ${work}/wt && cp -al data big.bin ${work}/wt/`)],
      ['floor', 'Node: git worktree add, link every file', node, [scripts.worktreeLinkAll, wtRepo, `${work}/wt`, 'data', 'big.bin']],
      ['rules', 'Node: git worktree add, stat and link every file', node, [scripts.worktreeStatLinkAll, wtRepo, `${work}/wt`, 'data', 'big.bin']],
      cairn('cairn worktree new', ['worktree', 'new', '--path', `${work}/cwt`], { env: linkEnv, prepare: () => crepo, branch: true }),
    ],
  ],
  [
    'add-copy',
    21,
    `add one ${bigGiB} GiB file, copy mode`,
    { floor: 1.2, 'git annex add': 0.8 },
    [
      ['peer', 'git annex add', 'git', ['annex', 'add', '-q', 'big.bin'], { prepare: bigRepo('annex') }],
      ['peer', 'openssl dgst -sha256', 'openssl', ['dgst', '-sha256', `${repo}/big.bin`]],
      ['floor', 'cp + sync (no hash)', ...shell(`cp ${repo}/big.bin ${out}/o && sync ${out}/o`)],
      cairn('cairn add', ['add', 'big.bin'], { prepare: bigRepo('cairn') }),
    ],
  ],
  [
    'add-hardlink',
    21,
    `add one ${bigGiB} GiB file, hardlink mode`,
    { floor: 1.1 },
    [
      ['floor', 'openssl dgst -sha256', 'openssl', ['dgst', '-sha256', `${repo}/big.bin`]],
      cairn('cairn add', ['add', 'big.bin'], { env: linkEnv, prepare: bigRepo('cairn') }),
    ],
  ],
  [
    'explore',
    21,
    `explore list --json, ${TAGS} tags`,
    { floor: 1.3 },
    [
      ['peer', 'git for-each-ref', 'git', ['for-each-ref', '--format=%(refname:strip=2) %(objectname) %(contents)', 'refs/tags'], { prepare: () => tagRepo }],
      ['floor', 'Node: spawn git for-each-ref', node, [scripts.spawnForEachRef], { prepare: () => tagRepo }],
      cairn('cairn explore list --json', ['explore', 'list', '--json'], { prepare: () => tagRepo }),
    ],
  ],
  // push and pull: floors only here (bench/remote.mjs times cairn on them).
  [
    'push',
    3,
    `push one ${oneGiB} GiB file, folder remote`,
    { floor: 1.3 },
    [
      ['peer', 'cp -a', 'cp', ['-a', `${repo}/one.bin`, `${out}/o`]],
      ['floor', 'cp -a + sync', ...shell(`cp -a ${repo}/one.bin ${out}/o && sync ${out}/o`)],
    ],
  ],
  [
    'push',
    3,
    `push ${SMALL} files, folder remote`,
    { floor: 1.3 },
    [
      ['peer', 'cp -a', 'cp', ['-a', data, `${out}/data`]],
      ['floor', 'cp -a + one syncfs', ...shell(`cp -a ${data} ${out}/data && sync -f ${out}/data`)],
    ],
  ],
  [
    'pull',
    3,
    `pull one ${oneGiB} GiB file (cache, then workspace copy)`,
    { floor: 1.3 },
    [
      ['peer', 'cp -a', 'cp', ['-a', `${repo}/one.bin`, `${out}/o`]],
      ['floor', 'cp -a + sync, cp -a', ...shell(`cp -a ${repo}/one.bin ${out}/c && sync ${out}/c && cp -a ${out}/c ${out}/o`)],
    ],
  ],
  [
    'pull',
    3,
    `pull ${SMALL} files (cache, then workspace copy)`,
    { floor: 1.3 },
    [
      ['peer', 'cp -a', 'cp', ['-a', data, `${out}/data`]],
      ['floor', 'cp -a + syncfs, cp -a', ...shell(`cp -a ${data} ${out}/c && sync -f ${out}/c && cp -a ${out}/c ${out}/data`)],
    ],
  ],
  // Every byte that arrives in a store is hashed before it is named (SECURITY.md: a remote is hostile; push
  // checks the cache's bytes on their way out): the floors with that rule add a sha256 of the bytes, run
  // beside the copy (the least it can cost: the slower of the two, not their sum).
  [
    'push',
    3,
    `push one ${oneGiB} GiB file, folder remote, every byte hashed`,
    { floor: 1.3 },
    [
      ['peer', 'cp -a + sync', ...shell(`cp -a ${repo}/one.bin ${out}/o && sync ${out}/o`)],
      [
        'floor',
        '(cp -a + sync) | openssl sha256',
        ...shell(`(cp -a ${repo}/one.bin ${out}/o && sync ${out}/o) & openssl dgst -sha256 ${repo}/one.bin >/dev/null; wait`),
      ],
    ],
  ],
  [
    'pull',
    3,
    `pull one ${oneGiB} GiB file, every byte hashed`,
    { floor: 1.3 },
    [
      ['peer', 'cp -a + sync, cp -a', ...shell(`cp -a ${repo}/one.bin ${out}/c && sync ${out}/c && cp -a ${out}/c ${out}/o`)],
      [
        'floor',
        '(cp -a + sync) | openssl sha256, cp -a',
        ...shell(`(cp -a ${repo}/one.bin ${out}/c && sync ${out}/c) & openssl dgst -sha256 ${repo}/one.bin >/dev/null; wait; cp -a ${out}/c ${out}/o`),
      ],
    ],
  ],
];

function once(cmd, args, options = {}) {
  clean();
  const cwd = options.prepare?.() ?? repo;
  const argv = options.branch ? [...args.slice(0, 3), `b${++branch}`, ...args.slice(3)] : args;
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, env: options.env ?? env, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

const load0 = loadAverage();
const lines = [
  `## cairn, its floor and its peers (${RUNS} interleaved runs each, median; ${quick ? 'quick sizes' : 'full sizes'})`,
  '',
  "| issue | workload | cairn (s) | floor program | floor (s) | peer | peer (s) | floor / peer | cairn / floor | cairn / peer | floor under cairn's rules | that floor (s) | cairn / that floor | target | met |",
  '|---|---|---:|---|---:|---|---:|---:|---:|---:|---|---:|---:|---|:---:|',
];
for (const [key, issue, workload, targets, contenders] of workloads) {
  if (only && !only.includes(key)) continue;
  if (contenders.some(([, label]) => label === 'git annex add') && !has('git-annex')) contenders.splice(0, 1);
  console.error(workload);
  const times = contenders.map(() => []);
  for (let i = 0; i < RUNS; i++) contenders.forEach(([, , cmd, args, options], j) => times[j].push(once(cmd, args, options)));
  const med = {};
  contenders.forEach(([, label], j) => {
    console.error(`  ${label}: ${times[j].map((t) => t.toFixed(3)).join(' ')}`);
    med[label] = median(times[j]);
  });
  const floorLabel = contenders.find((c) => c[0] === 'floor')[1];
  const cairnLabel = contenders.find((c) => c[0] === 'cairn')?.[1];
  const rulesLabel = contenders.find((c) => c[0] === 'rules')?.[1];
  const peers = contenders.filter((c) => c[0] === 'peer').map((c) => c[1]);
  for (const peer of peers.length ? peers : [null]) {
    const c = cairnLabel ? med[cairnLabel] : null;
    const f = med[floorLabel];
    const p = peer ? med[peer] : null;
    const r = rulesLabel ? med[rulesLabel] : null;
    // Where a floor under cairn's rules is measured, the floor target holds against it (issue 21).
    const goals = Object.entries(targets).filter(([of]) => of === 'floor' || of === peer);
    const base = (of) => (of === 'floor' ? (r ?? f) : p);
    const met = c === null ? '-' : goals.every(([of, t]) => c / base(of) <= t) ? 'yes' : 'no';
    const fmt = (x) => (x === null ? '-' : x.toFixed(3));
    const ratio = (a, b) => (a === null || b === null ? '-' : `${(a / b).toFixed(2)}x`);
    lines.push(
      `| ${issue} | ${workload} | ${fmt(c)} | ${floorLabel} | ${fmt(f)} | ${peer ?? '-'} | ${fmt(p)} | ${ratio(f, p)} | ${ratio(c, f)} | ${ratio(c, p)} | ${rulesLabel ?? '-'} | ${fmt(r)} | ${ratio(c, r)} | ${goals.map(([of, t]) => `<= ${t}x ${of === 'floor' && r !== null ? 'floor under the rules' : of}`).join(', ')} | ${met} |`,
    );
  }
}
clean();
lines.push('', `load average: ${load0} at start, ${loadAverage()} at end; cairn: ${BIN}`);
console.log(lines.join('\n') + '\n');
fs.rmSync(work, { recursive: true, force: true });
