/**
 * As a victim meets a hostile repository: someone else's repository (with
 * its objects on a folder remote named in its committed config) is cloned,
 * and the victim runs the everyday commands in the clone. Nothing outside
 * the clone may change (sha256 of every victim file before and after), no
 * sentinel may appear (a nested repository's hook or fsmonitor would make
 * one), and every command finishes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';
import { sqliteResults } from '../helpers/results.js';
import { hashBytes } from '../../src/store/hash.js';

interface Place {
  victim: string;
  remote: string;
  sentinel: string;
}

/** Store `text` on the folder remote under its hash; returns the hash. */
function remoteObject(place: Place, text: string): string {
  const hash = hashBytes(text);
  const hex = hash.slice(7);
  const file = path.join(place.remote, 'objects', hex.slice(0, 2), hex.slice(2));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return hash;
}

const filePointer = (name: string, hash: string, size: number): string => JSON.stringify({ cairn: 1, kind: 'file', path: name, hash, size }, null, 2) + '\n';

/** A git config and hooks that would leave the sentinel behind if git ever used them. */
function nestedGitFiles(place: Place): Record<string, string> {
  return {
    config: `[core]\n\tfsmonitor = touch ${place.sentinel}\n\thooksPath = hooks\n`,
    'hooks/post-checkout': `#!/bin/sh\ntouch ${place.sentinel}\n`,
    HEAD: 'ref: refs/heads/main\n',
  };
}

