import { describe, expect, it } from "vitest";
import { api, BASE, makeOrg, workerFetch } from "../helpers";

/** Reads the organization's feed until `last` arrives (or 10 s pass): the trigger and agent events in order, type first. */
async function changeEvents(token: string, act: () => Promise<void>, last: string): Promise<Record<string, unknown>[]> {
  const feed = await workerFetch(new Request(`${BASE}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }));
  const reader = feed.body!.getReader();
  let text = "";
  const read = (async () => {
    while (!text.includes(`event: ${last}`)) {
      const next = await reader.read();
      if (next.done) break;
      text += new TextDecoder().decode(next.value);
    }
  })();
  await act();
  await Promise.race([read, new Promise((r) => setTimeout(r, 10_000))]);
  await reader.cancel().catch(() => {});
  return text
    .split("\n\n")
    .filter((f) => /^event: (trigger|agent)\./m.test(f))
    .map((f) => JSON.parse(/^data: (.*)$/m.exec(f)![1]) as Record<string, unknown>);
}

const step = { id: "a", agent: "researcher", instructions: "@output hi" };

describe("the org feed's trigger and agent events", () => {
  it("tells open dashboards of a trigger made, changed and deleted, by its id alone, and never of a refused change", async () => {
    const token = await makeOrg(`org_trgfeed_${crypto.randomUUID().slice(0, 8)}`);
    const plan = await api("POST", "/plans", { token, body: { name: "digest", steps: [step] } });
    expect(plan.status).toBe(201);
    let cron = "";
    let hook = "";
    const events = await changeEvents(
      token,
      async () => {
        const made = await api("POST", "/triggers", { token, body: { kind: "cron", plan_id: plan.json.id, cron: "0 0 1 1 *", inputs: {} } });
        expect(made.status).toBe(201);
        cron = made.json.id;
        expect((await api("PATCH", `/triggers/${cron}`, { token, body: { title: "yearly" } })).status).toBe(200);
        expect((await api("POST", `/triggers/${cron}/pause`, { token })).status).toBe(200);
        expect((await api("POST", `/triggers/${cron}/resume`, { token })).status).toBe(200);
        expect((await api("PATCH", `/triggers/${cron}`, { token, body: { cron: "not a cron" } })).status).toBe(400);
        const webhook = await api("POST", "/triggers", { token, body: { kind: "webhook", plan_id: plan.json.id } });
        hook = webhook.json.id;
        expect((await api("POST", `/triggers/${hook}/rotate-secret`, { token, body: { grace_seconds: 60 } })).status).toBe(200);
        expect((await api("POST", `/triggers/${hook}/expire-previous-secret`, { token })).status).toBe(200);
        expect((await api("DELETE", `/triggers/${cron}`, { token })).status).toBe(204);
      },
      "trigger.deleted",
    );
    expect(events).toEqual([
      ...Array.from({ length: 4 }, () => ({ type: "trigger.updated", id: cron })),
      ...Array.from({ length: 3 }, () => ({ type: "trigger.updated", id: hook })),
      { type: "trigger.deleted", id: cron },
    ]);
  });

  it("tells open dashboards of an agent made, edited and deleted, by its id alone, and never of a save that changed nothing", async () => {
    const token = await makeOrg(`org_agtfeed_${crypto.randomUUID().slice(0, 8)}`);
    let id = "";
    const events = await changeEvents(
      token,
      async () => {
        const made = await api("POST", "/agents", { token, body: { name: "scribe", model: "sim" } });
        expect(made.status).toBe(201);
        id = made.json.id;
        expect((await api("PUT", `/agents/${id}`, { token, body: { name: "scribe", model: "sim", max_turns: 3 } })).status).toBe(200);
        expect((await api("PUT", `/agents/${id}`, { token, body: { name: "scribe", model: "sim", max_turns: 3 } })).status).toBe(200);
        expect((await api("DELETE", `/agents/${id}`, { token })).status).toBe(204);
      },
      "agent.deleted",
    );
    expect(events).toEqual([
      { type: "agent.updated", id },
      { type: "agent.updated", id },
      { type: "agent.deleted", id },
    ]);
  });
});
