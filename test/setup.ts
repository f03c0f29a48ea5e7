// Every test process (and the git and cairn processes it starts) gets its
// own git identity from the environment and never touches a global or
// system git config: CI machines have none.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-home-'));
Object.assign(process.env, {
  GIT_AUTHOR_NAME: 'Cairn Test',
  GIT_AUTHOR_EMAIL: 'test@cairn.invalid',
  GIT_COMMITTER_NAME: 'Cairn Test',
  GIT_COMMITTER_EMAIL: 'test@cairn.invalid',
  GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  HOME: home,
  CAIRN_NO_PROGRESS: '1',
});
for (const key of Object.keys(process.env)) {
  // The suite's own knobs stay; everything else CAIRN_* would change cairn's behaviour.
  if (
    key.startsWith('CAIRN_') &&
    !['CAIRN_NO_PROGRESS', 'CAIRN_KILLS', 'CAIRN_LINK_KILLS', 'CAIRN_ROUNDS', 'CAIRN_TEST_SEED', 'CAIRN_TEST_CPU_LOG', 'CAIRN_CHROMIUM'].includes(key)
  )
    delete process.env[key];
}

// CAIRN_TEST_CPU_LOG=<file>: append each test file's CPU seconds (this
// process and every child it waited for: cairn, git, sqlite3), a measure of
// its cost that, unlike its wall time, does not grow with the machine's load.
const cpuLog = process.env.CAIRN_TEST_CPU_LOG;
if (cpuLog) {
  const { afterAll, beforeAll, beforeEach } = await import('vitest');
  /** utime + stime + cutime + cstime of /proc/self/stat, in seconds (100 ticks a second). */
  const cpuSeconds = (): number => {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  };
  let cpu = 0;
  let wall = 0;
  let file = '';
  beforeEach(({ task }) => {
    file = path.relative(process.cwd(), task.file.filepath);
  });
  beforeAll(() => {
    cpu = cpuSeconds();
    wall = Date.now();
  });
  afterAll(() => {
    fs.appendFileSync(cpuLog, JSON.stringify({ file, cpu: +(cpuSeconds() - cpu).toFixed(2), wall: (Date.now() - wall) / 1000 }) + '\n');
  });
}
