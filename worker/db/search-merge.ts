/**
 * One bounded step of merging `tasks_search` into a single segment (FTS5's `merge` command with a negative page
 * count: every level at once, as `optimize` does, but at most about `pages` leaf pages written, so a step holds
 * D1's write lock briefly). FTS5 keeps a merge's progress in the index itself, so the next step goes on where this
 * one stopped. Whether the step did work is told by the connection's change count, as FTS5 documents: fewer than
 * two changes means the index was already one segment.
 */
export async function mergeSearchIndexStep(d1: D1Database, pages: number): Promise<boolean> {
  if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`pages ${pages}`);
  const changes = d1.prepare("SELECT total_changes() AS n");
  const [before, , after] = await d1.batch<{ n: number }>([
    changes,
    d1.prepare("INSERT INTO tasks_search (tasks_search, rank) VALUES ('merge', ?)").bind(-pages),
    changes,
  ]);
  return after.results[0].n - before.results[0].n >= 2;
}
