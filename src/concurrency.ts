/**
 * Bounded concurrency for many small I/O jobs (object writes, checkouts,
 * transfers): at most `limit` of them in flight at once.
 */

/** Run `fn` over `items` with at most `limit` running at a time; results keep their order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async (): Promise<void> => {
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== null) throw failed;
  return results;
}

/** How many small-file jobs to keep in flight: enough to hide syscall latency. */
export const IO_CONCURRENCY = 8;
