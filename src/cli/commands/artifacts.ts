/**
 * init, add, status, checkout, untrack, verify.
 */
import type { Command } from 'commander';
import type { ArtifactStatus } from '../../artifacts/inspect.js';
import type { InvalidPointer } from '../../artifacts/workspace.js';
import type { CairnError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatBytes, plural, shortHash, table } from '../output.js';

// Each command loads only its own module when it runs (see main.ts): `status`,
// the one run most often, does not pay for add, checkout or verify.
const adding = () => import('../../artifacts/add.js');
const checking = () => import('../../artifacts/checkout.js');
const initing = () => import('../../commands/setup.js');
const statuses = () => import('../../commands/status.js');
const untracking = () => import('../../artifacts/untrack.js');
const verifying = () => import('../../commands/verify.js');

const STATE_LABEL: Record<string, string> = {
  unchanged: 'unchanged',
  modified: 'modified',
  missingWorkspace: 'missing from workspace',
  missingCache: 'missing from cache',
};

/** What status adds after an artifact's path: why it differs, and what the cache lacks. */
function statusNotes(a: ArtifactStatus): string {
  const notes = [a.note, a.state !== 'missingCache' && a.missingObjects > 0 ? `${plural(a.missingObjects, 'object')} missing from cache` : undefined].filter(
    Boolean,
  );
  return notes.length ? `  (${notes.join('; ')})` : '';
}

/** What to run next, from the states status found (after a clone: pull; a missing file: checkout; a modified one: add). */
export function nextSteps(artifacts: ArtifactStatus[]): string[] {
  const of = (state: ArtifactStatus['state']) => artifacts.filter((a) => a.state === state).map((a) => a.path);
  const steps: string[] = [];
  const notCached = of('missingCache');
  if (notCached.length) steps.push(`cairn pull fetches what the cache lacks (${notCached.slice(0, 3).join(', ')}${notCached.length > 3 ? ', ...' : ''})`);
  if (of('missingWorkspace').length) steps.push('cairn checkout restores the missing files from the cache');
  const modified = of('modified');
  if (modified.length) steps.push(`cairn add ${modified.slice(0, 3).join(' ')} records the changes; cairn checkout --force <path> drops them`);
  return steps;
}

