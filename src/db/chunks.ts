import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Runs `write` over `rows` a chunk at a time, with a turn of the event loop between chunks. On
 * SQLite every statement runs synchronously: one bulk create of 1000 servers with their tags and
 * changes was one block of 200 to 450 ms in which no other request, health checks included, got an
 * answer. Between chunks the transaction keeps its connection, so other queries wait for it as they
 * did, while requests that need no database are served. Small chunks also keep each statement under
 * every database's limit on bound parameters.
 */
export async function inChunks<T, R = never>(
  rows: readonly T[],
  size: number,
  write: (chunk: T[]) => Promise<readonly R[] | undefined>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < rows.length; start += size) {
    if (start > 0) {
      await nextTurn();
    }
    results.push(...((await write(rows.slice(start, start + size))) ?? []));
  }
  return results;
}

/**
 * A turn of the event loop before every `every`-th item of a loop over many (`i` counts from 0):
 * `await turnEvery(i, 500)` at the top of the loop's body. The same reason as inChunks, for loops
 * that do their work in memory.
 */
export async function turnEvery(i: number, every: number): Promise<void> {
  if (i > 0 && i % every === 0) {
    await nextTurn();
  }
}
