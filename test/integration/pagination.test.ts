import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cursorSeal } from "../../worker/lib/cursor-seal";
import { api, createTask, expectError, makeOrg } from "../helpers";

async function insertRows(org: string, tag: string, from: number, n: number) {
  const now = Date.now();
  await env.DB.batch(
    Array.from({ length: n }, (_, k) =>
      env.DB.prepare(
        "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, ?, '', ?, 'api', 'researcher', '{}', ?, ?)",
      ).bind(`tsk_${tag}_${from + k}`, org, `${tag} row ${from + k}`, k % 3 ? "completed" : "failed", `ses_${tag}_${from + k}`, now),
    ),
  );
}

/** Walks every page while `between` adds tasks after each one; returns the ids in the order seen. */
async function walk(qs: string, token: string, between: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await api("GET", `/tasks?${qs}&limit=7${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(res.status, res.text).toBe(200);
    seen.push(...res.json.items.map((t: { id: string }) => t.id));
    cursor = res.json.next_cursor;
    if (!cursor) return seen;
    await between(page);
  }
  throw new Error("pagination did not end");
}

describe("keyset pagination", () => {
  for (const [name, qs] of [["plain list", ""], ["filtered", "status=completed"], ["searched", "q=TAG"], ["searched and filtered", "q=TAG&status=failed"]]) {
    it(`stays stable while tasks are created between pages (${name})`, async () => {
      const tag = `zp${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
      const org = `org_page_${tag}`;
      const token = await makeOrg(org);
      await insertRows(org, tag, 0, 50);
      let next = 1000;
      const query = qs.replace("TAG", tag);
      const seen = await walk(query, token, async (page) => {
        await insertRows(org, tag, next, 3);
        next += 3;
        if (page === 1) await createTask({ agent: "researcher", title: `${tag} via api`, description: "@output x" }, token);
      });
      expect(new Set(seen).size, "no duplicates").toBe(seen.length);
      const want = Array.from({ length: 50 }, (_, i) => i)
        .filter((i) => (query.includes("status=completed") ? i % 3 !== 0 : query.includes("status=failed") ? i % 3 === 0 : true))
        .reverse()
        .map((i) => `tsk_${tag}_${i}`);
      expect(seen, "every pre-existing row, newest first, nothing new").toEqual(want);
    });
  }

  it("rejects a forged cursor and ignores a cursor past the end", async () => {
    // every list names the cursor in the details, as it does any invalid parameter
    const cursorDetail = [{ path: "cursor", message: "not a cursor of this list's shape" }];
    for (const path of ["/tasks?cursor=not-a-cursor", "/tasks?sort=cost&cursor=not-a-cursor", "/audit?cursor=not-a-cursor", "/notifications/deliveries?cursor=not-a-cursor", "/agents?cursor=not-a-cursor"]) {
      const res = await api("GET", path);
      expectError(res, 400, "bad_request");
      expect(res.json.error.details, path).toEqual(cursorDetail);
    }
    // a cursor written by hand is not one the list gave out, though it names a position
    const clear = await api("GET", `/tasks?cursor=${btoa("s:1").replace(/=+$/, "")}`);
    expectError(clear, 400, "bad_request");
    // as is one from before this instance sealed them, saying so
    expect(clear.json.error.message).toContain("start again from the first page");
    expect(clear.json.error.details).toEqual([{ path: "cursor", message: "a cursor in the clear, not sealed: start again from the first page" }]);
    const end = await api("GET", `/tasks?cursor=${await cursorSeal(env.SECRETS_KEY, "org_default").seal(btoa("s:1").replace(/=+$/, ""))}`);
    expect(end.status).toBe(200);
    expect(end.json).toEqual({ items: [], next_cursor: null });
  });
});

