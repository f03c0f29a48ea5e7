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
  if (key.startsWith('CAIRN_') && !['CAIRN_NO_PROGRESS', 'CAIRN_KILLS', 'CAIRN_LINK_KILLS', 'CAIRN_ROUNDS', 'CAIRN_TEST_SEED', 'CAIRN_CHROMIUM'].includes(key)) delete process.env[key];
}
