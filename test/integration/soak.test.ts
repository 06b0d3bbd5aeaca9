import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { api, makeOrg } from "../helpers";

const TOTAL = 1000;
const CONCURRENCY = 50;

it(`soak: ${TOTAL} tasks created ${CONCURRENCY} at a time through the Worker, none missing from the index`, { timeout: 900_000 }, async () => {
  const token = await makeOrg("org_soak");
  const created: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < TOTAL; i += CONCURRENCY) {
    const batch = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, j) =>
        api("POST", "/tasks", { token, body: { agent: "researcher", title: `soak ${i + j}`, description: "@output ok" } }),
      ),
    );
    for (const res of batch) {
      expect(res.status, res.text).toBe(201);
      created.push(res.json.id);
    }
    if ((i + CONCURRENCY) % 200 === 0) console.log(`soak: ${i + CONCURRENCY} created after ${Math.round(performance.now() - t0)} ms`);
  }
  const createMs = performance.now() - t0;
  expect(new Set(created).size).toBe(TOTAL);

  // Every task is in the index and reachable through the API's pages.
  const listed: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await api("GET", `/tasks?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(res.status).toBe(200);
    listed.push(...res.json.items.map((t: { id: string }) => t.id));
    cursor = res.json.next_cursor;
  } while (cursor);
  expect(listed).toHaveLength(TOTAL);
  expect(new Set(listed)).toEqual(new Set(created));

  // And each one's row follows it to the end.
  const deadline = Date.now() + 300_000;
  let done = 0;
  while (Date.now() < deadline) {
    done = (await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE org_id = 'org_soak' AND status = 'completed'").first<{ n: number }>())!.n;
    if (done === TOTAL) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const totalMs = performance.now() - t0;
  expect(done).toBe(TOTAL);
  const summary = await api("GET", "/tasks/summary", { token });
  expect(summary.json.counts.completed).toBe(TOTAL);
  console.log(`soak: ${TOTAL} creates in ${Math.round(createMs)} ms (${((TOTAL / createMs) * 1000).toFixed(0)}/s at ${CONCURRENCY} concurrent); all completed and indexed after ${Math.round(totalMs)} ms`);
});
