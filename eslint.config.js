// Lint for src/, test/ and bench/ (npm run lint; CI runs it with the tests).
// typescript-eslint's recommended rules, plus the project's own:
// every git invocation goes through src/git/ (a spawn of git anywhere else is an error),
// and only src/git/ may import its spawn primitive (src/git/run.ts): no domain file builds git argv.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const GIT_SPAWN = {
  selector:
    "CallExpression[callee.name=/^(spawn|spawnSync|execFile|execFileSync|exec|execSync)$/][arguments.0.value='git'], CallExpression[callee.property.name=/^(spawn|spawnSync|execFile|execFileSync)$/][arguments.0.value='git']",
  message: 'run git through src/git/ (one spawn primitive with a fixed environment), not directly',
};

const GIT_PRIMITIVE = {
  patterns: [
    {
      group: ['**/git/run', '**/git/run.js'],
      message: 'call a typed helper of src/git/ (git.ts, revision.ts, worktrees.ts), or add one there; only src/git/ builds git argv',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        structuredClone: 'readonly',
        AbortController: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/git/**'],
    rules: { 'no-restricted-syntax': ['error', GIT_SPAWN], 'no-restricted-imports': ['error', GIT_PRIMITIVE] },
  },
  {
    // The git layer stands on layer 0 only (docs/ARCHITECTURE.md): it never parses what cairn stores in git.
    files: ['src/git/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '!../errors.js', '!../trust', '!../durable', '!../concurrency.js', '!../progress.js'],
              message: 'src/git/ imports only layer 0 (errors, trust, durable, concurrency, progress)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.mjs'],
    ignores: ['test/git/**'],
    rules: { 'no-restricted-imports': ['error', GIT_PRIMITIVE] },
  },
);