export function registerArtifactCommands(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('set up cairn in the current git repository (idempotent)')
    .addHelpText('after', '\nExamples:\n  $ git init && cairn init\n  $ cairn -C path/to/repo init')
    .action(async () => {
      const result = await (await initing()).initRepository(ctx.cwd());
      ctx.out.line(result.created ? `initialised cairn in ${result.root}` : `cairn is already initialised in ${result.root}`);
      ctx.out.line(`cache: ${result.cacheDir}`);
      if (result.mergeDriver.attributes) ctx.out.line('git merges .cairn pointers with cairn merge-driver (.gitattributes staged)');
      if (result.created) ctx.out.line('next: cairn config set metrics.primary <metric> (cairn config list shows the settings), then commit .cairn/');
    });

  program
    .command('add')
    .description('hash files or folders into the cache, write their .cairn pointers, ignore them in git and stage the pointers')
    .argument('<path...>', 'files or folders to track')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn add data/train.parquet\n  $ cairn add data/images models/model.bin')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const added = await (await adding()).addArtifacts(repo, { cwd: ctx.cwd(), paths, progress: ctx.progress() });
      ctx.out.result({ added }, () => {
        for (const a of added) {
          const what = a.kind === 'dir' ? `${plural(a.files ?? 0, 'file')}, ${formatBytes(a.size)}` : formatBytes(a.size);
          ctx.out.line(`${a.changed ? 'added' : 'unchanged'} ${a.path} (${what}, ${shortHash(a.hash)}) -> ${a.pointer}`);
        }
      });
    });

  program
    .command('status')
    .description('show each artifact: unchanged, modified, missing from workspace, missing from cache')
    .argument('[path...]', 'artifacts or folders to report (default: all)')
    .option('--remote [name]', 'also report what is not pushed to the remote (default remote without a name)')
    .option('--exit-code', 'exit 1 when any artifact is not up to date (or, with --remote, not pushed)')
    .option('-q, --quiet', 'print nothing; implies --exit-code')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn status\n  $ cairn status data --json\n  $ cairn status --remote\n  $ cairn status -q || cairn checkout')
    .action(async (paths: string[], opts: { json?: boolean; remote?: string | boolean; exitCode?: boolean; quiet?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const invalid: { invalid: InvalidPointer; error: CairnError }[] = [];
      const artifacts = await (
        await statuses()
      ).status(repo, {
        cwd: ctx.cwd(),
        paths,
        remote: opts.remote,
        progress: ctx.progress(),
        onInvalidPointer: (p, error) => invalid.push({ invalid: p, error }),
      });
      const invalidPointers = invalid.map((i) => i.invalid);
      const behind = artifacts.some((a) => a.state !== 'unchanged' || (opts.remote && a.notPushed));
      if (opts.exitCode || opts.quiet) ctx.exitCode = behind ? 1 : 0;
      if (opts.quiet) {
        if (invalid.length) throw (await statuses()).invalidPointersFailure(invalid);
        return;
      }
      ctx.out.result({ artifacts, ...(invalidPointers.length ? { invalidPointers } : {}) }, () => {
        // The message names its kind (invalid pointer, refusing pointer, in merge conflict): no label before it.
        // One invalid pointer: the error below is its own message, said once there.
        if (invalidPointers.length > 1) for (const p of invalidPointers) ctx.out.line(p.message);
        if (artifacts.length === 0) {
          if (invalidPointers.length === 0) ctx.out.line('no artifacts tracked yet (cairn add <path>)');
          return;
        }
        const changed = artifacts.filter((a) => a.state !== 'unchanged');
        const rows = changed.map((a) => [`${STATE_LABEL[a.state]}:`, a.path + statusNotes(a)]);
        for (const a of artifacts) if (a.notPushed) rows.push(['not pushed:', `${a.path}  (${plural(a.notPushed, 'object')})`]);
        if (rows.length) ctx.out.line(table(rows, '  '));
        // With invalid pointers nothing is "all" up to date: the error below says why.
        ctx.out.line(
          changed.length === 0 && invalidPointers.length === 0
            ? `all ${plural(artifacts.length, 'artifact')} up to date`
            : `${artifacts.length - changed.length} of ${plural(artifacts.length + invalidPointers.length, 'artifact')} up to date`,
        );
        for (const step of nextSteps(artifacts)) ctx.out.line(`  (${step})`);
        if (opts.remote && artifacts.every((a) => !a.notPushed)) ctx.out.line('everything is pushed');
      });
      if (invalid.length) throw (await statuses()).invalidPointersFailure(invalid);
    });

  program
    .command('checkout')
    .description('make the workspace match the pointers (never discards uncached content without --force)')
    .argument('[path...]', 'artifacts or folders to check out (default: all)')
    .option('-f, --force', 'overwrite or delete workspace content even when the cache has no copy of it')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn checkout\n  $ cairn checkout data/train.parquet --force')
    .action(async (paths: string[], opts: { force?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const result = await (await checking()).checkout(repo, { cwd: ctx.cwd(), paths, force: opts.force, progress: ctx.progress() });
      ctx.out.result(result, () => {
        ctx.out.line(
          `checked out ${plural(result.written.length, 'file')}, removed ${result.removed.length}, ${plural(result.unchanged.length, 'artifact')} already up to date`,
        );
      });
    });

  program
    .command('untrack')
    .description('stop tracking an artifact: remove its pointer and .gitignore line, keep the file')
    .argument('<path>', 'the artifact (file or folder)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn untrack data/old.csv')
    .action(async (p: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const result = await (await untracking()).untrack(repo, { cwd: ctx.cwd(), path: p });
      ctx.out.result(result, () => ctx.out.line(`untracked ${result.path} (removed ${result.pointer}; the file stays)`));
    });

  program
    .command('verify')
    .description("rehash every cached object and check that every pointer's objects are present")
    .option('--remote [name]', 'also download and rehash, on the remote, every object the worktree needs')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn verify\n  $ cairn verify --remote')
    .action(async (opts: { json?: boolean; remote?: string | boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const result = await (await verifying()).verify(repo, { remote: opts.remote, progress: ctx.progress() });
      ctx.out.result(result, () => {
        ctx.out.line(`checked ${plural(result.checked, 'object')}`);
        for (const c of result.corrupt) ctx.out.line(`  corrupt: ${shortHash(c.hash)} (${c.file})`);
        for (const m of result.missing) ctx.out.line(`  missing: ${shortHash(m.hash)} (needed by ${m.usedBy})`);
        for (const p of result.invalidPointers) ctx.out.line(`  ${p.message}`);
        if (result.remote) {
          ctx.out.line(`checked ${plural(result.remote.checked, 'object')} on ${result.remote.name}`);
          for (const h of result.remote.corrupt) ctx.out.line(`  corrupt on ${result.remote.name}: ${shortHash(h)}`);
          for (const h of result.remote.missing) ctx.out.line(`  missing on ${result.remote.name}: ${shortHash(h)}`);
        }
        if (result.ok) ctx.out.line('no problems found');
      });
      if (!result.ok) throw (await verifying()).verifyFailure(result);
    });
}
