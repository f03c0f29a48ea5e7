/**
 * `cairn run` and `cairn reproduce` end to end: the built CLI runs a real
 * Python training script that logs xetrack-shaped rows, and every claim is
 * checked against git (commit, tag, trailers) and the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { fileDigest, type TestRepo } from '../helpers/repo.js';
import { trainingRepo } from '../helpers/training.js';

const DB = 'results/experiments.db';

function bestRow(repo: TestRepo, version: string): { f1: number; loss: number; track_id: string } {
  const db = new Database(path.join(repo.dir, DB), { readonly: true });
  try {
    return db.prepare('SELECT f1, loss, track_id FROM "default" WHERE version = ? ORDER BY f1 DESC LIMIT 1').get(version) as {
      f1: number;
      loss: number;
      track_id: string;
    };
  } finally {
    db.close();
  }
}

function trailers(repo: TestRepo, object: string): Record<string, string[]> {
  const message = repo.git('cat-file', object.startsWith('refs/tags/') ? 'tag' : 'commit', object.replace('refs/tags/', ''));
  const out: Record<string, string[]> = {};
  const file = path.join(repo.dir, '.git', 'msg-for-test');
  fs.writeFileSync(file, message.slice(message.indexOf('\n\n') + 2));
  for (const line of repo.git('interpret-trailers', '--parse', file).trim().split('\n')) {
    const colon = line.indexOf(': ');
    (out[line.slice(0, colon)] ??= []).push(line.slice(colon + 2));
  }
  fs.rmSync(file);
  return out;
}

function tags(repo: TestRepo): string[] {
  return repo.git('tag', '--list').trim().split('\n').filter(Boolean);
}

describe.concurrent('cairn run', () => {
  it('runs a real training script and records it: outputs committed, tag with the best row and the run trailers', async () => {
    const repo = await trainingRepo();
    const before = repo.git('rev-parse', 'HEAD').trim();
    const r = await cairn(['run', '-m', 'baseline', '--', 'python3', 'train.py'], { cwd: repo.dir, env: { LR: '0.1' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('trained e0.1.0'); // the command's output streams through
    expect(r.stdout).toMatch(/tagged [0-9a-f]{12} as e0\.1\.0/);
    expect(r.stderr).toContain('cairn run: e0.1.0: python3 train.py');

    // The commit: the pointer and .gitignore of the results database, on top of the old HEAD.
    expect(repo.git('rev-parse', 'HEAD~1').trim()).toBe(before);
    expect(repo.git('show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual(['results/.gitignore', 'results/experiments.db.cairn']);
    expect(repo.git('log', '-1', '--format=%s').trim()).toBe('baseline (cairn run e0.1.0)');
    expect(repo.git('status', '--porcelain', '--untracked-files=no').trim()).toBe('');
    const pointer = JSON.parse(repo.read(`${DB}.cairn`));
    expect(pointer.hash).toBe(`sha256:${fileDigest(path.join(repo.dir, DB))}`);

    // The tag: on that commit, with the best row's metrics and the run's trailers, as git parses them.
    expect(repo.git('rev-parse', 'e0.1.0^{commit}').trim()).toBe(repo.git('rev-parse', 'HEAD').trim());
    expect(repo.git('cat-file', '-t', 'e0.1.0').trim()).toBe('tag');
    const t = trailers(repo, 'refs/tags/e0.1.0');
    const best = bestRow(repo, 'e0.1.0');
    expect(t['Cairn-Version']).toEqual(['e0.1.0']);
    expect(t['Cairn-Metric']).toContain(`f1=${best.f1}`);
    expect(t['Cairn-Run']).toEqual([best.track_id]);
    expect(t['Cairn-Command']).toEqual(['["python3","train.py"]']);
    expect(t['Cairn-Exit']).toEqual(['0']);
    expect(t['Cairn-Duration']![0]).toMatch(/^\d+\.\d{3}s$/);
    expect(t['Cairn-Dirty']).toEqual(['false']);
    expect(t['Cairn-Workdir']).toBeUndefined();
    // The commit carries the run trailers too.
    expect(trailers(repo, 'HEAD')['Cairn-Command']).toEqual(['["python3","train.py"]']);

    // explore show and cairn tags read them back (the web view uses the same document).
    const shown = JSON.parse((await cairnOk(['explore', 'show', 'e0.1.0', '--json'], { cwd: repo.dir })).stdout);
    expect(shown).toMatchObject({ tag: 'e0.1.0', command: ['python3', 'train.py'], exit: 0, dirty: false });
    expect(shown.duration).toBeGreaterThan(0);
    expect(shown.metrics.f1).toBe(best.f1);
    const human = (await cairnOk(['explore', 'show', 'e0.1.0'], { cwd: repo.dir })).stdout;
    expect(human).toContain('command: python3 train.py');
    expect(human).toMatch(/ran: {5}\d+\.\d s, exit 0, tree clean/);

    // A second run takes the next version; --bump patch and --json.
    const second = await cairn(['run', '--bump', 'patch', '--json', '--', 'python3', 'train.py'], { cwd: repo.dir, env: { LR: '0.05' } });
    expect(second.exitCode, second.stderr).toBe(0);
    const doc = JSON.parse(second.stdout); // the script's print went to stderr: stdout is one document
    expect(doc).toMatchObject({ status: 'tagged', version: 'e0.1.1', exitCode: 0, dirty: false, outputs: [DB], committed: true });
    expect(doc.tag.metrics.f1).toBe(bestRow(repo, 'e0.1.1').f1);
    expect(second.stderr).toContain('trained e0.1.1');
    expect(tags(repo)).toEqual(['e0.1.0', 'e0.1.1']);

    // --no-tag: committed with the run trailers, no tag; cairn tag makes it later.
    const untagged = await cairn(['run', '--no-tag', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(untagged.exitCode, untagged.stderr).toBe(0);
    expect(untagged.stdout).toContain('(not tagged: --no-tag; cairn tag e0.2.0 tags it)');
    expect(tags(repo)).toEqual(['e0.1.0', 'e0.1.1']);
    expect(trailers(repo, 'HEAD')['Cairn-Version']).toEqual(['e0.2.0']);
    await cairnOk(['tag', 'e0.2.0'], { cwd: repo.dir });
    expect(repo.git('rev-parse', 'e0.2.0^{commit}').trim()).toBe(repo.git('rev-parse', 'HEAD').trim());
  });

  it('in a subfolder and in an experiment worktree: records the folder, takes exp-NAME-vN', async () => {
    const repo = await trainingRepo();
    await cairnOk(['worktree', 'new', 'cnn'], { cwd: repo.dir });
    const wt = path.join(path.dirname(repo.dir), 'exp-cnn');
    fs.mkdirSync(path.join(wt, 'sub'));
    const r = await cairn(['run', '--', 'python3', '../train.py'], { cwd: path.join(wt, 'sub') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('as exp-cnn-v1');
    const shown = JSON.parse((await cairnOk(['explore', 'show', 'exp-cnn-v1', '--json'], { cwd: repo.dir })).stdout);
    expect(shown).toMatchObject({ command: ['python3', '../train.py'], workdir: 'sub' });
    // The folder is not committed (it is empty): reproduce says so instead of running somewhere else.
    const rep = await cairn(['reproduce', 'exp-cnn-v1'], { cwd: repo.dir });
    expect(rep.exitCode).toBe(4);
    expect(rep.stderr).toContain('the folder the command ran in, sub, is not in exp-cnn-v1');
  });

  it('a failing command: its exit status, nothing committed or tagged, outputs left where they are', async () => {
    const repo = await trainingRepo();
    const head = repo.git('rev-parse', 'HEAD').trim();
    const r = await cairn(['run', '--', 'python3', 'train.py'], { cwd: repo.dir, env: { EXIT: '3' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('the command exited 3: nothing was committed or tagged; its outputs stay where they are');
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(tags(repo)).toEqual([]);
    expect(repo.exists(DB)).toBe(true); // written before the failure, kept
    expect(repo.exists(`${DB}.cairn`)).toBe(false);
    expect(repo.git('diff', '--cached', '--name-only').trim()).toBe('');

    const json = await cairn(['run', '--json', '--', 'python3', '-c', 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'], { cwd: repo.dir });
    expect(json.exitCode).toBe(137); // 128 + 9, as a shell reports it
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed', exit: null, signal: 'SIGKILL', exitCode: 137 });
    expect(tags(repo)).toEqual([]);

    // The command succeeds but git refuses the commit (a pre-commit hook): the pointers are put back, the outputs stay.
    repo.write('.git/hooks/pre-commit', '#!/bin/sh\necho "hook says no" >&2\nexit 1\n', 0o755);
    const refused = await cairn(['run', '--allow-dirty', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('git refused the commit of e0.1.0: hook says no; nothing was committed or tagged');
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(tags(repo)).toEqual([]);
    expect(repo.exists(`${DB}.cairn`)).toBe(false);
    expect(repo.exists(DB)).toBe(true);
    expect(repo.git('diff', '--cached', '--name-only').trim()).toBe('');
    expect(fs.existsSync(path.join(repo.dir, '.git/cairn/run.json'))).toBe(false);
  });

  it('bad input: no command, not found, not executable, outputs not written, version exists, dirty tree', async () => {
    const repo = await trainingRepo();
    const head = repo.git('rev-parse', 'HEAD').trim();
    const none = await cairn(['run'], { cwd: repo.dir });
    expect(none.exitCode).toBe(2);
    const none2 = await cairn(['run', '--json', '--'], { cwd: repo.dir });
    expect(none2.exitCode).toBe(2);
    expect(JSON.parse(none2.stdout).error.code).toBe('E_USAGE');

    const missing = await cairn(['run', '--', 'no-such-trainer-xyz', '--lr', '1'], { cwd: repo.dir });
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('cairn: error: command not found: "no-such-trainer-xyz"');
    expect(missing.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const missingScript = await cairn(['run', '--', './train.sh'], { cwd: repo.dir });
    expect(missingScript.exitCode).toBe(127);

    repo.write('run.sh', '#!/bin/sh\necho hi\n', 0o644);
    const notExec = await cairn(['run', '--', './run.sh'], { cwd: repo.dir });
    expect(notExec.exitCode).toBe(126);
    expect(notExec.stderr).toContain('permission denied');
    fs.rmSync(path.join(repo.dir, 'run.sh'));

    const unwritten = await cairn(['run', '--', 'python3', 'train.py'], { cwd: repo.dir, env: { NO_WRITE: '1' } });
    expect(unwritten.exitCode).toBe(4);
    expect(unwritten.stderr).toContain(`did not write ${DB} (it does not exist); nothing was committed or tagged`);

    // A run that logs rows under another version cannot be tagged: refused before anything is committed.
    const wrongVersion = await cairn(['run', '--', 'sh', '-c', 'CAIRN_VERSION=other python3 train.py'], { cwd: repo.dir });
    expect(wrongVersion.exitCode).toBe(4);
    expect(wrongVersion.stderr).toContain('cannot be tagged: no rows for e0.1.0');
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(tags(repo)).toEqual([]);
    // The output it left is now an untracked file: commit nothing, remove it by hand for the test.
    fs.rmSync(path.join(repo.dir, DB));

    await cairnOk(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    const exists = await cairn(['run', '--as', 'e0.1.0', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(exists.exitCode).toBe(5);
    expect(exists.stderr).toContain('version e0.1.0 already exists (a tag); the next free version is e0.2.0');
    const bad = await cairn(['run', '--as', 'v1', '--', 'true'], { cwd: repo.dir });
    expect(bad.exitCode).toBe(2);

    // Dirty: an edited script is refused (exit 7) before the command runs; --allow-dirty records it.
    const digest = fileDigest(path.join(repo.dir, DB));
    fs.appendFileSync(path.join(repo.dir, 'train.py'), '\n# tweak\n');
    const dirty = await cairn(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(dirty.exitCode).toBe(7);
    expect(dirty.stderr).toContain('train.py');
    expect(fileDigest(path.join(repo.dir, DB))).toBe(digest); // the command did not run
    const allowed = await cairn(['run', '--allow-dirty', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(trailers(repo, 'refs/tags/e0.2.0')['Cairn-Dirty']).toEqual(['true']);
    expect(repo.git('status', '--porcelain', '--untracked-files=no').trim()).toBe('M train.py'); // not committed by the run
    expect(JSON.parse((await cairnOk(['explore', 'show', 'e0.2.0', '--json'], { cwd: repo.dir })).stdout).dirty).toBe(true);
  });

  it('forwards Ctrl-C (SIGINT) to the command, exits 130, records nothing', async () => {
    const repo = await trainingRepo();
    const child = spawn('node', [BIN, 'run', '--', 'python3', 'train.py'], { cwd: repo.dir, env: { ...process.env, SLEEP: '30' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 300 && !repo.exists('started'); i++) await sleep(50);
    expect(repo.exists('started')).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(repo.read('got-sigint')).toBe('SIGINT');
    expect(tags(repo)).toEqual([]);
    expect(repo.exists(`${DB}.cairn`)).toBe(false);
  });

  it('finishes a run killed between its commit and its tag, and drops one killed while its command ran', async () => {
    const repo = await trainingRepo();
    await cairnOk(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    // The state a kill -9 leaves after `git commit` and before `git tag`: the journal says `recording`.
    const commit = repo.git('rev-parse', 'HEAD').trim();
    const journal = {
      format: 1,
      phase: 'recording',
      version: 'e0.1.0',
      argv: ['python3', 'train.py'],
      workdir: '.',
      outputs: [DB],
      head: repo.git('rev-parse', 'HEAD~1').trim(),
      dirty: false,
      noTag: false,
      pid: 999999,
      exit: 0,
      duration: 1.5,
      commitMessage: repo.git('log', '-1', '--format=%B').trimEnd() + '\n',
    };
    const message = repo.git('cat-file', 'tag', 'e0.1.0');
    repo.git('tag', '-d', 'e0.1.0');
    fs.writeFileSync(path.join(repo.dir, '.git/cairn/run.json'), JSON.stringify(journal));
    const r = await cairn(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('finished the interrupted run of e0.1.0 (tagged e0.1.0)');
    expect(repo.git('rev-parse', 'e0.1.0^{commit}').trim()).toBe(commit);
    expect(repo.git('cat-file', 'tag', 'e0.1.0')).toContain('Cairn-Duration: 1.500s');
    expect(message).toContain('Cairn-Command: ["python3","train.py"]');
    expect(tags(repo)).toEqual(['e0.1.0', 'e0.2.0']);
    expect(fs.existsSync(path.join(repo.dir, '.git/cairn/run.json'))).toBe(false);

    // Killed while its command ran: nothing of it was recorded; dropped, with a word.
    fs.writeFileSync(path.join(repo.dir, '.git/cairn/run.json'), JSON.stringify({ ...journal, phase: 'running', version: 'e0.3.0', childPid: 999999 }));
    const next = await cairn(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    expect(next.exitCode, next.stderr).toBe(0);
    expect(next.stderr).toContain('the run of e0.3.0 was killed while its command ran; nothing of it was recorded');
    expect(tags(repo)).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0']);
  });
});

describe.concurrent('cairn reproduce', () => {
  it('a deterministic script reproduces exactly; injected noise beyond the tolerance differs (exit 9); the workspace is untouched', async () => {
    const repo = await trainingRepo();
    await cairnOk(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    const digest = fileDigest(path.join(repo.dir, DB));
    const head = repo.git('rev-parse', 'HEAD').trim();

    const same = await cairn(['reproduce', 'e0.1.0'], { cwd: repo.dir });
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stderr).toContain('cairn reproduce: running the command e0.1.0 records');
    expect(same.stderr).toContain('python3 train.py');
    expect(same.stdout).toMatch(/f1 +0\.8 +0\.8 +0\.00 +0\.00% +ok/);
    expect(same.stdout).toContain('e0.1.0 reproduced exactly');

    const noisy = await cairn(['reproduce', 'e0.1.0', '--tolerance', '0.001', '--json'], { cwd: repo.dir, env: { NOISE: '0.05' } });
    expect(noisy.exitCode).toBe(9);
    const doc = JSON.parse(noisy.stdout);
    expect(doc.status).toBe('differs');
    const f1 = doc.metrics.find((m: { name: string }) => m.name === 'f1');
    expect(f1.old).toBe(0.8);
    expect(f1.within).toBe(false);
    expect(f1.relative).toBeGreaterThan(0.001);
    expect(f1.absolute).toBeCloseTo(Math.abs(f1.new - 0.8), 12);

    const loose = await cairn(['reproduce', 'e0.1.0', '--tolerance', '0.5'], { cwd: repo.dir, env: { NOISE: '0.05' } });
    expect(loose.exitCode, loose.stdout + loose.stderr).toBe(0);
    expect(loose.stdout).toContain('e0.1.0 reproduced within 0.5');

    // Never the user's workspace: same HEAD, same database, clean tree, no worktree left.
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(fileDigest(path.join(repo.dir, DB))).toBe(digest);
    expect(repo.git('status', '--porcelain').trim()).toBe('');
    expect(fs.readdirSync(path.dirname(repo.dir)).filter((f) => f.startsWith('explore-'))).toEqual([]);
    expect(repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);

    const kept = await cairn(['reproduce', 'e0.1.0', '--keep'], { cwd: repo.dir });
    expect(kept.exitCode).toBe(0);
    expect(fs.existsSync(path.join(path.dirname(repo.dir), 'explore-e0.1.0', DB))).toBe(true);
    // An exploration worktree of that version exists now: reproduce wants a fresh one.
    const again = await cairn(['reproduce', 'e0.1.0'], { cwd: repo.dir });
    expect(again.exitCode).toBe(5);
    await cairnOk(['explore', 'cleanup', 'e0.1.0', '--force'], { cwd: repo.dir });
  });

  it('a script that recreates its database with the very same rows (fixed ids and timestamps) reproduces', async () => {
    const repo = await trainingRepo();
    repo.write(
      'fixed.py',
      [
        'import os, sqlite3',
        'p = os.path.join(os.environ["CAIRN_ROOT"], "results", "experiments.db")',
        'os.makedirs(os.path.dirname(p), exist_ok=True)',
        'if os.path.exists(p): os.remove(p)',
        'c = sqlite3.connect(p)',
        'c.execute(\'CREATE TABLE "default" (track_id TEXT, timestamp TEXT, version TEXT, f1 REAL)\')',
        'c.execute(\'INSERT INTO "default" VALUES (?, ?, ?, ?)\', ("run-1", "2026-01-01 00:00:00.000000", os.environ["CAIRN_VERSION"], 0.75))',
        'c.commit()',
        '',
      ].join('\n'),
    );
    repo.commit('fixed.py');
    await cairnOk(['run', '--', 'python3', 'fixed.py'], { cwd: repo.dir });
    const r = await cairn(['reproduce', 'e0.1.0'], { cwd: repo.dir });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('the command rewrote results/experiments.db#default with the same rows of e0.1.0');
    expect(r.stdout).toContain('e0.1.0 reproduced exactly');
  });

  it('bad input: a tag made by cairn tag, an unknown tag, data in no cache, a script that was never committed, a bad tolerance', async () => {
    const repo = await trainingRepo();
    await cairnOk(['run', '--', 'python3', 'train.py'], { cwd: repo.dir });
    await cairnOk(['tag', 'e0.2.0', '--no-db'], { cwd: repo.dir });
    const plain = await cairn(['reproduce', 'e0.2.0'], { cwd: repo.dir });
    expect(plain.exitCode).toBe(4);
    expect(plain.stderr).toContain('e0.2.0 has no recorded command: it was not made by cairn run');
    expect((await cairn(['reproduce', 'e7.7.7'], { cwd: repo.dir })).exitCode).toBe(4);
    expect((await cairn(['reproduce', 'e0.1.0', '--tolerance', '-1'], { cwd: repo.dir })).exitCode).toBe(2);
    expect((await cairn(['reproduce', 'e0.1.0', '--tolerance', 'abc'], { cwd: repo.dir })).exitCode).toBe(2);

    // A script that was never committed: the run works here, the tag cannot be reproduced.
    repo.write('local.py', 'exec(open("train.py").read())\n');
    fs.appendFileSync(path.join(repo.dir, '.gitignore'), 'local.py\n');
    repo.commit('ignore local.py');
    const local = await cairnOk(['run', '--', 'python3', 'local.py'], { cwd: repo.dir });
    expect(local.stderr).toContain('note: local.py is not committed: cairn reproduce will not find it at the tag');
    const gone = await cairn(['reproduce', 'e0.3.0'], { cwd: repo.dir });
    expect(gone.exitCode).toBe(4);
    expect(gone.stderr).toContain('the recorded command names local.py, which is not in e0.3.0');

    // The data is in no cache and there is no remote: clear error, nothing left behind.
    fs.rmSync(path.join(repo.dir, '.git/cairn/cache/objects'), { recursive: true });
    const noData = await cairn(['reproduce', 'e0.1.0'], { cwd: repo.dir });
    expect(noData.exitCode).not.toBe(0);
    expect(noData.stderr).toMatch(/cache|remote/);
    expect(noData.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(path.dirname(repo.dir)).filter((f) => f.startsWith('explore-'))).toEqual([]);
  });

  it('hostile recorded commands: malformed JSON is refused (exit 8), control characters are shown escaped, a workdir outside is refused', async () => {
    const repo = await trainingRepo();
    const commit = repo.git('rev-parse', 'HEAD').trim();
    const tag = (name: string, trailer: string): void => {
      const file = path.join(repo.dir, '.git', 'hostile-msg');
      fs.writeFileSync(file, `hostile\n\nCairn-Version: ${name}\nCairn-Data: sha256:00\n${trailer}\n`);
      repo.git('tag', '-a', '--cleanup=verbatim', '-F', file, name, commit);
    };
    tag('e0.1.0', 'Cairn-Command: python3 train.py; rm -rf ~');
    tag('e0.2.0', 'Cairn-Command: ["sh","-c","printf \\u001b]0;pwned\\u0007"]');
    tag('e0.3.0', 'Cairn-Command: ["python3","train.py"]\nCairn-Workdir: ../..');
    tag('e0.4.0', 'Cairn-Command: []');
    const malformed = await cairn(['reproduce', 'e0.1.0'], { cwd: repo.dir });
    expect(malformed.exitCode).toBe(8);
    expect(malformed.stderr).toContain('the Cairn-Command trailer of e0.1.0 is not a command line cairn can run');
    expect((await cairn(['reproduce', 'e0.4.0'], { cwd: repo.dir })).exitCode).toBe(8);
    const outside = await cairn(['reproduce', 'e0.3.0'], { cwd: repo.dir });
    expect(outside.exitCode).toBe(8);
    expect(outside.stderr).toContain('Cairn-Workdir of e0.3.0 is unsafe');
    const shown = (await cairnOk(['explore', 'show', 'e0.2.0'], { cwd: repo.dir })).stdout;
    expect(shown).toContain("command: sh -c $'printf \\x1b]0;pwned\\x07'");
    expect(shown).not.toContain('\u001b');
    const escaped = await cairn(['reproduce', 'e0.2.0'], { cwd: repo.dir });
    expect(escaped.stderr).toContain("sh -c $'printf \\x1b]0;pwned\\x07'");
  });
});
