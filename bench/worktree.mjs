#!/usr/bin/env node
// `cairn worktree new` against `git worktree add` + copying the artifacts by hand,
// in a repo with 10,000 artifact files of 4 KiB and one 2 GiB file:
//   copy mode     vs  git worktree add + cp -a
//   hardlink mode vs  git worktree add + cp -al
// Usage: node bench/worktree.mjs [--quick] [--runs N]
import fs from 'node:fs';
import path from 'node:path';
import { CAIRN, benchEnv, gitInit, makeBigFile, makeSmallFiles, printTable, sh, timeIt, workDir } from './lib.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 1 : 3;
const BIG = quick ? 256 * 1024 * 1024 : 2 * 1024 * 1024 * 1024;
const SMALL = quick ? 2000 : 10_000;
const node = process.execPath;
const env = benchEnv();
const work = workDir('worktree');
const main = path.join(work, 'main');

gitInit(main, env);
sh(node, [CAIRN, 'init'], { cwd: main, env });
console.error(`making ${SMALL} small files and a ${(BIG / 2 ** 30).toFixed(2)} GiB file ...`);
makeSmallFiles(path.join(main, 'data'), SMALL, 4096);
fs.mkdirSync(path.join(main, 'models'));
makeBigFile(path.join(main, 'models', 'big.bin'), BIG);
sh(node, [CAIRN, 'add', 'data', 'models/big.bin'], { cwd: main, env });
sh('git', ['add', '-A'], { cwd: main, env });
sh('git', ['commit', '-q', '-m', 'artifacts'], { cwd: main, env });
sh('cat', [path.join(main, 'models', 'big.bin')], { stdio: ['ignore', 'ignore', 'ignore'] });

let n = 0;
const cleanup = () => {
  for (const name of fs.readdirSync(work)) {
    if (name.startsWith('exp-') || name.startsWith('peer-')) sh('git', ['worktree', 'remove', '--force', '--force', path.join(work, name)], { cwd: main, env });
  }
  sh('git', ['worktree', 'prune'], { cwd: main, env });
  for (const b of sh('git', ['branch', '--format=%(refname:short)'], { cwd: main, env }).split('\n')) {
    if (b.startsWith('exp/') || b.startsWith('peer-')) sh('git', ['branch', '-q', '-D', b], { cwd: main, env });
  }
};
const setLink = (link) => fs.writeFileSync(path.join(main, '.cairn', 'config.json'), JSON.stringify({ cache: { link } }) + '\n');
const peer = (cpFlags) => (i) => {
  const dir = path.join(work, `peer-${i}-${++n}`);
  return [
    '-c',
    `git worktree add -q -b peer-${n} '${dir}' HEAD && cp ${cpFlags} '${main}/data' '${dir}/data' && cp ${cpFlags} '${main}/models/big.bin' '${dir}/models/big.bin'`,
  ];
};

const rows = [];
for (const [link, cpFlags, target] of [
  ['copy', '-a', 2],
  ['hardlink', '-al', 1.5],
]) {
  setLink(link);
  sh('git', ['commit', '-q', '-am', `link ${link}`], { cwd: main, env });
  const cairnTime = timeIt(
    `cairn worktree new (${link})`,
    RUNS,
    () => (cleanup(), { cwd: main, env }),
    node,
    () => [CAIRN, 'worktree', 'new', `b${++n}`],
  );
  const peerTime = timeIt(`git worktree add + cp ${cpFlags}`, RUNS, () => (cleanup(), { cwd: main, env }), 'sh', peer(cpFlags));
  rows.push({
    workload: `worktree new, ${SMALL} files + 1 big file (${link})`,
    cairn: cairnTime,
    peerName: `git worktree add + cp ${cpFlags}`,
    peer: peerTime,
    target,
  });
}
cleanup();
printTable(`worktree new (${RUNS} run(s) each, median; ${quick ? 'quick sizes' : 'full sizes'})`, rows);
fs.rmSync(work, { recursive: true, force: true });
