import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { subscribeToFeed } from "../../worker/live/org-feed";
import { MAX_PLAN_STEPS } from "../../worker/task/validate";
import { MAX_LOOP_ITEMS } from "../../worker/task/dag";
import { MAX_OUTPUT_BYTES } from "../../worker/task/output-limit";
import { MAX_INSTRUCTIONS_BYTES } from "../../worker/task/execute";
import { ADMIN, api, BASE, expectError, gateOf, makeOrg, spendWindow, waitForStatus, workerFetch } from "../helpers";

const limiter = (key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
const perMinute = Number(env.RATE_LIMIT_PER_MIN);

describe("sizes", () => {
  it("refuses a body over MAX_BODY_BYTES with 413, on the API and on webhooks", async () => {
    const big = "x".repeat(Number(env.MAX_BODY_BYTES) + 1);
    expectError(await api("POST", "/tasks", { raw: JSON.stringify({ agent: "researcher", title: "t", description: big }) }), 413, "payload_too_large");
    expectError(await api("POST", "/plans", { raw: JSON.stringify({ name: big }) }), 413, "payload_too_large");
    const res = await workerFetch(new Request(`${BASE}/hooks/trg_any`, { method: "POST", body: big }));
    expect(res.status).toBe(413);
  });

  it("reads an oversized chunked body to its end before the 413, so the connection it came on stays usable", async () => {
    const max = Number(env.MAX_BODY_BYTES);
    const chunks = 4;
    for (const url of [`${BASE}/api/v1/tasks`, `${BASE}/hooks/trg_any`]) {
      let pulled = 0;
      // no length: sent chunked, as a client streaming its body does
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled === chunks) return controller.close();
          pulled++;
          controller.enqueue(new Uint8Array(max).fill(0x20));
        },
      });
      const res = await workerFetch(new Request(url, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body }));
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
      expect(pulled, url).toBe(chunks);
    }
    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ agent: "researcher", title: "chunked", description: "@output ok" })));
        controller.close();
      },
    });
    const res = await workerFetch(new Request(`${BASE}/api/v1/tasks`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: small }));
    expect(res.status).toBe(201);
  });

  it("caps titles at 200 characters and descriptions at 20,000", async () => {
    expect((await api("POST", "/tasks", { body: { agent: "researcher", title: "t".repeat(200), description: "d".repeat(20_000) } })).status).toBe(201);
    expectError(await api("POST", "/tasks", { body: { agent: "researcher", title: "t".repeat(201) } }), 400, "bad_request");
    expectError(await api("POST", "/tasks", { body: { agent: "researcher", title: "t", description: "d".repeat(20_001) } }), 400, "bad_request");
  });

  it(`caps plans at ${MAX_PLAN_STEPS} steps`, async () => {
    const steps = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, agent: "researcher", instructions: "" }));
    expect((await api("POST", "/plans", { body: { name: "max", steps: steps(MAX_PLAN_STEPS) } })).status).toBe(201);
    const res = await api("POST", "/plans", { body: { name: "too many", steps: steps(MAX_PLAN_STEPS + 1) } });
    expectError(res, 422, "unprocessable");
    expect(res.json.error.message).toContain(`at most ${MAX_PLAN_STEPS} steps`);
  });

  it(`fails a loop over more than ${MAX_LOOP_ITEMS} items`, async () => {
    const items = JSON.stringify(Array.from({ length: MAX_LOOP_ITEMS + 1 }, (_, i) => i));
    const plan = await api("POST", "/plans", {
      body: { name: "huge loop", steps: [{ id: "list", agent: "researcher", instructions: `@output ${items}` }, { id: "each", kind: "loop", over: "list", depends_on: ["list"], body: [{ id: "do", agent: "researcher", instructions: "{{item}}" }] }] },
    });
    expect(plan.status, plan.text).toBe(201);
    const task = await api("POST", `/plans/${plan.json.id}/run`, { body: {} });
    const done = await waitForStatus(task.json.id, ["failed"], 20_000);
    const loop = done.steps.find((s: { id: string }) => s.id === "each");
    expect(loop.error).toContain(`more than ${MAX_LOOP_ITEMS} items`);
  });

  it(`fails a loop whose output would pass ${MAX_OUTPUT_BYTES} bytes, rather than leaving the task in progress for good`, async () => {
    const plan = await api("POST", "/plans", {
      body: {
        name: "big outputs", params: [{ name: "n" }, { name: "x" }],
        steps: [{ id: "list", agent: "researcher", instructions: "@output {{params.n}}" }, { id: "each", kind: "loop", over: "list", concurrency: 5, body: [{ id: "do", agent: "researcher", instructions: `@output ${"{{params.x}}".repeat(3)}` }] }, { id: "after", agent: "researcher", depends_on: ["each"], instructions: "@output sent" }],
      },
    });
    expect(plan.status, plan.text).toBe(201);
    const run = async (n: number) => {
      const task = await api("POST", `/plans/${plan.json.id}/run`, { body: { inputs: { n: JSON.stringify(Array.from({ length: n }, (_, i) => i)), x: "y".repeat(99_000) } } });
      expect(task.status, task.text).toBe(201);
      return waitForStatus(task.json.id, ["failed", "completed"], 30_000);
    };
    // three outputs of 297 kB fit; five, 1.5 MB together, do not: the commit that completed the loop failed, and was retried for good
    expect((await run(3)).status).toBe("completed");
    const failed = await run(5);
    expect(failed.status).toBe("failed");
    const loop = failed.steps.find((s: { id: string }) => s.id === "each");
    expect(loop.error).toBe("the loop's output (5 items) is 1.5 MB, past the 1 MB a step's output may hold; have its steps output less (an id, a summary)");
  });

  it(`fails a step whose instructions render past ${MAX_INSTRUCTIONS_BYTES} bytes at once, sending nothing, and runs one just under`, async () => {
    const instructions = (refs: number) => `@output done\n${"{{params.x}}".repeat(refs)}`;
    const plan = await api("POST", "/plans", {
      body: { name: "many references", params: [{ name: "x" }], steps: [{ id: "under", agent: "researcher", instructions: instructions(9) }, { id: "over", agent: "researcher", instructions: instructions(30), depends_on: ["under"], retry: { max_attempts: 3 } }] },
    });
    expect(plan.status, plan.text).toBe(201);
    const task = await api("POST", `/plans/${plan.json.id}/run`, { body: { inputs: { x: "y".repeat(99_000) } } });
    expect(task.status, task.text).toBe(201);
    const done = await waitForStatus(task.json.id, ["failed", "completed"], 20_000);
    expect(done.status).toBe("failed");
    const [under, over] = done.steps;
    expect(under).toMatchObject({ status: "completed", output: "done" });
    expect(under.tokens.input).toBeGreaterThan(891_000 / 4);
    // not retried (a retry renders the same), and no turn: the model was sent nothing
    expect(over.runs).toHaveLength(1);
    expect(over).toMatchObject({ status: "failed", tokens: { input: 0, output: 0 } });
    expect(over.error).toBe("its instructions, rendered with their params and upstream outputs, are more than 1,000,000 bytes, more than a step may send");
    const trace = await api("GET", `/tasks/${task.json.id}/steps/over/runs/1/trace`);
    expect(trace.status, trace.text).toBe(200);
    expect(trace.json.turns).toEqual([]);
  });
});

