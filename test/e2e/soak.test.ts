import { afterAll, beforeAll, expect, it } from "vitest";
import { type App, startApp } from "./helpers";

const TOTAL = 1000;
const CONCURRENCY = 50;

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${app.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

/** A bounded loopback soak against the app as `npm start` runs it: 1,000 concurrent creates, none missing from the index. */
it(`soak: ${TOTAL} tasks created ${CONCURRENCY} at a time over loopback HTTP, none missing from the index`, { timeout: 300_000 }, async () => {
  const title = `soak-${Date.now()}`;
  const created: string[] = [];
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      const res = await call("POST", "/tasks", { agent: "researcher", title: `${title} ${i}`, description: "@output ok" });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      created.push(res.json.id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const createMs = performance.now() - t0;
  expect(new Set(created).size).toBe(TOTAL);

  const listed: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await call("GET", `/tasks?q=${title}&limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    listed.push(...res.json.items.map((t: { id: string }) => t.id));
    cursor = res.json.next_cursor;
  } while (cursor);
  expect(listed).toHaveLength(TOTAL);
  expect(new Set(listed)).toEqual(new Set(created));

  const deadline = Date.now() + 120_000;
  let completed: number | string = 0;
  while (Date.now() < deadline) {
    completed = (await call("GET", `/tasks/summary?q=${title}`)).json.counts.completed;
    if (completed === "1000+" || completed === TOTAL) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(completed).toBe(TOTAL);
  console.log(`soak: ${TOTAL} creates in ${Math.round(createMs)} ms (${((TOTAL / createMs) * 1000).toFixed(0)}/s, ${CONCURRENCY} concurrent); all completed and indexed after ${Math.round(performance.now() - t0)} ms`);
});
