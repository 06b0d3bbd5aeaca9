import { describe, expect, it } from "vitest";
import { api, BASE, makeOrg, workerFetch } from "../helpers";

/** Reads the organization's feed until `last` arrives (or 10 s pass): the plan events in order, type first. */
async function planEvents(token: string, act: () => Promise<void>, last: string): Promise<Record<string, unknown>[]> {
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
    .filter((f) => /^event: plan\./m.test(f))
    .map((f) => JSON.parse(/^data: (.*)$/m.exec(f)![1]) as Record<string, unknown>);
}

const step = { id: "a", agent: "researcher", instructions: "@output hi" };

describe("the org feed's plan events", () => {
  it("tells open dashboards of a plan created, saved and deleted, once each, and never of a save that changed nothing", async () => {
    const token = await makeOrg(`org_planfeed_${crypto.randomUUID().slice(0, 8)}`);
    let id = "";
    const events = await planEvents(
      token,
      async () => {
        const made = await api("POST", "/plans", { token, body: { name: "digest", steps: [step] } });
        expect(made.status).toBe(201);
        id = made.json.id;
        expect((await api("PUT", `/plans/${id}`, { token, body: { name: "daily digest", steps: [step] } })).json.version).toBe(2);
        // the same plan again makes no version, and says nothing
        expect((await api("PUT", `/plans/${id}`, { token, body: { name: "daily digest", steps: [step] } })).json.version).toBe(2);
        // refused saves and deletes say nothing either
        expect((await api("PUT", `/plans/${id}`, { token, body: { name: "x", steps: [{ ...step, agent: "nobody" }] } })).status).toBe(422);
        expect((await api("DELETE", `/plans/${id}`, { token, headers: { "if-match": '"1"' } })).status).toBe(409);
        expect((await api("DELETE", `/plans/${id}`, { token })).status).toBe(204);
      },
      "plan.deleted",
    );
    expect(events.map((e) => [e.type, e.id, e.name, e.version])).toEqual([
      ["plan.updated", id, "digest", 1],
      ["plan.updated", id, "daily digest", 2],
      ["plan.deleted", id, "daily digest", 2],
    ]);
    // a summary for a list, never the definition
    expect(Object.keys(events[1]).sort()).toEqual(["created_at", "id", "name", "type", "updated_at", "version"]);
  });

  it("carries no other organization's plans", async () => {
    const token = await makeOrg(`org_planfeed_${crypto.randomUUID().slice(0, 8)}`);
    const other = await makeOrg(`org_planfeed_${crypto.randomUUID().slice(0, 8)}`);
    const events = await planEvents(
      token,
      async () => {
        expect((await api("POST", "/plans", { token: other, body: { name: "theirs", steps: [step] } })).status).toBe(201);
        expect((await api("POST", "/plans", { token, body: { name: "ours", steps: [step] } })).status).toBe(201);
      },
      "plan.updated",
    );
    expect(events.map((e) => e.name)).toEqual(["ours"]);
  });

  it("tells of a plan a chat's Save makes, and not of a Save that changed nothing", async () => {
    const token = await makeOrg(`org_planfeed_${crypto.randomUUID().slice(0, 8)}`);
    const conv = await api("POST", "/chat", { token, body: { message: "Research the market." } });
    expect(conv.status, JSON.stringify(conv.json)).toBe(201);
    let id = "";
    const events = await planEvents(
      token,
      async () => {
        const saved = await api("POST", `/chat/${conv.json.id}/save`, { token });
        expect(saved.status, JSON.stringify(saved.json)).toBe(201);
        id = saved.json.id;
        expect((await api("POST", `/chat/${conv.json.id}/save`, { token })).status).toBe(200);
        expect((await api("DELETE", `/plans/${id}`, { token })).status).toBe(204);
      },
      "plan.deleted",
    );
    expect(events.map((e) => [e.type, e.id, e.version])).toEqual([
      ["plan.updated", id, 1],
      ["plan.deleted", id, 1],
    ]);
  });
});