/** Every page of a management list at `limit=2`, with `between` run after each page. */
async function walkList(path: string, token: string, between: () => Promise<void> = async () => {}) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const res = await api("GET", `${path}${sep}limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token });
    expect(res.status, res.text).toBe(200);
    expect(res.json.items.length).toBeLessThanOrEqual(2);
    seen.push(...res.json.items.map((x: { id?: string; name?: string; model?: string; version?: number }) => String(x.id ?? x.model ?? x.version)));
    cursor = res.json.next_cursor;
    if (!cursor) return seen;
    await between();
  }
  throw new Error("pagination did not end");
}

describe("task cursors across organizations", () => {
  it("say nothing of the tasks other organizations make between an organization's own, and open for no other organization", async () => {
    const tag = `zs${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const [mine, theirs] = [await makeOrg(`org_seal_a_${tag}`), await makeOrg(`org_seal_b_${tag}`)];
    await insertRows(`org_seal_a_${tag}`, `${tag}a`, 0, 3);
    await insertRows(`org_seal_b_${tag}`, `${tag}b`, 0, 40);
    await insertRows(`org_seal_a_${tag}`, `${tag}a`, 3, 6);
    const cursors: string[] = [];
    for (const qs of ["limit=1", "limit=4", "sort=oldest&limit=1", "sort=cost&limit=1", "sort=duration&limit=1", "status=completed&limit=1", `q=${tag}a&limit=1`]) {
      const res = await api("GET", `/tasks?${qs}`, { token: mine });
      expect(res.status, res.text).toBe(200);
      cursors.push(res.json.next_cursor);
    }
    // the completed group has 6, one more than a summary lists
    const summary = await api("GET", "/tasks/summary", { token: mine });
    cursors.push(summary.json.groups.completed.next_cursor);
    for (const c of cursors) {
      // a row number in the clear (`s:12`, 12 after 40 rows of another organization's) is what this keeps out
      expect(c).toMatch(/^x[A-Za-z0-9_-]+$/);
      expect(c.length).toBe(cursors[0].length);
    }
    // each still pages, for this organization alone
    const second = await api("GET", `/tasks?limit=4&cursor=${cursors[1]}`, { token: mine });
    expect(second.json.items.map((t: { id: string }) => t.id)).toEqual([4, 3, 2, 1].map((i) => `tsk_${tag}a_${i}`));
    const res = await api("GET", `/tasks?limit=4&cursor=${cursors[1]}`, { token: theirs });
    expectError(res, 400, "bad_request");
    expect(res.json.error.details).toEqual([{ path: "cursor", message: "not a cursor of this list's shape" }]);
    expectError(await api("GET", `/tasks?limit=4&cursor=${cursors[1].slice(0, -3)}AAA`, { token: mine }), 400, "bad_request");
    expectError(await api("GET", `/tasks?sort=cost&cursor=${cursors[1]}`, { token: mine }), 400, "bad_request");
  });
});

