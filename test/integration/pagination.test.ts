import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createTask, makeOrg } from "../helpers";

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
    expect((await api("GET", "/tasks?cursor=not-a-cursor")).status).toBe(400);
    const end = await api("GET", `/tasks?cursor=${btoa("s:1").replace(/=+$/, "")}`);
    expect(end.status).toBe(200);
    expect(end.json).toEqual({ items: [], next_cursor: null });
  });
});