function dirPointer(place: Place, name: string, files: Record<string, string>): string {
  const entries = Object.entries(files)
    .map(([p, text]) => ({
      path: p,
      hash: remoteObject(place, text),
      size: Buffer.byteLength(text),
      mode: p.startsWith('hooks/') || p.includes('/hooks/') ? 0o755 : 0o644,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const manifest = JSON.stringify(entries);
  const size = entries.reduce((s, e) => s + e.size, 0);
  return JSON.stringify({ cairn: 1, kind: 'dir', path: name, hash: remoteObject(place, manifest), files: entries.length, size }, null, 2) + '\n';
}

/** The attacks, each one committed repository. */
const attacks: Record<string, (place: Place, repo: TestRepo) => void> = {
  'a pointer for a nested .git file': (place, repo) => {
    const text = 'gitdir: ../../evil\n';
    repo.write('vendor/lib/.git.cairn', filePointer('.git', remoteObject(place, text), text.length));
  },
  'a pointer for a nested .GIT folder, case folded': (place, repo) => {
    repo.write('vendor/lib/.GIT.cairn', dirPointer(place, '.GIT', nestedGitFiles(place)));
  },
  'a folder manifest listing sub/.git/config and a hook': (place, repo) => {
    const files = Object.fromEntries(Object.entries(nestedGitFiles(place)).map(([p, t]) => [`.git/${p}`, t]));
    repo.write('sub.cairn', dirPointer(place, 'sub', files));
  },
  'a root .git pointer (checkout -f would delete .git)': (place, repo) => {
    repo.write('.git.cairn', filePointer('.git', remoteObject(place, 'x'), 1));
  },
  'symlinked models folders': (place, repo) => {
    fs.mkdirSync(path.join(repo.dir, 'models'));
    fs.symlinkSync(place.victim, path.join(repo.dir, 'models/candidates'));
    fs.symlinkSync(place.victim, path.join(repo.dir, 'models/production'));
  },
  'a config whose paths climb out': (place, repo) => {
    repo.write(
      '.cairn/config.json',
      JSON.stringify({
        remotes: { origin: { url: place.remote } },
        remote: 'origin',
        models: { production: `../../../${path.basename(place.victim)}/planted.bin` },
        results: { db: '../victim/private.db' },
      }),
    );
  },
  'results.db is a symlink to a private database': (place, repo) => {
    fs.symlinkSync(path.join(place.victim, 'private.db'), path.join(repo.dir, 'results.db'));
  },
  'a folder whose .gitignore is a symlink to a private key': (place, repo) => {
    repo.write('data/keep.txt', 'keep');
    fs.symlinkSync(path.join(place.victim, 'id_rsa'), path.join(repo.dir, 'data/.gitignore'));
  },
  'a pointer that is a symlink to a FIFO and one to /dev/zero': (place, repo) => {
    fs.symlinkSync(path.join(place.victim, 'fifo'), path.join(repo.dir, 'a.bin.cairn'));
    fs.symlinkSync('/dev/zero', path.join(repo.dir, 'b.bin.cairn'));
  },
  'an artifact folder that is a committed symlink': (place, repo) => {
    repo.write('d.cairn', dirPointer(place, 'd', { 'victim.txt': 'overwritten\n' }));
    fs.symlinkSync(place.victim, path.join(repo.dir, 'd'));
  },
};

/** Every file below the victim folder, by content (FIFOs by kind). */
function victimState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = e.isFile() ? hashBytes(fs.readFileSync(p)) : e.isFIFO() ? 'fifo' : e.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

describe('a victim clones a hostile repository', () => {
  // Each attack is its own repositories and processes: they run side by side.
  it.concurrent.for(Object.keys(attacks))('%s', async (attack, { expect }) => {
    const base = tempDir('cairn-hostile-clone-');
    const place: Place = { victim: path.join(base, 'victim'), remote: path.join(base, 'attacker-remote'), sentinel: path.join(base, 'SENTINEL') };
    fs.mkdirSync(place.victim);
    fs.writeFileSync(path.join(place.victim, 'victim.txt'), 'victim: must never change\n');
    fs.writeFileSync(path.join(place.victim, 'id_rsa'), '-----BEGIN PRIVATE KEY----- secret\n');
    // Rows for the version the victim's tag will take (e0.2.0): a tag that read this file would carry them.
    sqliteResults(path.join(place.victim, 'private.db'), 'default', [
      { run_id: 'secret-run', version: 'e0.1.0', f1: 0.123456 },
      { run_id: 'secret-run', version: 'e0.2.0', f1: 0.123456 },
    ]);
    execFileSync('mkfifo', [path.join(place.victim, 'fifo')]);

    // The attacker's repository: initialised, its remote committed, the attack committed and tagged.
    const attacker = gitRepo();
    await cairnOk(['init'], { cwd: attacker.dir });
    await cairnOk(['remote', 'add', 'origin', place.remote, '--default', '--shared'], { cwd: attacker.dir });
    sqliteResults(path.join(attacker.dir, 'r.db'), 'default', [{ run_id: 'a', version: 'e0.1.0', f1: 0.5 }]);
    attacks[attack]!(place, attacker);
    attacker.git('add', '-A', '-f');
    attacker.git('commit', '-q', '-m', 'hostile');
    attacker.git('tag', '-a', 'e0.1.0', '-m', 'hostile experiment');

    execFileSync('git', ['clone', '-q', attacker.dir, path.join(base, 'clone')]);
    const clone = repoAt(path.join(base, 'clone'));
    clone.git('config', 'user.email', 'victim@example.com');
    clone.git('config', 'user.name', 'victim');
    // The victim's own new data, which they will add.
    fs.mkdirSync(path.join(clone.dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(clone.dir, 'data', 'mine.bin'), 'my data\n');
    const before = victimState(place.victim);

    const outputs: string[] = [];
    const run = async (args: string[]): Promise<void> => {
      const r = await cairn(args, { cwd: clone.dir, timeoutMs: 30_000 });
      expect(r.timedOut, `cairn ${args.join(' ')} hung`).toBe(false);
      expect(r.stdout + r.stderr).not.toContain('this is a bug in cairn');
      expect(r.stdout + r.stderr).not.toContain('secret');
      outputs.push(`$ cairn ${args.join(' ')} -> ${r.exitCode}\n${r.stdout}${r.stderr}`);
    };
    for (const args of [
      ['pull'],
      ['checkout'],
      ['checkout', '--force'],
      ['pull', '--force'],
      ['status'],
      ['add', 'data/mine.bin'],
      ['model', 'add', 'r.db', '--run', 'a'],
      ['model', 'promote', '--run', 'a', '--db', 'r.db', '--metric', 'f1'],
      ['model', 'promote', '--run', 'a', '--db', 'r.db', '--metric', 'f1', '--force'],
      ['model', 'prune', '--keep', '0', '--db', 'r.db', '--metric', 'f1'],
      ['tag', '--allow-dirty', '-m', 'victim tag'],
      ['explore', 'checkout', 'e0.1.0'],
      ['worktree', 'new', 'variant'],
      ['explore', 'list'],
      ['hooks', 'install'],
    ]) {
      await run(args);
    }
    // git itself, with cairn's hooks installed, in the clone and in any nested folder cairn may have written.
    for (const args of [['checkout', '-q', '-B', 'other'], ['checkout', '-q', 'main'], ['status']]) {
      try {
        execFileSync('git', args, { cwd: clone.dir, stdio: 'pipe', timeout: 30_000 });
      } catch (err) {
        outputs.push(`$ git ${args.join(' ')} failed: ${String((err as Error).message).slice(0, 300)}`);
      }
    }
    for (const nested of ['vendor/lib', 'sub', 'vendor/lib/.GIT']) {
      if (fs.existsSync(path.join(clone.dir, nested))) execFileSync('git', ['status'], { cwd: path.join(clone.dir, nested), stdio: 'pipe', timeout: 30_000 });
    }

    const log = outputs.join('\n');
    expect(victimState(place.victim), log).toEqual(before);
    expect(fs.existsSync(place.sentinel), log).toBe(false);
    expect(fs.existsSync(path.join(clone.dir, '.git', 'HEAD')), log).toBe(true);
    for (const nested of ['vendor/lib/.git', 'vendor/lib/.GIT', 'sub/.git'])
      expect(fs.existsSync(path.join(clone.dir, nested)), `${nested}\n${log}`).toBe(false);
    // No private byte was copied into the clone: not into a work-tree file, not into what is staged.
    for (const e of fs.readdirSync(clone.dir, { withFileTypes: true, recursive: true })) {
      const p = path.join(e.parentPath, e.name);
      if (p.includes(`${path.sep}.git${path.sep}`) || !e.isFile()) continue;
      expect(fs.readFileSync(p, 'latin1'), p).not.toContain('PRIVATE KEY');
    }
    expect(clone.git('diff', '--cached')).not.toContain('PRIVATE KEY');
    // The tag the victim made carries nothing from the private database.
    const tags = clone.git('for-each-ref', '--format=%(contents)', 'refs/tags');
    expect(tags).not.toContain('secret');
    expect(tags).not.toContain('0.123456');
  });
});
