/**
 * `cairn demo`: build a small ML project in a folder and run the cairn
 * workflow on it, printing each command as a user would type it. Every step
 * runs the real CLI (bin/cairn.js) and the real git.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
import { writeDemoProject } from './project.js';

export interface DemoOptions {
  /** Where to build the project (a new temp folder by default). */
  dir?: string;
  /** Keep the folder afterwards. */
  keep?: boolean;
  /** Receives every line the demo prints. */
  print: (line: string) => void;
}

export interface DemoResult {
  dir: string;
  kept: boolean;
  steps: number;
  seconds: number;
}

const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));

/** A shell-like rendering of a command, for the transcript. */
function shown(cmd: string, args: string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

class Session {
  steps = 0;
  constructor(
    readonly dir: string,
    private readonly print: (line: string) => void,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  say(text: string): void {
    this.print('');
    this.print(`# ${text}`);
  }

  /** Run a command in the project, echoing it and its output; fail loudly unless it exits `expect`. */
  run(cmd: string, args: string[], options: { expect?: number; cwd?: string } = {}): string {
    const cwd = options.cwd ?? this.dir;
    const rel = path.relative(this.dir, cwd);
    this.print(`${rel ? `(${rel}) ` : ''}$ ${shown(cmd, args)}`);
    const [file, argv] = cmd === 'cairn' ? [process.execPath, [BIN, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, { cwd, env: this.env, encoding: 'utf8' });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd();
    if (output) for (const line of output.split('\n')) this.print(`  ${line}`);
    this.steps++;
    if (r.status !== (options.expect ?? 0)) {
      throw new CairnError(`demo step failed: ${shown(cmd, args)} exited ${r.status}`, {
        hint: 'this is a bug in the demo or in cairn; please report it with the transcript above',
      });
    }
    return r.stdout ?? '';
  }

  write(rel: string, content: string | Uint8Array): void {
    const file = path.join(this.dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** Run the whole demo. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const dir = options.dir ? path.resolve(options.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-demo-'));
  if (options.dir) {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.readdirSync(dir).length > 0) {
      throw new CairnError(`demo folder ${dir} is not empty`, { hint: 'give an empty or new folder, or none for a temp folder' });
    }
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'cairn demo',
    GIT_AUTHOR_EMAIL: 'demo@cairn.invalid',
    GIT_COMMITTER_NAME: 'cairn demo',
    GIT_COMMITTER_EMAIL: 'demo@cairn.invalid',
    CAIRN_NO_PROGRESS: '1',
  };
  const project = path.join(dir, 'project');
  fs.mkdirSync(project);
  const s = new Session(project, options.print, env);
  let ok = false;
  try {
    options.print(`cairn demo in ${project}`);
    await story(s);
    ok = true;
  } finally {
    if (!options.keep && ok) fs.rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  return { dir, kept: Boolean(options.keep), steps: s.steps, seconds };
}

async function story(s: Session): Promise<void> {
  s.say('a small ML project under git');
  s.run('git', ['init', '-q', '-b', 'main']);
  await writeDemoProject(s.dir);
  s.run('git', ['add', 'train.mjs', 'README.md']);
  s.run('git', ['commit', '-q', '-m', 'project skeleton']);

  s.say('track the data with cairn: bytes go to the cache, git gets a small pointer');
  s.run('cairn', ['init']);
  s.run('cairn', ['add', 'data']);
  s.run('cat', ['data.cairn']);
  s.run('git', ['commit', '-q', '-m', 'track data with cairn']);
  s.run('cairn', ['status']);

  s.say('lose the workspace copy, get it back from the cache');
  s.run('rm', ['-rf', 'data']);
  s.run('cairn', ['status']);
  s.run('cairn', ['checkout']);
  s.run('cairn', ['status']);

  s.say('cairn refuses to discard work that is not in the cache');
  s.write('data/train.csv', 'edited by hand\n');
  s.run('cairn', ['checkout'], { expect: 7 });
  s.run('cairn', ['checkout', '--force']);
  s.run('cairn', ['verify']);

  s.say('share the artifacts: push to a remote (a folder here; s3:// works the same), pull into a fresh clone');
  s.run('cairn', ['remote', 'add', 'store', '../store', '--default']);
  s.run('git', ['commit', '-q', '-m', 'cairn remote']);
  s.run('cairn', ['status', '--remote']);
  s.run('cairn', ['push']);
  s.run('git', ['clone', '-q', '.', '../clone']);
  const clone = path.join(path.dirname(s.dir), 'clone');
  s.run('cairn', ['pull'], { cwd: clone });
  s.run('cairn', ['status'], { cwd: clone });

  s.say('keep git and the artifacts in step with hooks; clean the cache');
  s.run('cairn', ['hooks', 'install']);
  s.run('cairn', ['gc']);
}
