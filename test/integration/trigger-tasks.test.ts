import { describe, expect, it } from "vitest";
import { api, createTask, expectError, makeOrg, waitForStatus } from "../helpers";

describe("a trigger's tasks", () => {
  it("are listed by trigger_id in lists, sorted lists, summaries and exports, with the other filters", async () => {
    const tag = `zt${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const token = await makeOrg(`org_trig_${tag}`);
    const plan = (await api("POST", "/plans", { token, body: { name: `${tag} plan`, params: [{ name: "topic", required: true }], steps: [{ id: "s", agent: "researcher", instructions: "{{params.topic}}\n@output done" }] } })).json;
    const trigger = async () => (await api("POST", "/triggers", { token, body: { kind: "cron", plan_id: plan.id, cron: "0 0 1 1 *", inputs: { topic: "t" }, title: `${tag} nightly` } })).json;
    const [a, b] = [await trigger(), await trigger()];
    const run = async (t: { id: string }) => {
      const res = await api("POST", `/triggers/${t.id}/run`, { token });
      expect(res.status, res.text).toBe(201);
      await waitForStatus(res.json.id, ["completed"], 10_000, token);
      return res.json.id as string;
    };
    const a1 = await run(a);
    const b1 = await run(b);
    const a2 = await run(a);
    const byHand = await createTask({ agent: "researcher", title: `${tag} by hand`, description: "@output x" }, token);
    await waitForStatus(byHand.id, ["completed"], 10_000, token);

    const ids = async (qs: string) => {
      const res = await api("GET", `/tasks?${qs}`, { token });
      expect(res.status, res.text).toBe(200);
      return (res.json.items as { id: string }[]).map((t) => t.id);
    };
    expect(await ids(`trigger_id=${a.id}`)).toEqual([a2, a1]);
    expect(await ids(`trigger_id=${b.id}`)).toEqual([b1]);
    expect(await ids(`trigger_id=${a.id}&status=completed&source=cron`)).toEqual([a2, a1]);
    expect(await ids(`trigger_id=${a.id}&status=failed`)).toEqual([]);
    expect(await ids(`trigger_id=${a.id}&source=api`)).toEqual([]);
    expect(await ids(`trigger_id=${a.id}&q=${tag}`)).toEqual([a2, a1]);
    expect(await ids(`trigger_id=${a.id}&q=nomatch${tag}`)).toEqual([]);
    expect(await ids(`trigger_id=${a.id}&agent=researcher`)).toEqual([a2, a1]);
    expect(await ids(`trigger_id=${a.id}&agent=writer`)).toEqual([]);
    expect(await ids(`trigger_id=${a.id}&sort=oldest`)).toEqual([a1, a2]);
    expect(await ids(`trigger_id=${a.id}&sort=cost`)).toHaveLength(2);
    expect(await ids(`trigger_id=${a.id}&created_from=2020-01-01`)).toEqual([a2, a1]);
    const first = (await api("GET", `/tasks?trigger_id=${a.id}&limit=1`, { token })).json;
    expect(first.items.map((t: { id: string }) => t.id)).toEqual([a2]);
    expect(await ids(`trigger_id=${a.id}&limit=1&cursor=${first.next_cursor}`)).toEqual([a1]);

    const summary = (await api("GET", `/tasks/summary?trigger_id=${a.id}`, { token })).json;
    expect(summary.counts).toMatchObject({ completed: 2, failed: 0, pending: 0 });
    expect(summary.groups.completed.items.map((t: { id: string }) => t.id)).toEqual([a2, a1]);
    expect((await api("GET", `/tasks/summary?trigger_id=${a.id}&q=${tag}`, { token })).json.counts.completed).toBe(2);

    const csv = await api("GET", `/tasks/export?format=csv&trigger_id=${a.id}`, { token });
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(a1);
    expect(csv.text).toContain(a2);
    expect(csv.text).not.toContain(b1);
    expect(csv.text).not.toContain(byHand.id);

    // a deleted trigger's tasks keep its id, so they can still be found; another organization's never are
    expect((await api("DELETE", `/triggers/${a.id}`, { token })).status).toBe(204);
    expect(await ids(`trigger_id=${a.id}`)).toEqual([a2, a1]);
    expect(((await api("GET", `/tasks?trigger_id=${a.id}`)).json.items as unknown[])).toEqual([]);
    expect(((await api("GET", `/tasks/summary?trigger_id=${a.id}`)).json.counts.completed)).toBe(0);
    expectError(await api("GET", `/tasks?trigger_id=${"x".repeat(101)}`, { token }), 400, "bad_request");
  });
});