describe("rate limit per token", () => {
  it("counts each token in one place and answers 429 with retry-after past RATE_LIMIT_PER_MIN", async () => {
    const token = await makeOrg("org_rate");
    const ok = await api("GET", "/tasks", { token });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit")).toBe(String(perMinute));
    const remaining = Number(ok.headers.get("x-ratelimit-remaining"));
    expect(remaining).toBe(perMinute - 1);
    // Spend the rest of this minute's allowance straight on the token's counter.
    await spendWindow(await gateOf(token), perMinute);
    const res = await api("GET", "/tasks", { token });
    expectError(res, 429, "rate_limited");
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    // a minute from the end of the second the allowance was spent in
    expect(retry).toBeLessThanOrEqual(61);
    // the refusal says the limit too, and that none is left
    expect([res.headers.get("x-ratelimit-limit"), res.headers.get("x-ratelimit-remaining")]).toEqual([String(perMinute), "0"]);
    expectError(await api("POST", "/tasks", { token, body: { agent: "researcher", title: "t" } }), 429, "rate_limited");
    // Other tokens are not affected.
    expect((await api("GET", "/tasks")).status).toBe(200);
  });

  it("slides: what a key spent at the end of a minute still counts in the next, until it is a minute old", async () => {
    const stub = limiter(`unit:${crypto.randomUUID()}`);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 + 59_000;
    expect(await stub.hit(2, t0)).toEqual({ ok: true, remaining: 1, reset: 0 });
    expect((await stub.hit(2, t0 + 500)).ok).toBe(true);
    expect(await stub.hit(2, t0 + 900)).toEqual({ ok: false, remaining: 0, reset: 60 });
    expect((await stub.hit(2, t0 + 59_999)).ok).toBe(false);
    expect(await stub.hit(2, t0 + 60_000)).toEqual({ ok: true, remaining: 0, reset: 0 });
    expect(await stub.hit(2, t0 + 60_001)).toEqual({ ok: false, remaining: 0, reset: 1 });
  });
});

describe("open streams per organization", () => {
  it("refuses a stream past MAX_STREAMS_PER_ORG with 429 and retry-after", async () => {
    const token = await makeOrg("org_streams");
    const max = Number(env.MAX_STREAMS_PER_ORG);
    const feed = env.ORG_FEED.get(env.ORG_FEED.idFromName("org_streams"));
    const open: ReadableStreamDefaultReader<Uint8Array>[] = [];
    for (let i = 0; i < max; i++) {
      const s = await subscribeToFeed(feed, null, max);
      expect(s).not.toBeNull();
      const reader = s!.getReader();
      await reader.read(); // the `ready` frame, so no write is pending when the stream is cancelled
      open.push(reader);
    }
    expect(await feed.openStreams()).toBe(max);
    const res = await api("GET", "/events", { token });
    expectError(res, 429, "rate_limited");
    expect(res.headers.get("retry-after")).toBeTruthy();
    await Promise.all(open.map((r) => r.cancel()));
  });
});
