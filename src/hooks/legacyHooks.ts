/**
 * The hook scripts earlier cairn versions installed (before the exact-block
 * format): `@CAIRN@` stood for the absolute node binary and bin/cairn.js,
 * each single-quoted. Kept so that install and uninstall still recognise
 * those hooks, byte for byte, as cairn's own.
 */
export const LEGACY_TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  'post-checkout': [
    '#!/bin/sh\n# cairn-hook: post-checkout -- installed by `cairn hooks install`, removed by `cairn hooks uninstall`.\n# After a branch switch, check the artifacts of the new commit out of the cache.\nhook_dir=$(dirname "$0")\nif [ -x "$hook_dir/post-checkout.cairn-chained" ]; then\n  "$hook_dir/post-checkout.cairn-chained" "$@" || exit $?\nfi\nexec @CAIRN@ hooks run post-checkout "$@"\n',
  ],
  'pre-push': [
    '#!/bin/sh\n# cairn-hook: pre-push -- installed by `cairn hooks install`, removed by `cairn hooks uninstall`.\n# Before git pushes commits, push the artifacts they point at to the default cairn remote.\nhook_dir=$(dirname "$0")\nrefs=$(cat)\nif [ -x "$hook_dir/pre-push.cairn-chained" ]; then\n  printf \'%s\\n\' "$refs" | "$hook_dir/pre-push.cairn-chained" "$@" || exit $?\nfi\nprintf \'%s\\n\' "$refs" | @CAIRN@ hooks run pre-push "$@"\n',
  ],
  'pre-commit': [
    '#!/bin/sh\n# cairn-hook: pre-commit -- installed by `cairn hooks install`, removed by `cairn hooks uninstall`.\n# Refuse a commit whose staged pointers name content that is not in the cache.\nhook_dir=$(dirname "$0")\nif [ -x "$hook_dir/pre-commit.cairn-chained" ]; then\n  "$hook_dir/pre-commit.cairn-chained" "$@" || exit $?\nfi\nexec @CAIRN@ hooks run pre-commit "$@"\n',
  ],
};
