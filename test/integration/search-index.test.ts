import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mergeSearchIndexStep } from "../../worker/db/search-merge";
import { MERGE_INTERVAL_MS, MERGE_PAGES, nextPassAt, passSteps } from "../../worker/db/search-index-keeper";
import { api, expectError, makeOrg, tokenWithRole, until } from "../helpers";
import { seed } from "./list-seed";

/** The index's segments, as FTS5 keeps them: a query walks each one's postings. */
const segments = async () => (await env.DB.prepare("SELECT count(DISTINCT segid) AS n FROM tasks_search_idx").first<number>("n"))!;

describe("the search index's keeper", () => {
  it("merges the index into one segment a step at a time, and search answers as before", async () => {
    const orgId = `org_fts_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    // each seed is its own transaction, so its rows land in a segment of their own
    for (let i = 0; i < 12; i++) {
      await seed(orgId, [
        { title: `otter survey ${i}`, status: i % 3 ? "completed" : "failed", created_at: 1_000 + i, finished_at: 2_000 + i },
        { title: `otter census ${i}`, created_at: 1_500 + i },
      ]);
    }
    expect(await segments()).toBeGreaterThan(1);
    const list = async () => (await api("GET", "/tasks?q=otter&limit=100", { token })).json.items.map((t: { id: string }) => t.id);
    const summary = async () => (await api("GET", "/tasks/summary?q=otter", { token })).json;
    const [listBefore, summaryBefore] = [await list(), await summary()];
    expect(listBefore).toHaveLength(24);
    expect(summaryBefore.counts).toMatchObject({ completed: 8, failed: 4, in_progress: 12 });

    const before = (await api("GET", "/search-index")).json;
    const started = await api("POST", "/search-index/merge");
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ merging: true, steps: 0, last_error: null });
    const done = await until("the pass to end", async () => (await api("GET", "/search-index")).json, (s) => !s.merging);
    expect(done.merged_at > (before.merged_at ?? "")).toBe(true);
    expect(done.steps).toBeGreaterThanOrEqual(1);
    expect(done.one_segment).toBe(true);
    expect(Date.parse(done.next_at) - Date.parse(done.merged_at)).toBe(MERGE_INTERVAL_MS);
    expect(await segments()).toBe(1);
    // one segment: a further step has nothing to do
    expect(await mergeSearchIndexStep(env.DB, 500)).toBe(false);
    expect(await list()).toEqual(listBefore);
    expect(await summary()).toEqual(summaryBefore);

    const audit = await api("GET", "/audit?action=search_index.merge");
    expect(audit.json.items[0]).toMatchObject({ action: "search_index.merge", target: { type: "search_index", id: "tasks_search" } });
  });

  it("goes on where the last step stopped, a bounded step at a time", async () => {
    const orgId = `org_fts_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(orgId);
    for (let i = 0; i < 6; i++) await seed(orgId, [{ title: `heron ${i} ${"wading ".repeat(400)}`, created_at: 3_000 + i }]);
    expect(await segments()).toBeGreaterThan(1);
    const herons = async () => (await api("GET", "/tasks?q=wading", { token })).json.items.map((t: { title: string }) => t.title.slice(0, 7));
    const before = await herons();
    expect(before).toHaveLength(6);
    let steps = 0;
    while (await mergeSearchIndexStep(env.DB, 1)) steps++;
    // a step of one page leaves most of the work to the steps after it
    expect(steps).toBeGreaterThan(1);
    expect(await segments()).toBe(1);
    expect(await herons()).toEqual(before);
    // a write after it is a new segment, which the next step folds in again: why a pass is bounded (passSteps)
    await seed(orgId, [{ title: "heron late", created_at: 4_000 }]);
    expect(await mergeSearchIndexStep(env.DB, MERGE_PAGES)).toBe(true);
    await expect(mergeSearchIndexStep(env.DB, 0)).rejects.toThrow(RangeError);
  });

  it("is armed by the app's first request, and runs its first pass at once", async () => {
    const s = (await api("GET", "/search-index")).json;
    expect(s.merged_at !== null || s.merging || s.next_at !== null).toBe(true);
    expect(nextPassAt(null, 5_000)).toBe(5_001);
    expect(nextPassAt(1_000, 5_000)).toBe(1_000 + MERGE_INTERVAL_MS);
    // a pass overdue (the instance was stopped for days) runs at once
    expect(nextPassAt(1_000, 1_000 + 3 * MERGE_INTERVAL_MS)).toBe(1_001 + 3 * MERGE_INTERVAL_MS);
    // a pass writes the index once over and a quarter more, at most, then ends even while writes go on
    expect(passSteps(0)).toBe(1);
    expect(passSteps(MERGE_PAGES * 4)).toBe(6);
    expect(passSteps(130_142)).toBe(327);
  });

  it("is for instance admins only", async () => {
    const orgAdmin = await makeOrg(`org_fts_${crypto.randomUUID().slice(0, 8)}`);
    expectError(await api("GET", "/search-index", { token: orgAdmin }), 403, "forbidden");
    expectError(await api("POST", "/search-index/merge", { token: orgAdmin }), 403, "forbidden");
    expectError(await api("POST", "/search-index/merge", { token: await tokenWithRole("member") }), 403, "forbidden");
    expectError(await api("GET", "/search-index", { token: null }), 401);
  });
});
