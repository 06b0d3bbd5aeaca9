import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectError, makeOrg } from "../helpers";
import { seed, type Seed } from "./list-seed";

async function org() {
  const orgId = `org_sort_${crypto.randomUUID().slice(0, 8)}`;
  return { orgId, token: await makeOrg(orgId) };
}

/** Every page of a list, following next_cursor. */
async function walk(token: string, query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await api("GET", `/tasks?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token });
    expect(res.status, res.text).toBe(200);
    ids.push(...res.json.items.map((t: { id: string }) => t.id));
    cursor = res.json.next_cursor;
    pages++;
  } while (cursor && pages < 100);
  return { ids, pages };
}

const DAY = 86_400_000;
const T0 = Date.parse("2026-03-01T00:00:00Z");

/** 23 tasks with repeated costs, repeated and missing durations, over ten days. */
function fixture(): Seed[] {
  return Array.from({ length: 23 }, (_, i) => {
    const created = T0 + (i % 10) * DAY + i * 1000;
    const finished = i % 4 === 3 ? null : created + 1000 + ((i * 7) % 5) * 60_000;
    return { title: `Task ${i}`, cost_nanos: [500, 100, 100, 0, 900][i % 5] * 1000, created_at: created, started_at: created + 1000, finished_at: finished };
  });
}

describe("GET /tasks sort", () => {
  it("walks every sort page by page in its exact order, with ties broken by creation (newest first)", async () => {
    const { orgId, token } = await org();
    const rows = fixture();
    const ids = await seed(orgId, rows);
    const seq = (i: number) => i; // rows are inserted in index order, so seq follows i
    const byIndex = rows.map((r, i) => ({ ...r, i, id: ids[i], duration: r.finished_at == null ? null : r.finished_at - (r.started_at ?? r.created_at) }));
    const expected: Record<string, string[]> = {
      newest: [...byIndex].sort((a, b) => seq(b.i) - seq(a.i)).map((r) => r.id),
      oldest: byIndex.map((r) => r.id),
      cost: [...byIndex].sort((a, b) => b.cost_nanos! - a.cost_nanos! || b.i - a.i).map((r) => r.id),
      duration: [...byIndex]
        .sort((a, b) => (a.duration == null ? (b.duration == null ? b.i - a.i : 1) : b.duration == null ? -1 : b.duration - a.duration || b.i - a.i))
        .map((r) => r.id),
    };
    for (const sort of ["newest", "oldest", "cost", "duration"]) {
      for (const limit of [1, 4, 7, 100]) {
        const { ids: got } = await walk(token, `sort=${sort}`, limit);
        expect(got, `${sort}, ${limit} a page`).toEqual(expected[sort]);
      }
    }
    const first = await api("GET", "/tasks?sort=cost&limit=1", { token });
    expect(first.json.items[0].cost).toBeCloseTo(0.0009);
  });

  it("keeps a cursor exact while tasks are added and costs change between pages", async () => {
    const { orgId, token } = await org();
    const ids = await seed(orgId, fixture());
    const p1 = await api("GET", "/tasks?sort=oldest&limit=5", { token });
    await seed(orgId, [{ title: "Late", created_at: T0 + 20 * DAY }]);
    await env.DB.prepare("UPDATE tasks SET cost_nanos = 1 WHERE id = ?").bind(ids[0]).run();
    const rest = [];
    let cursor = p1.json.next_cursor;
    while (cursor) {
      const r = await api("GET", `/tasks?sort=oldest&limit=5&cursor=${encodeURIComponent(cursor)}`, { token });
      rest.push(...r.json.items.map((t: { title: string }) => t.title));
      cursor = r.json.next_cursor;
    }
    const all = [...p1.json.items.map((t: { title: string }) => t.title), ...rest];
    expect(all).toEqual([...fixture().map((r) => r.title), "Late"]);

    const c1 = await api("GET", "/tasks?sort=cost&limit=3", { token });
    const seen = new Set(c1.json.items.map((t: { id: string }) => t.id));
    const c2 = await api("GET", `/tasks?sort=cost&limit=100&cursor=${encodeURIComponent(c1.json.next_cursor)}`, { token });
    for (const t of c2.json.items) expect(seen.has(t.id), "no task twice").toBe(false);
    const costs = c2.json.items.map((t: { cost: number }) => t.cost);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
  });

  it("refuses a cursor made for another sort, or not made by us", async () => {
    const { orgId, token } = await org();
    await seed(orgId, fixture());
    const cost = await api("GET", "/tasks?sort=cost&limit=2", { token });
    const newest = await api("GET", "/tasks?limit=2", { token });
    expectError(await api("GET", `/tasks?sort=duration&cursor=${cost.json.next_cursor}`, { token }), 400, "bad_request");
    expectError(await api("GET", `/tasks?sort=oldest&cursor=${newest.json.next_cursor}`, { token }), 400);
    expectError(await api("GET", `/tasks?sort=cost&cursor=${btoa("c:n:5")}`, { token }), 400);
    expectError(await api("GET", "/tasks?sort=cost&cursor=!!", { token }), 400);
    expectError(await api("GET", "/tasks?sort=priority", { token }), 400);
    // Newest-first cursors are the same with or without a date range.
    const ranged = await api("GET", `/tasks?created_from=2026-01-01&cursor=${newest.json.next_cursor}&limit=2`, { token });
    expect(ranged.status).toBe(200);
  });

  it("combines a sort with status and name search", async () => {
    const { orgId, token } = await org();
    await seed(orgId, [
      { title: "alpha report", cost_nanos: 5, created_at: T0, finished_at: T0 + 10, started_at: T0 },
      { title: "alpha summary", cost_nanos: 50, created_at: T0 + 1, finished_at: T0 + 20, started_at: T0 },
      { title: "beta report", cost_nanos: 500, created_at: T0 + 2, finished_at: T0 + 30, started_at: T0 },
      { title: "alpha draft", cost_nanos: 5000, created_at: T0 + 3 },
    ]);
    const titles = async (q: string) => (await api("GET", `/tasks?${q}`, { token })).json.items.map((t: { title: string }) => t.title);
    expect(await titles("q=alpha&sort=cost")).toEqual(["alpha draft", "alpha summary", "alpha report"]);
    expect(await titles("q=alpha&sort=oldest&status=completed")).toEqual(["alpha report", "alpha summary"]);
    expect(await titles("q=report&sort=duration")).toEqual(["beta report", "alpha report"]);
    expect(await titles("sort=duration")).toEqual(["beta report", "alpha summary", "alpha report", "alpha draft"]);
  });
});

describe("GET /tasks created_from / created_to", () => {
  it("filters by creation date: whole UTC days for dates, exact instants for date-times", async () => {
    const { orgId, token } = await org();
    await seed(orgId, [
      { title: "Feb 28 late", created_at: Date.parse("2026-02-28T23:59:59.999Z") },
      { title: "Mar 1 start", created_at: Date.parse("2026-03-01T00:00:00.000Z") },
      { title: "Mar 1 noon", created_at: Date.parse("2026-03-01T12:00:00.000Z") },
      { title: "Mar 2 end", created_at: Date.parse("2026-03-02T23:59:59.999Z") },
      { title: "Mar 3", created_at: Date.parse("2026-03-03T00:00:00.000Z") },
    ]);
    const titles = async (q: string) => {
      const res = await api("GET", `/tasks?sort=oldest&${q}`, { token });
      expect(res.status, res.text).toBe(200);
      return res.json.items.map((t: { title: string }) => t.title);
    };
    expect(await titles("created_from=2026-03-01&created_to=2026-03-02")).toEqual(["Mar 1 start", "Mar 1 noon", "Mar 2 end"]);
    expect(await titles("created_from=2026-03-01")).toEqual(["Mar 1 start", "Mar 1 noon", "Mar 2 end", "Mar 3"]);
    expect(await titles("created_to=2026-02-28")).toEqual(["Feb 28 late"]);
    expect(await titles("created_from=2026-03-01T12:00:00Z&created_to=2026-03-03T00:00:00Z")).toEqual(["Mar 1 noon", "Mar 2 end", "Mar 3"]);
    expect(await titles("created_from=2026-03-01T13:00:00%2B01:00&created_to=2026-03-01T12:00:00Z")).toEqual(["Mar 1 noon"]);
    // any number of fractional digits (Python writes 6, Go 9); tasks are stamped to the millisecond
    expect(await titles("created_from=2026-03-01T12:00:00.000000%2B00:00&created_to=2026-03-01T12:00:00.000999999Z")).toEqual(["Mar 1 noon"]);
    expect(await titles("created_from=2026-03-01T11:59:59.9995Z&created_to=2026-03-02T00:00:00Z")).toEqual(["Mar 1 noon"]);
    expect(await titles("created_from=2026-03-01T12:00:00.0001Z&created_to=2026-03-02T00:00:00Z")).toEqual([]);
    const newest = await api("GET", "/tasks?created_from=2026-03-01&created_to=2026-03-01", { token });
    expect(newest.json.items.map((t: { title: string }) => t.title)).toEqual(["Mar 1 noon", "Mar 1 start"]);

    expectError(await api("GET", "/tasks?created_from=2026-03-02&created_to=2026-03-01", { token }), 400, "bad_request");
    expectError(await api("GET", "/tasks?created_from=yesterday", { token }), 400);
    expectError(await api("GET", "/tasks?created_from=2026-13-01", { token }), 400);
    expectError(await api("GET", "/tasks?created_to=2026-03-01T10:00:00", { token }), 400);
    // days the calendar lacks are refused, not rolled over into the next month
    for (const day of ["2026-02-29", "2026-02-30", "2026-04-31T10:00:00Z", "2026-06-00"]) {
      for (const path of ["/tasks", "/tasks/export"]) expectError(await api("GET", `${path}?created_from=${day}`, { token }), 400);
    }
    expect((await api("GET", "/tasks?created_to=2026-02-30", { token })).json.error.details).toEqual([{ path: "created_to", message: "no such day in the calendar" }]);
    // nor is a time the day lacks, as a token's expiry refuses it
    expectError(await api("GET", "/tasks?created_to=2026-12-07T24:00:00Z", { token }), 400, "bad_request");
    expect((await api("GET", "/tasks?created_from=2026-13-01", { token })).json.error.details).toHaveLength(1);
    expect((await api("GET", "/tasks?created_from=2028-02-29&created_to=2028-02-29", { token })).status).toBe(200);
  });
});
