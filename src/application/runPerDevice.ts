/** Runs `work` on every item, at most `concurrency` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Runs `work` on every item: the items of one device one after another, in the order given,
 * devices side by side (so writes to one device never race each other).
 */
export async function runPerDevice<T>(
  items: readonly T[],
  deviceIdOf: (item: T) => string,
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const byDevice = new Map<string, T[]>();
  for (const item of items) {
    const group = byDevice.get(deviceIdOf(item));
    if (group) group.push(item);
    else byDevice.set(deviceIdOf(item), [item]);
  }
  await inParallel([...byDevice.values()], concurrency, async (group) => {
    for (const item of group) await work(item);
  });
}
