#!/usr/bin/env node
// Exploring history against the plain tools, in one run:
//   cairn explore get of a 1 GiB model at an old tag (object in the cache)  vs  cp of that file
//   cairn explore list --json with 1,000 experiment tags                     vs  git for-each-ref of the same tags
//                                                                             (and a Node script spawning it: the floor of any Node tool)
// Usage: node bench/explore.mjs [--quick] [--runs N]
import fs from 'node:fs';
import path from 'node:path';
import { CAIRN, ROOT, benchEnv, gitInit, makeBigFile, printTable, sh, timeIt, workDir } from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 3 : 7;
const BIG = quick ? 256 * 1024 * 1024 : 1024 * 1024 * 1024;
const TAGS = 1000;
const node = process.execPath;
const env = benchEnv();
const work = workDir('explore');
const rows = [];
const { renderTagMessage } = await import(path.join(ROOT, 'dist', 'index.js'));

// ---- explore get of a big model at an old tag ----
const repo = path.join(work, 'repo');
gitInit(repo, env);
sh(node, [CAIRN, 'init'], { cwd: repo, env });
fs.mkdirSync(path.join(repo, 'models'));
makeBigFile(path.join(repo, 'models', 'model.bin'), BIG);
sh(node, [CAIRN, 'add', 'models/model.bin'], { cwd: repo, env });
sh('git', ['add', '-A'], { cwd: repo, env });
sh('git', ['commit', '-q', '-m', 'model v1'], { cwd: repo, env });
sh(node, [CAIRN, 'tag', 'e0.1.0', '--no-db'], { cwd: repo, env });
const oldCopy = path.join(work, 'model-v1.bin');
fs.copyFileSync(path.join(repo, 'models', 'model.bin'), oldCopy);
fs.writeFileSync(path.join(repo, 'models', 'model.bin'), 'a newer, smaller model');
sh(node, [CAIRN, 'add', 'models/model.bin'], { cwd: repo, env });
sh('git', ['commit', '-q', '-am', 'model v2'], { cwd: repo, env });
sh('cat', [oldCopy], { stdio: ['ignore', 'ignore', 'ignore'] });
const out = path.join(work, 'out.bin');
const get = timeIt('cairn explore get', RUNS, () => (fs.rmSync(out, { force: true }), { cwd: repo, env }), node, [
  CAIRN,
  'explore',
  'get',
  'e0.1.0',
  'models/model.bin',
  '-o',
  out,
]);
const cp = timeIt('cp', RUNS, () => (fs.rmSync(out, { force: true }), {}), 'cp', [oldCopy, out]);
rows.push({ workload: `explore get, ${(BIG / 2 ** 30).toFixed(2)} GiB model at an old tag`, cairn: get, peerName: 'cp', peer: cp, target: 1.3 });
fs.rmSync(out, { force: true });

// ---- explore list with 1,000 tags (one fast-import) ----
const tags = path.join(work, 'tags');
gitInit(tags, env);
const chunks = [];
for (let i = 0; i < TAGS; i++) {
  const msg = `run ${i}\n`;
  chunks.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Bench <b@c.invalid> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`);
  if (i > 0) chunks.push(`from :${i}\n`);
  chunks.push('\n');
  const version = `e${Math.floor(i / 50)}.${(i % 50) + 1}.0`;
  const message = renderTagMessage({
    version,
    run: `run-${i}`,
    metrics: { f1: (i % 97) / 100, loss: 1 - (i % 89) / 100 },
    params: { lr: 10 ** -(1 + (i % 4)), model: 'bert-base' },
    data: `sha256:${String(i).padStart(64, '0')}`,
    text: `sweep ${i}`,
  });
  chunks.push(`tag ${version}\nfrom :${i + 1}\ntagger Bench <b@c.invalid> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
}
sh('git', ['fast-import', '--quiet'], { cwd: tags, env, input: chunks.join('') });
sh('git', ['checkout', '-q', 'main'], { cwd: tags, env });
sh(node, [CAIRN, 'init'], { cwd: tags, env });
const floorScript = path.join(work, 'floor.mjs');
fs.writeFileSync(
  floorScript,
  "import { execFileSync } from 'node:child_process';\nprocess.stdout.write(execFileSync('git', ['for-each-ref', '--format=%(refname:strip=2) %(objectname) %(contents)', 'refs/tags'], { maxBuffer: 1 << 28 }));\n",
);
const list = timeIt('cairn explore list --json', RUNS, () => ({ cwd: tags, env }), node, [CAIRN, 'explore', 'list', '--json']);
const forEachRef = timeIt('git for-each-ref', RUNS, () => ({ cwd: tags, env }), 'git', [
  'for-each-ref',
  '--format=%(refname:strip=2) %(objectname) %(contents)',
  'refs/tags',
]);
const floor = timeIt('node + git for-each-ref', RUNS, () => ({ cwd: tags, env }), node, [floorScript]);
rows.push({ workload: `explore list --json, ${TAGS} tags`, cairn: list, peerName: 'git for-each-ref', peer: forEachRef, target: 2 });
rows.push({ workload: `explore list --json, ${TAGS} tags`, cairn: list, peerName: 'node spawning git for-each-ref', peer: floor });

printTable(`explore (${RUNS} run(s) each, median; ${quick ? 'quick sizes' : 'full sizes'})`, rows);
fs.rmSync(work, { recursive: true, force: true });
