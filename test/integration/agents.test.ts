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
    expect((await api("POST", "/agents", { body: { ...agent, name: "dup" } })).status).toBe(201);
    expectError(await api("POST", "/agents", { body: { ...agent, name: "dup" } }), 409, "conflict");
  });

  it("needs the admin role to manage agents", async () => {
    const member = await tokenWithRole("member");
    expect((await api("GET", "/agents", { token: member })).status).toBe(200);
    expectError(await api("POST", "/agents", { token: member, body: { ...agent, name: "nope" } }), 403);
  });
});
