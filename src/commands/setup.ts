/**
 * Setting a repository up: `cairn init` and `cairn hooks install|uninstall`,
 * each with the merge driver for pointer files (src/hooks/mergeDriver.ts).
 */
import { init, type InitResult } from '../artifacts/init.js';
import { repoPaths } from '../git/git.js';
import { installHooks, uninstallHooks, type HooksResult } from '../hooks/hooks.js';
import { readAttributesFile, registerMergeDriver, unregisterMergeDriver, type MergeDriverRegistration } from '../hooks/mergeDriver.js';

/** `cairn init`: `.cairn/`, the cache, and the merge driver. */
export async function initRepository(cwd: string): Promise<InitResult & { mergeDriver: MergeDriverRegistration }> {
  readAttributesFile((await repoPaths(cwd)).root); // refused before init writes anything
  const result = await init(cwd);
  return { ...result, mergeDriver: await registerMergeDriver(result.root) };
}

/** `cairn hooks install`: the hooks, and the merge driver (a fresh clone has the attribute but not the driver). */
export async function installRepositoryHooks(cwd: string): Promise<HooksResult & { mergeDriver: MergeDriverRegistration }> {
  const root = (await repoPaths(cwd)).root;
  readAttributesFile(root); // refused before any hook is written
  const result = await installHooks(cwd);
  return { ...result, mergeDriver: await registerMergeDriver(root) };
}

/** `cairn hooks uninstall`: the hooks, and the merge driver's git config. */
export async function uninstallRepositoryHooks(cwd: string): Promise<HooksResult> {
  const result = await uninstallHooks(cwd);
  await unregisterMergeDriver((await repoPaths(cwd)).root);
  return result;
}
