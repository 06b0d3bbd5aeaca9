import type { Bindings } from "../env";
import { log } from "../lib/log";
import { searchText } from "./search-text";

const BATCH = 100;
const MAX_BATCHES = 50;
const EVERY_MS = 60_000;

interface Queued {
  seq: number;
  title: string | null;
  description: string | null;
  search_title: string | null;
  search_description: string | null;
}

/**
 * Gives up to `batch` rows queued by migrations 0025 and 0042 the search copy a create gives a task now, and takes them off
 * the queue; answers how many it looked at. A row whose copy is already right (written since 0017) is not written.
 */
export async function reindexOldText(d1: D1Database, batch = BATCH): Promise<number> {
  const { results } = await d1
    .prepare(
      `SELECT r.seq, t.title, t.description, t.search_title, t.search_description
       FROM tasks_reindex AS r LEFT JOIN tasks AS t ON t.seq = r.seq ORDER BY r.seq LIMIT ?`,
    )
    .bind(batch)
    .all<Queued>();
  if (!results.length) return 0;
  const updates = results.flatMap((r) => {
    if (r.title == null) return []; // purged since
    const title = searchText(r.title);
    const description = searchText(r.description ?? "");
    if (title === r.search_title && description === r.search_description) return [];
    return [d1.prepare("UPDATE tasks SET search_title = ?, search_description = ? WHERE seq = ?").bind(title, description, r.seq)];
  });
  await d1.batch([...updates, d1.prepare("DELETE FROM tasks_reindex WHERE seq <= ?").bind(results[results.length - 1].seq)]);
  return results.length;
}

let lastRun = -Infinity;
let done = false;

/** Called where searches are answered (lists, summaries): the work runs after the answer, at most once a minute per isolate, until the queue is empty. */
export function reindexOldTextSoon(env: Bindings, ctx: Pick<ExecutionContext, "waitUntil">, now = Date.now()): void {
  if (done || lastRun > now - EVERY_MS) return;
  lastRun = now;
  ctx.waitUntil(
    (async () => {
      for (let i = 0; i < MAX_BATCHES; i++) if ((await reindexOldText(env.DB)) < BATCH) return (done = true);
    })().catch((e) => log("warn", "search copies of old tasks not made", { error: String(e) })),
  );
}
