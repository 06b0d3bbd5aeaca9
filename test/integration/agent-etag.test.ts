import { describe, expect, it } from "vitest";
import { api, apiWithDb, batchesMeet, expectError, until } from "../helpers";

const agent = (name: string) => ({ name, model: "sim", system_prompt: "You analyse.", tools: [], max_turns: 5 });

describe("an agent's version (ETag / If-Match)", () => {
  it("raises the version on every save and sends it as ETag", async () => {
    const made = await api("POST", "/agents", { body: agent("etag-a") });
    expect(made.json.version).toBe(1);
    expect(made.headers.get("etag")).toBe('"1"');
    const read = await api("GET", `/agents/${made.json.id}`);
    expect(read.headers.get("etag")).toBe('"1"');
    const saved = await api("PUT", `/agents/${made.json.id}`, { body: { ...agent("etag-a"), max_turns: 6 }, headers: { "if-match": '"1"' } });
    expect(saved.status).toBe(200);
    expect(saved.json.version).toBe(2);
    expect(saved.headers.get("etag")).toBe('"2"');
    const listed = await api("GET", "/agents?limit=100");
    expect(listed.json.items.find((a: { id: string }) => a.id === made.json.id).version).toBe(2);
  });

  it("refuses an edit sent for an older version with 409, and changes nothing", async () => {
    const { json: a } = await api("POST", "/agents", { body: agent("etag-b") });
    // two admins open version 1; the first saves
    expect((await api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-b"), system_prompt: "first" }, headers: { "if-match": '"1"' } })).status).toBe(200);
    const second = await api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-b"), max_turns: 9 }, headers: { "if-match": '"1"' } });
    expectError(second, 409, "conflict");
    expect(second.json.error.details).toEqual({ agent_id: a.id, version: 2, from_version: 1 });
    expect(second.headers.get("etag")).toBe('"2"');
    expect((await api("GET", `/agents/${a.id}`)).json).toMatchObject({ system_prompt: "first", max_turns: 5, version: 2 });
    // a delete sent for the old version keeps the agent too
    expectError(await api("DELETE", `/agents/${a.id}`, { headers: { "if-match": '"1"' } }), 409, "conflict");
    expect((await api("GET", `/agents/${a.id}`)).status).toBe(200);
    expect((await api("DELETE", `/agents/${a.id}`, { headers: { "if-match": '"2"' } })).status).toBe(204);
    expectError(await api("GET", `/agents/${a.id}`), 404);
  });

  it("lets exactly one of two concurrent edits of the same version through", async () => {
    const { json: a } = await api("POST", "/agents", { body: agent("etag-c") });
    const [x, y] = await Promise.all(
      ["from x", "from y"].map((p) => api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-c"), system_prompt: p }, headers: { "if-match": '"1"' } })),
    );
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const winner = x.status === 200 ? "from x" : "from y";
    expect((await api("GET", `/agents/${a.id}`)).json).toMatchObject({ system_prompt: winner, version: 2 });
  });

  it("answers each of concurrent saves with the version it wrote, not another save's", async () => {
    const { json: a } = await api("POST", "/agents", { body: agent("etag-e") });
    const prompts = ["p1", "p2", "p3", "p4"];
    const saves = await Promise.all(prompts.map((p) => api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-e"), system_prompt: p } })));
    for (const [i, s] of saves.entries()) {
      expect(s.status, s.text).toBe(200);
      // its own edit, under the version that edit was saved as: the ETag a next If-Match sends stands for it
      expect(s.json.system_prompt).toBe(prompts[i]);
      expect(s.headers.get("etag")).toBe(`"${s.json.version}"`);
    }
    expect(saves.map((s) => s.json.version).sort()).toEqual([2, 3, 4, 5]);
    const last = saves.find((s) => s.json.version === 5)!;
    expect((await api("GET", `/agents/${a.id}`)).json).toMatchObject({ system_prompt: last.json.system_prompt, version: 5 });
  });

  it("makes one version of several identical saves at once, and one audit entry: the others change nothing", async () => {
    const { json: a } = await api("POST", "/agents", { body: agent("etag-same") });
    const db = batchesMeet(6);
    const saves = await Promise.all([1, 2, 3, 4, 5, 6].map(() => apiWithDb(db, "PUT", `/agents/${a.id}`, { ...agent("etag-same"), system_prompt: "the same" })));
    for (const s of saves) expect([s.status, s.json.version, s.headers.get("etag")], s.text).toEqual([200, 2, '"2"']);
    expect((await api("GET", `/agents/${a.id}`)).json.version).toBe(2);
    const audit = await until("the audit entries", async () => (await api("GET", `/audit?target=${a.id}&action=agent.update`)).json.items, (items) => items.length >= 1);
    expect(audit).toHaveLength(1);
  });

  it("takes * and no If-Match as before, and refuses a malformed one naming the header", async () => {
    const { json: a } = await api("POST", "/agents", { body: agent("etag-d") });
    expect((await api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-d"), max_turns: 7 } })).json.version).toBe(2);
    expect((await api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-d"), max_turns: 8 }, headers: { "if-match": "*" } })).json.version).toBe(3);
    const bad = await api("PUT", `/agents/${a.id}`, { body: { ...agent("etag-d"), max_turns: 1 }, headers: { "if-match": "3" } });
    expectError(bad, 400, "bad_request");
    expect(bad.json.error.details).toEqual([{ path: '["if-match"]', message: expect.stringContaining("GET /agents/{id}") }]);
    expect((await api("GET", `/agents/${a.id}`)).json).toMatchObject({ max_turns: 8, version: 3 });
  });
});
