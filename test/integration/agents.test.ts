import { describe, expect, it } from "vitest";
import { api, expectError, tokenWithRole } from "../helpers";

const agent = { name: "analyst", model: "sim", system_prompt: "You analyse.", tools: ["web_search"], max_turns: 5 };

describe("/agents", () => {
  it("creates, reads, updates and deletes an agent", async () => {
    const created = await api("POST", "/agents", { body: agent });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ...agent, max_cost: null });
    const id = created.json.id;
    expect((await api("GET", `/agents/${id}`)).json.name).toBe("analyst");
    expect((await api("GET", "/agents/analyst")).json.id).toBe(id);
    const updated = await api("PUT", `/agents/${id}`, { body: { ...agent, model: "openai:gpt-4o-mini", max_cost: 0.5 } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ model: "openai:gpt-4o-mini", max_cost: 0.5 });
    expect((await api("DELETE", `/agents/${id}`)).status).toBe(204);
    expectError(await api("GET", `/agents/${id}`), 404);
    expectError(await api("DELETE", `/agents/${id}`), 404);
  });

  it("validates and refuses duplicates", async () => {
    expectError(await api("POST", "/agents", { body: { ...agent, name: "Bad Name" } }), 400);
    expectError(await api("POST", "/agents", { body: { ...agent, name: "m1", model: "gpt-4" } }), 400);
    expectError(await api("POST", "/agents", { body: { ...agent, name: "m2", tools: ["rm_rf"] } }), 400);
    expectError(await api("POST", "/agents", { body: { ...agent, name: "m3", max_turns: 0 } }), 400);
    // a budget is kept in nano-dollars: one under a nano-dollar would be kept as 0, which no run fits in
    expectError(await api("POST", "/agents", { body: { ...agent, name: "m4", max_cost: 1e-10 } }), 400);
    expectError(await api("POST", "/tasks", { body: { agent: "researcher", title: "t", max_cost: 1e-12 } }), 400);
    expectError(await api("PATCH", "/settings", { body: { monthly_spend_cap: 1e-10 } }), 400);
    expect((await api("POST", "/agents", { body: { ...agent, name: "m5", max_cost: 1e-9 } })).json.max_cost).toBe(1e-9);
    // /agents/{id} takes an id or a name, so a name shaped like an id would stand for another agent
    const first = await api("POST", "/agents", { body: { ...agent, name: "m6" } });
    const shaped = await api("POST", "/agents", { body: { ...agent, name: first.json.id, system_prompt: "impostor" } });
    expectError(shaped, 400, "bad_request");
    expect(shaped.json.error.details).toEqual([{ path: "name", message: expect.stringContaining("agt_") }]);
    expectError(await api("PUT", `/agents/${first.json.id}`, { body: { ...agent, name: "agt_x" } }), 400, "bad_request");
    expect((await api("GET", `/agents/${first.json.id}`)).json).toMatchObject({ name: "m6", system_prompt: agent.system_prompt });
    expect((await api("POST", "/agents", { body: { ...agent, name: "dup" } })).status).toBe(201);
    expectError(await api("POST", "/agents", { body: { ...agent, name: "dup" } }), 409, "conflict");
  });

  it("takes its own bound on a turn's tool calls, from 1 to the instance's, shown in its view; a bad one is 400 and changes nothing", async () => {
    const made = await api("POST", "/agents", { body: { ...agent, name: "bounded" } });
    expect(made.json.max_tool_calls_per_turn).toBeNull();
    const id = made.json.id;
    const set = await api("PUT", `/agents/${id}`, { body: { ...agent, name: "bounded", max_tool_calls_per_turn: 4 } });
    expect(set.status, set.text).toBe(200);
    expect(set.json.max_tool_calls_per_turn).toBe(4);
    expect((await api("GET", `/agents/${id}`)).json.max_tool_calls_per_turn).toBe(4);
    for (const bad of [0, -1, 2.5, "4", 33]) {
      const res = await api("PUT", `/agents/${id}`, { body: { ...agent, name: "bounded", max_tool_calls_per_turn: bad } });
      expectError(res, 400, "bad_request");
      expect(res.json.error.details[0].path, String(bad)).toBe("max_tool_calls_per_turn");
    }
    const over = await api("POST", "/agents", { body: { ...agent, name: "unbounded", max_tool_calls_per_turn: 33 } });
    expectError(over, 400, "bad_request");
    expect(over.json.error.message).toContain("at most 32");
    expectError(await api("GET", "/agents/unbounded"), 404);
    expect((await api("GET", `/agents/${id}`)).json.max_tool_calls_per_turn).toBe(4);
    expect((await api("POST", "/agents", { body: { ...agent, name: "at-cap", max_tool_calls_per_turn: 32 } })).json.max_tool_calls_per_turn).toBe(32);
    expect((await api("PUT", `/agents/${id}`, { body: { ...agent, name: "bounded", max_tool_calls_per_turn: null } })).json.max_tool_calls_per_turn).toBeNull();
  });

  it("needs the admin role to manage agents", async () => {
    const member = await tokenWithRole("member");
    expect((await api("GET", "/agents", { token: member })).status).toBe(200);
    expectError(await api("POST", "/agents", { token: member, body: { ...agent, name: "nope" } }), 403);
  });
});
