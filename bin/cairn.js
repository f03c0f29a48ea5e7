#!/usr/bin/env node
// Entry point. `--version` (and `cairn version`, as git has) is answered without loading the CLI, so it costs
// little more than starting Node.
import { readFileSync } from 'node:fs';

// A reader that goes away (`cairn ... | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const version = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const first = process.argv[2];
if ((first === '--version' || first === '-V' || first === 'version') && process.argv.length === 3) {
  process.stdout.write(version() + '\n');
} else {
  let cli;
  try {
    cli = await import('../dist/cli/main.js');
  } catch (err) {
    // A checkout that was never built: say how to build, not a module stack trace.
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist')) throw err;
    process.stderr.write(
      'cairn: error: cairn is not built (dist/ is missing)\nhint: run npm install in the cairn checkout (it builds dist/), or npm run build\n',
    );
    process.exit(1);
  }
  process.exitCode = await cli.main(process.argv, version());
}