describe("management lists page by cursor", () => {
  it("agents, plans, versions, triggers, tokens, prices and subscriptions: every item once, a bad cursor or limit 400", async () => {
    const token = await makeOrg(`org_lists_${crypto.randomUUID().slice(0, 8)}`);
    const post = async (path: string, body: unknown, method = "POST") => {
      const res = await api(method, path, { token, body });
      expect(res.status, res.text).toBeLessThan(300);
      return res.json;
    };
    for (let i = 0; i < 3; i++) await post("/agents", { name: `pager-${i}`, model: "sim" });
    const plans = [];
    for (let i = 0; i < 3; i++) plans.push(await post("/plans", { name: `p${i}`, steps: [{ id: "a", agent: "pager-0", instructions: "x" }] }));
    for (let v = 2; v <= 5; v++) await post(`/plans/${plans[0].id}`, { name: `p0 v${v}`, steps: [{ id: "a", agent: "pager-0", instructions: "x" }] }, "PUT");
    for (let i = 0; i < 3; i++) await post("/triggers", { kind: "webhook", plan_id: plans[i].id, inputs: {} });
    for (let i = 0; i < 3; i++) await post("/tokens", { name: `t${i}`, role: "viewer" });
    for (const m of ["openai:a", "openai:b", "openai:c"]) await post(`/pricing/${m}`, { input: 1, cache: 1, output: 1 }, "PUT");
    for (let i = 0; i < 3; i++) await post("/notifications/subscriptions", { url: `https://hooks.example.invalid/hook${i}`, events: ["task.completed"] });

    const whole = async (path: string) => {
      const res = await api("GET", `${path}${path.includes("?") ? "&" : "?"}limit=100`, { token });
      expect(res.json.next_cursor).toBeNull();
      return res.json.items.map((x: { id?: string; model?: string; version?: number }) => String(x.id ?? x.model ?? x.version));
    };
    for (const path of ["/agents", "/plans", `/plans/${plans[0].id}/versions`, "/triggers", "/tokens", "/pricing", "/notifications/subscriptions"]) {
      const all = await whole(path);
      expect(all.length, path).toBeGreaterThan(2);
      expect(await walkList(path, token), path).toEqual(all);
      for (const bad of ["cursor=garbage", "cursor=W3t9XQ", "limit=0", "limit=101"]) {
        const res = await api("GET", `${path}?${bad}`, { token });
        expect(res.status, `${path}?${bad}: ${res.text}`).toBe(400);
      }
    }
    expect(await whole(`/plans/${plans[0].id}/versions`)).toEqual(["5", "4", "3", "2", "1"]);

    // a plan made between pages comes before the cursor (newest first), so the walk neither repeats nor skips
    const before = await whole("/plans");
    let n = 0;
    const seen = await walkList("/plans", token, async () => void (await post("/plans", { name: `late${n++}`, steps: [{ id: "a", agent: "pager-0", instructions: "x" }] })));
    expect(seen).toEqual(before);
  });
});

describe("integer query and path parameters", () => {
  it("take decimal digits in range only: anything else is a 400 naming the parameter, and changes nothing", async () => {
    const task = await createTask({ agent: "writer", title: "strict ints", description: "@output done" });
    const lists = ["/tasks", "/agents", "/plans", "/triggers", "/tokens", "/pricing", "/orgs", "/audit", "/notifications/subscriptions", "/notifications/deliveries"];
    for (const path of lists) {
      expect((await api("GET", `${path}?limit=5`)).status, path).toBe(200);
      expect((await api("GET", `${path}?limit=05`)).status, path).toBe(200);
      for (const bad of ["1e1", "0x10", " 5", "5 ", "5.0", "+5", "-1", "", "0", "101", "99999999999999999999", "Infinity"]) {
        const res = await api("GET", `${path}?limit=${encodeURIComponent(bad)}`);
        expectError(res, 400, "bad_request");
        expect(res.json.error.details, `${path}?limit=${bad}`).toEqual([expect.objectContaining({ path: "limit" })]);
      }
    }
    for (const bad of ["1e1", "0x1", "1.0", " 1", "61", "-0"]) {
      const res = await api("GET", `/tasks/${task.id}?wait=${encodeURIComponent(bad)}`);
      expectError(res, 400, "bad_request");
      expect(res.json.error.details, `wait=${bad}`).toEqual([expect.objectContaining({ path: "wait" })]);
    }
    expect((await api("GET", `/tasks/${task.id}?wait=0`)).status).toBe(200);
    for (const bad of ["1e0", "0x1", "1.0", "0", "9999999999999999", "99999999999999999999"]) {
      const res = await api("GET", `/tasks/${task.id}/steps/main/runs/${bad}/trace`);
      expectError(res, 400, "bad_request");
      expect(res.json.error.details, `runs/${bad}`).toEqual([expect.objectContaining({ path: "n" })]);
    }
  });

  it("are documented as integers with their bounds", async () => {
    const doc = (await api("GET", "/openapi.json", { token: null })).json;
    const param = (path: string, name: string) => doc.paths[path].get.parameters.find((p: { name: string }) => p.name === name).schema;
    expect(param("/tasks", "limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 100, default: 20 });
    expect(param("/agents", "limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 100, default: 100 });
    expect(param("/tasks/{id}", "wait")).toMatchObject({ type: "integer", minimum: 0, maximum: 60 });
    expect(param("/tasks/{id}/steps/{step}/runs/{n}/trace", "n")).toMatchObject({ type: "integer", minimum: 1 });
  });
});
