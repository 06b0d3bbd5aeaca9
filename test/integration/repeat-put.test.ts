import { describe, expect, it } from "vitest";
import { api, makeOrg } from "../helpers";

/** A repeated PUT changes nothing more (README, idempotency): not the version another editor holds, nor the audit log. */
describe("a PUT of what is saved", () => {
  it("keeps an agent's, an MCP server's and a price's version and updated_at, and adds no audit entry", async () => {
    const token = await makeOrg(`org_rput_${crypto.randomUUID().slice(0, 8)}`);
    const audited = async (target: string) => (await api("GET", `/audit?target=${target}`, { token })).json.items.length;

    const agent = { name: "steady", model: "sim", system_prompt: "hi", tools: [], max_cost: 0.5 };
    const made = await api("POST", "/agents", { token, body: agent });
    expect(made.status, made.text).toBe(201);
    // the same fields as the create: twice, nothing changes
    const first = await api("PUT", "/agents/steady", { token, body: agent });
    const again = await api("PUT", "/agents/steady", { token, body: agent });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.json).toMatchObject({ version: made.json.version, updated_at: made.json.updated_at });
    expect(again.headers.get("etag")).toBe(`"${made.json.version}"`);
    expect(await audited(made.json.id)).toBe(1);
    const changed = await api("PUT", "/agents/steady", { token, body: { ...agent, system_prompt: "hello" } });
    expect(changed.json.version).toBe(made.json.version + 1);
    expect(await audited(made.json.id)).toBe(2);

    const server = { url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer steady-value" } };
    const set = await api("PUT", "/mcp-servers/steady", { token, body: server });
    const setAgain = await api("PUT", "/mcp-servers/steady", { token, body: server });
    expect(setAgain.json).toMatchObject({ version: set.json.version, updated_at: set.json.updated_at });
    expect(await audited("steady")).toBe(1);
    const rotated = await api("PUT", "/mcp-servers/steady", { token, body: { ...server, headers: { Authorization: "Bearer other-value" } } });
    expect(rotated.json.version).toBe(set.json.version + 1);
    expect(await audited("steady")).toBe(2);

    const price = { input: 1, cache: 0.1, output: 2 };
    const priced = await api("PUT", "/pricing/openai:steady", { token, body: price });
    const pricedAgain = await api("PUT", "/pricing/openai:steady", { token, body: price });
    expect(pricedAgain.json.updated_at).toBe(priced.json.updated_at);
    expect(await audited("openai:steady")).toBe(1);
  });
});
