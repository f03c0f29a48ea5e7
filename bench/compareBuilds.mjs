#!/usr/bin/env node
// Time one cairn command as built in several checkouts (e.g. this one and a
// copy with one shortcut taken out), on the same repository, runs
// interleaved, 2 warm-ups. Reports the median wall-clock time and the mean
// CPU time (user + system) of the whole process tree, git included, which
// a loaded machine moves far less than wall-clock time. Needs /usr/bin/time.
//
//   node bench/compareBuilds.mjs REPO RUNS NAME=CHECKOUT[,NAME=CHECKOUT...] -- CAIRN ARGS...
//   e.g. node bench/compareBuilds.mjs /tmp/tags/repo 21 now=.,before=/tmp/base -- tags --json
//
// Used for docs/BENCHMARKS.md, "Git shortcuts".
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const [repo, runsText, variantsText, dashes, ...cmd] = process.argv.slice(2);
if (!repo || !runsText || !variantsText || dashes !== '--' || cmd.length === 0) {
  process.stderr.write('usage: node bench/compareBuilds.mjs REPO RUNS NAME=CHECKOUT[,...] -- CAIRN ARGS...\n');
  process.exit(2);
}
const runs = Number(runsText);
const variants = variantsText.split(',').map((v) => {
  const [name, dir] = v.split('=');
  return { name, bin: path.resolve(dir, 'bin', 'cairn.js'), wall: [], cpu: [] };
});
const WARMUP = 2;
for (let r = 0; r < runs + WARMUP; r++) {
  for (const v of r % 2 ? variants : [...variants].reverse()) {
    const start = process.hrtime.bigint();
    const p = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, v.bin, '-C', repo, ...cmd], {
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 28,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (p.status !== 0) throw new Error(`${v.name}: exit ${p.status}: ${p.stderr}`);
    const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(p.stderr.toString());
    if (r >= WARMUP) {
      v.wall.push(ms);
      v.cpu.push((Number(m[1]) + Number(m[2])) * 1000);
    }
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
for (const v of variants) {
  process.stdout.write(`${cmd.join(' ')} | ${v.name} | wall median ${median(v.wall).toFixed(1)} ms | CPU mean ${mean(v.cpu).toFixed(1)} ms | n=${runs}\n`);
}
