/**
 * remote add | list | remove, push, fetch, pull.
 */
import { Command } from 'commander';
import { addRemote, listRemotes, removeRemote } from '../../remote/remotes.js';
import { fetch, type TransferOptions } from '../../commands/fetch.js';
import { pull } from '../../commands/pull.js';
import { push } from '../../commands/push.js';
import { collect, positiveInt, type CliContext } from '../context.js';
import { formatBytes, plural, table } from '../output.js';

interface TransferFlags {
  remote?: string;
  rev?: string[];
  allTags?: boolean;
  allBranches?: boolean;
  allCommits?: boolean;
  jobs?: number;
  json?: boolean;
  force?: boolean;
}

function transferCommand(program: Command, name: string, description: string, example: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-r, --remote <name>', 'the remote (default: the default remote)')
    .option('--rev <rev>', 'objects of this branch, tag or commit (repeatable; read from git, no checkout)', collect)
    .option('--all-tags', 'objects of every tag')
    .option('--all-branches', 'objects of every local branch')
    .option('--all-commits', 'objects of every commit any branch or tag reaches')
    .option('-j, --jobs <n>', 'transfers at once (default 8, or transfer.jobs)', positiveInt('--jobs'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\nExamples:\n${example}`);
}

function scope(opts: TransferFlags): TransferOptions {
  return { remote: opts.remote, revs: opts.rev, allTags: opts.allTags, allBranches: opts.allBranches, allCommits: opts.allCommits, jobs: opts.jobs };
}

export function registerRemoteCommands(program: Command, ctx: CliContext): void {
  const remote = program
    .command('remote')
    .description('manage remotes: folders (local, NFS) or S3-compatible storage holding the same object layout as the cache');

  remote
    .command('add')
    .description('add a remote for every worktree of this clone (in the git dir, as git remotes are); --shared commits it in .cairn/config.json')
    .argument('<name>', 'a short name')
    .argument('<url>', 'a folder (/mnt/store, ../store), file:///path, or s3://bucket/prefix')
    .option('-d, --default', 'make it the default remote')
    .option('--endpoint <url>', 'S3: custom endpoint, e.g. http://127.0.0.1:9000 for MinIO')
    .option('--region <region>', 'S3: region (default from AWS_REGION, else us-east-1)')
    .option('--force-path-style', 'S3: path-style addressing (on by default with --endpoint)')
    .option('--profile <name>', 'S3: AWS profile to take credentials from')
    .option('-f, --force', 'replace an existing remote of that name')
    .option('--shared', 'write it to .cairn/config.json (staged) so that everyone who clones gets it')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ cairn remote add store /mnt/nfs/cairn --default\n  $ cairn remote add team /mnt/nfs/team-cairn --default --shared\n  $ cairn remote add s3 s3://ml-bucket/cairn --endpoint http://127.0.0.1:9000 --default\n\nCredentials for S3: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or\n{"remotes": {"<name>": {"accessKeyId": "...", "secretAccessKey": "..."}}} in .cairn/config.local.json',
    )
    .action(
      async (
        name: string,
        url: string,
        opts: {
          default?: boolean;
          endpoint?: string;
          region?: string;
          forcePathStyle?: boolean;
          profile?: string;
          force?: boolean;
          shared?: boolean;
          json?: boolean;
        },
      ) => {
        ctx.useJson(opts);
        const result = await addRemote(await ctx.repo(), {
          name,
          url,
          makeDefault: opts.default,
          endpoint: opts.endpoint,
          region: opts.region,
          forcePathStyle: opts.forcePathStyle,
          profile: opts.profile,
          force: opts.force,
          shared: opts.shared,
        });
        ctx.out.result(result, () => {
          if (result.created) ctx.out.line(`created ${result.created}`);
          ctx.out.line(
            `added remote ${result.name} (${result.url})${result.default ? ' as the default' : ''}` +
              (result.shared
                ? '; .cairn/config.json is staged: commit it to share the remote'
                : ' for every worktree of this clone (--shared commits it for everyone)'),
          );
        });
      },
    );

  remote
    .command('list', { isDefault: true })
    .alias('ls')
    .description('list remotes')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn remote list --json')
    .action(async (opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const remotes = listRemotes(await ctx.repo());
      ctx.out.result({ remotes }, () => {
        if (remotes.length === 0) return ctx.out.line('no remotes (cairn remote add <name> <url> --default)');
        ctx.out.line(table(remotes.map((r) => [r.default ? '*' : ' ', r.name, r.url, r.endpoint ? `endpoint ${r.endpoint}` : ''])));
      });
    });

  remote
    .command('remove')
    .alias('rm')
    .description('remove a remote from the configuration (its objects are not touched)')
    .argument('<name>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn remote remove old-store')
    .action(async (name: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const result = await removeRemote(await ctx.repo(), name);
      ctx.out.result(result, () => ctx.out.line(`removed remote ${name}${result.wasDefault ? ' (it was the default)' : ''}`));
    });

  transferCommand(
    program,
    'push',
    'upload the objects the workspace (or --rev, --all-*) needs and the remote lacks or holds damaged (wrong size; wrong bytes with --verify)',
    '  $ cairn push\n  $ cairn push -r s3 --all-tags -j 16\n  $ cairn push --verify    # rehash what the remote holds, replace damaged objects',
  )
    .option('--verify', 'download and rehash the objects the remote already holds, and replace the damaged ones')
    .action(async (opts: TransferFlags & { verify?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const r = await push(repo, { ...scope(opts), verify: opts.verify, progress: ctx.progress() });
      ctx.out.result(r, () => {
        ctx.out.line(`pushed ${plural(r.uploaded, 'object')}, ${formatBytes(r.bytes)} to ${r.remote}; ${r.present} already there`);
        if (r.repaired.length) ctx.out.line(`replaced ${plural(r.repaired.length, 'damaged object')} on ${r.remote}`);
        if (r.sweptTemps) ctx.out.line(`removed ${plural(r.sweptTemps, 'temp file')} left on ${r.remote} by killed pushes`);
      });
    });

  transferCommand(
    program,
    'fetch',
    'download into the cache the objects the workspace (or --rev, --all-*) needs; verifies every hash',
    '  $ cairn fetch\n  $ cairn fetch --rev e0.3.0',
  ).action(async (opts: TransferFlags) => {
    ctx.useJson(opts);
    const repo = await ctx.repo();
    const r = await fetch(repo, { ...scope(opts), progress: ctx.progress() });
    ctx.out.result(r, () => ctx.out.line(`fetched ${plural(r.downloaded, 'object')}, ${formatBytes(r.bytes)} from ${r.remote}; ${r.cached} already cached`));
  });

  transferCommand(program, 'pull', 'fetch, then check the workspace out', '  $ cairn pull')
    .option('-f, --force', 'let the checkout discard workspace changes that are not in the cache')
    .action(async (opts: TransferFlags) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const r = await pull(repo, { ...scope(opts), cwd: ctx.cwd(), force: opts.force, progress: ctx.progress() });
      ctx.out.result(r, () => {
        ctx.out.line(`fetched ${plural(r.downloaded, 'object')}, ${formatBytes(r.bytes)} from ${r.remote}; ${r.cached} already cached`);
        ctx.out.line(`checked out ${plural(r.checkout.written.length, 'file')}, removed ${r.checkout.removed.length}`);
      });
    });
}
