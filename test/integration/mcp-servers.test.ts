import { createExecutionContext, env } from "cloudflare:test";
import worker from "../../worker/index";
import { cachedMcpServerResolver, MCP_SERVER_CACHE_MS } from "../../worker/db/mcp-servers";

import { describe, expect, it } from "vitest";
import { ADMIN, api, apiWithDb, BASE, batchesMeet, createTask, expectError, makeOrg, tokenWithRole, waitForStatus } from "../helpers";
import { local, servers } from "./agents/helpers";

const uid = () => crypto.randomUUID().slice(0, 8);
/** What the fake MCP server saw of each request tagged `tag`: the credentials it came with. */
const seen = async (tag: string) =>
  ((await (await fetch(local(servers().mcp, `/seen?tag=${tag}`))).json()) as { requests: { path: string; authorization: string | null; x_api_key: string | null }[] }).requests;

async function putServer(name: string, body: unknown, token = ADMIN) {
  return api("PUT", `/mcp-servers/${name}`, { body, token });
}

async function agentUsing(server: string) {
  const name = `mcp-agent-${uid()}`;
  const res = await api("POST", "/agents", { body: { name, model: "sim", tools: [`mcp:${server}`] } });
  expect(res.status, res.text).toBe(201);
  return name;
}

/** Everything a viewer, an exporter or an auditor can read of a task, in one text. */
async function everythingAbout(taskId: string, viewer: string) {
  const parts = await Promise.all([
    api("GET", `/tasks/${taskId}`, { token: viewer }),
    api("GET", `/tasks/${taskId}/steps/main/runs/1/trace`, { token: viewer }),
    api("GET", `/tasks/${taskId}/events`, { token: viewer }),
    api("GET", `/tasks/export?format=json&q=${encodeURIComponent("credential check")}`, { token: viewer }),
    api("GET", `/tasks/export?format=csv&q=${encodeURIComponent("credential check")}`, { token: viewer }),
    api("GET", "/mcp-servers", { token: viewer }),
    api("GET", "/agents?limit=100", { token: viewer }),
    api("GET", "/audit?limit=100"),
  ]);
  for (const p of parts) expect(p.status, p.text).toBe(200);
  return parts.map((p) => p.text).join("\n");
}

describe("named MCP servers: credentials an admin stores once and agents use by name", () => {
  it("sends the headers to the server as configured, and no viewer, export, trace, event or audit entry shows them", async () => {
    const tag = uid();
    const token = `mcp-secret-${uid()}${uid()}`;
    const apiKey = `key-${uid()}${uid()}`;
    const name = `notes-${uid()}`;
    const set = await putServer(name, { url: local(servers().mcp, `/mcp-auth?tag=${tag}`), headers: { Authorization: `Bearer ${token}`, "X-Api-Key": apiKey } });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({ name, url: local(servers().mcp, `/mcp-auth?tag=${tag}`), headers: [{ name: "Authorization" }, { name: "X-Api-Key" }], updated_by: { type: "token" } });
    expect(set.json.headers[0].fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(set.text).not.toContain(token);
    // sealed at rest: the row holds neither value
    const row = await env.DB.prepare("SELECT * FROM mcp_servers WHERE name = ?").bind(name).first();
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(apiKey);

    const agent = await agentUsing(name);
    const task = await createTask({ agent, title: "credential check", description: '@tool whoami {}\n@tool add {"a": 2, "b": 3}\n@output done' });
    const done = await waitForStatus(task.id, ["completed", "failed"]);
    expect(done.status, JSON.stringify(done.steps)).toBe("completed");
    const requests = await seen(tag);
    expect(requests.length).toBeGreaterThan(2);
    for (const r of requests) expect(r).toMatchObject({ authorization: `Bearer ${token}`, x_api_key: apiKey });

    const viewer = await tokenWithRole("viewer");
    const trace = await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token: viewer });
    // the server echoed both: the model and the trace got them masked
    expect(trace.text).toContain("you are [masked] (key [masked])");
    expect(trace.text).toContain('"5"');
    const all = await everythingAbout(task.id, viewer);
    expect(all).toContain(name);
    expect(all).not.toContain(token);
    expect(all).not.toContain(apiKey);
  });

  it("in force for the next run once rotated: a new fingerprint, the new value sent, the old one no more", async () => {
    const tag = uid();
    const name = `rotated-${uid()}`;
    const url = local(servers().mcp, `/mcp-auth?tag=${tag}`);
    const first = await putServer(name, { url, headers: { Authorization: "Bearer old-value-12345" } });
    const agent = await agentUsing(name);
    const second = await putServer(name, { url, headers: { Authorization: "Bearer new-value-67890" } });
    expect(second.status, second.text).toBe(200);
    expect(second.json.headers[0].fingerprint).not.toBe(first.json.headers[0].fingerprint);
    expect(second.json.created_at).toBe(first.json.created_at);
    const task = await createTask({ agent, title: "rotated", description: '@tool add {"a": 1, "b": 1}\n@output done' });
    expect((await waitForStatus(task.id, ["completed", "failed"])).status).toBe("completed");
    expect((await seen(tag)).map((r) => r.authorization)).toEqual(expect.arrayContaining(["Bearer new-value-67890"]));
    expect((await seen(tag)).map((r) => r.authorization)).not.toContain("Bearer old-value-12345");
    const audit = await api("GET", `/audit?target=${name}`);
    expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual(["mcp_server.set", "mcp_server.set"]);
    expect(audit.text).not.toContain("value-12345");
    expect(audit.text).not.toContain("value-67890");
  });

  it("keeps the headers on a redirect within the server's origin and drops them on one to another origin", async () => {
    const same = uid();
    const sameName = `same-${uid()}`;
    await putServer(sameName, { url: local(servers().mcp, `/mcp-moved?tag=${same}`), headers: { Authorization: "Bearer same-origin-cred" } });
    const sameTask = await createTask({ agent: await agentUsing(sameName), title: "same origin", description: '@tool add {"a": 1, "b": 2}\n@output done' });
    expect((await waitForStatus(sameTask.id, ["completed", "failed"])).status).toBe("completed");
    expect((await seen(same)).filter((r) => r.path === "/mcp").map((r) => r.authorization)).toContain("Bearer same-origin-cred");

    const other = uid();
    const otherName = `other-${uid()}`;
    const target = local(servers().mcp, `/mcp-auth?tag=${other}`);
    const set = await putServer(otherName, { url: local(servers().http, `/redirect-to?status=307&to=${encodeURIComponent(target)}`), headers: { Authorization: "Bearer cross-origin-cred" } });
    expect(set.status, set.text).toBe(200);
    const task = await createTask({ agent: await agentUsing(otherName), title: "other origin", description: '@tool add {"a": 1, "b": 2}\n@output done' });
    const failed = await waitForStatus(task.id, ["completed", "failed"], 30_000);
    expect(failed.status).toBe("failed");
    expect(failed.steps[0].error).toContain(`MCP server ${otherName} could not list its tools`);
    expect(failed.steps[0].error).toContain("HTTP 401");
    const requests = await seen(other);
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(r.authorization).toBeNull();
  }, 60_000);

  it("fails a run of an agent whose server was deleted, naming it, and refuses an agent naming an unknown one", async () => {
    const name = `deleted-${uid()}`;
    await putServer(name, { url: local(servers().mcp, "/mcp"), headers: {} });
    const agent = await agentUsing(name);
    const del = await api("DELETE", `/mcp-servers/${name}`);
    expect(del.status, del.text).toBe(204);
    expectError(await api("DELETE", `/mcp-servers/${name}`), 404, "not_found");
    expectError(await api("GET", `/mcp-servers/${name}`), 404, "not_found");
    const task = await createTask({ agent, title: "deleted server", description: '@tool add {"a": 1, "b": 2}\n@output done' });
    const failed = await waitForStatus(task.id, ["completed", "failed"]);
    expect(failed.status).toBe("failed");
    expect(failed.steps[0].error).toContain(`MCP server ${name} is not configured in this organization`);
    // permanent: no retry would bring it back
    expect(failed.steps[0].runs).toHaveLength(1);

    const refused = await api("POST", "/agents", { body: { name: `x-${uid()}`, model: "sim", tools: ["ask_human", `mcp:${name}`] } });
    expectError(refused, 422, "unprocessable");
    expect(refused.json.error.message).toContain(`unknown MCP server ${name}`);
    expect(refused.json.error.details).toEqual([{ path: "tools[1]", message: `no MCP server named ${name}` }]);
    // a plan's step naming one is refused the same way, and saved once it exists
    const plan = { name: `p-${uid()}`, steps: [{ id: "use", agent: "researcher", instructions: "@output x", tools: [`mcp:${name}`] }] };
    const refusedPlan = await api("POST", "/plans", { body: plan });
    expectError(refusedPlan, 422, "unprocessable");
    expect(refusedPlan.json.error.details).toEqual([expect.objectContaining({ step: "use", path: "steps[0].tools[0]", message: expect.stringContaining(`unknown MCP server "${name}"`) })]);
    await putServer(name, { url: local(servers().mcp, "/mcp") });
    expect((await api("POST", "/plans", { body: plan })).status).toBe(201);
    // a URL keeps working as it did
    expect((await api("POST", "/agents", { body: { name: `url-${uid()}`, model: "sim", tools: [`mcp:${local(servers().mcp, "/mcp")}`] } })).status).toBe(201);
  });

  it("lets only admins write, refuses bad input with a clear error and changes nothing", async () => {
    const name = `guarded-${uid()}`;
    const good = { url: local(servers().mcp, "/mcp"), headers: { Authorization: "Bearer guarded-value" } };
    for (const role of ["viewer", "member"] as const) {
      const t = await tokenWithRole(role);
      expectError(await putServer(name, good, t), 403, "forbidden");
      expectError(await api("DELETE", `/mcp-servers/${name}`, { token: t }), 403, "forbidden");
    }
    const bad: [string, unknown, string][] = [
      ["Bad_Name", good, "name"],
      [name, { ...good, url: "ftp://example.com/mcp" }, "url"],
      [name, { ...good, url: "https://user:pass@example.com/mcp" }, "not in the URL"],
      [name, { ...good, headers: { "Content-Type": "text/plain" } }, "the MCP transport sets this header itself"],
      [name, { ...good, headers: { "Bad Header": "x" } }, "a header name is"],
      [name, { ...good, headers: { Authorization: "a", authorization: "b" } }, "given twice"],
      [name, { ...good, headers: { Authorization: "Bearer a\r\nX-Evil: 1" } }, "line break"],
      [name, { ...good, headers: { Authorization: "" } }, "Authorization"],
      [name, { ...good, headers: { "X-Team": "clé-SECRET-987654" } }, "ASCII"],
      // too short to be masked where a server echoes it: the key itself, or the token after its scheme
      [name, { ...good, headers: { "X-Api-Key": "k3y-7Qz" } }, "at least 8 characters"],
      [name, { ...good, headers: { Authorization: "Bearer Zq9xVv" } }, "at least 8 characters"],
      [name, { ...good, extra: 1 }, ""],
    ];
    for (const [n, body, path] of bad) {
      const res = await putServer(n, body);
      expectError(res, 400, "bad_request");
      expect(JSON.stringify(res.json.error.details), JSON.stringify(body)).toContain(path);
    }
    expect((await api("GET", `/mcp-servers/${name}`)).status).toBe(404);
    expect((await api("GET", `/audit?target=${name}`)).json.items).toEqual([]);
  });

  it("saves over no change it never saw: If-Match replaces that version only, If-None-Match: * only adds", async () => {
    const name = `versioned-${uid()}`;
    const v1 = { url: local(servers().mcp, "/mcp?v=1"), headers: { Authorization: "Bearer first-value" } };
    const v2 = { url: local(servers().mcp, "/mcp?v=2"), headers: { Authorization: "Bearer rotated-value" } };
    const added = await api("PUT", `/mcp-servers/${name}`, { body: v1, headers: { "if-none-match": "*" } });
    expect(added.status, added.text).toBe(200);
    expect(added.json.version).toBe(1);
    expect(added.headers.get("etag")).toBe('"1"');
    expect((await api("GET", `/mcp-servers/${name}`)).headers.get("etag")).toBe('"1"');
    // adding again by that name would replace its URL and credentials
    const again = await api("PUT", `/mcp-servers/${name}`, { body: v2, headers: { "if-none-match": "*" } });
    expectError(again, 409, "conflict");
    expect(again.json.error.details).toEqual({ name, version: 1 });
    // one admin rotates the credential; another, who opened version 1, saves over it: refused, naming version 2
    const rotated = await api("PUT", `/mcp-servers/${name}`, { body: v2, headers: { "if-match": '"1"' } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.version).toBe(2);
    const stale = await api("PUT", `/mcp-servers/${name}`, { body: v1, headers: { "if-match": '"1"' } });
    expectError(stale, 409, "conflict");
    expect(stale.json.error.details).toEqual({ name, version: 2, from_version: 1 });
    expect(stale.headers.get("etag")).toBe('"2"');
    expectError(await api("DELETE", `/mcp-servers/${name}`, { headers: { "if-match": '"1"' } }), 409, "conflict");
    const kept = (await api("GET", `/mcp-servers/${name}`)).json;
    expect(kept).toMatchObject({ url: v2.url, version: 2, headers: [{ name: "Authorization", fingerprint: rotated.json.headers[0].fingerprint }] });
    // no header: replaced whatever its version, as before versions; the same again changes nothing more
    expect((await api("PUT", `/mcp-servers/${name}`, { body: v2 })).json.version).toBe(2);
    expect((await api("PUT", `/mcp-servers/${name}`, { body: { ...v2, url: local(servers().mcp, "/mcp?v=3") } })).json.version).toBe(3);
    // malformed preconditions are 400 and change nothing
    expectError(await api("PUT", `/mcp-servers/${name}`, { body: v1, headers: { "if-match": "3" } }), 400, "bad_request");
    expectError(await api("PUT", `/mcp-servers/${name}`, { body: v1, headers: { "if-none-match": '"3"' } }), 400, "bad_request");
    expectError(await api("PUT", `/mcp-servers/${name}`, { body: v1, headers: { "if-match": '"3"', "if-none-match": "*" } }), 400, "bad_request");
    expect((await api("GET", `/mcp-servers/${name}`)).json.version).toBe(3);
    // If-Match on a server that is gone is 404: it is never made again by a save meant for it
    expect((await api("DELETE", `/mcp-servers/${name}`, { headers: { "if-match": '"3"' } })).status).toBe(204);
    expectError(await api("PUT", `/mcp-servers/${name}`, { body: v1, headers: { "if-match": '"3"' } }), 404, "not_found");
    expect((await api("GET", `/mcp-servers/${name}`)).status).toBe(404);
    const audit = (await api("GET", `/audit?target=${name}`)).json.items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(["mcp_server.delete", "mcp_server.set", "mcp_server.set", "mcp_server.set"]);
  });

  it("answers each of concurrent saves with the version it wrote, not another save's", async () => {
    const name = `racing-${uid()}`;
    expect((await putServer(name, { url: local(servers().mcp, "/mcp?v=0") })).json.version).toBe(1);
    const urls = [1, 2, 3, 4, 5, 6].map((v) => local(servers().mcp, `/mcp?v=${v}`));
    const saves = await Promise.all(urls.map((url) => putServer(name, { url })));
    for (const [i, s] of saves.entries()) {
      expect(s.status, s.text).toBe(200);
      expect(s.json.url).toBe(urls[i]);
      expect(s.headers.get("etag")).toBe(`"${s.json.version}"`);
    }
    expect(saves.map((s) => s.json.version).sort()).toEqual([2, 3, 4, 5, 6, 7]);
    const last = saves.find((s) => s.json.version === 7)!;
    expect((await api("GET", `/mcp-servers/${name}`)).json).toMatchObject({ url: last.json.url, version: 7 });
  });

  it("makes one version of several identical saves at once, and one audit entry: the others change nothing", async () => {
    const name = `same-${uid()}`;
    expect((await putServer(name, { url: local(servers().mcp, "/mcp?v=0") })).json.version).toBe(1);
    const url = local(servers().mcp, "/mcp?v=same");
    const db = batchesMeet(6);
    const saves = await Promise.all([1, 2, 3, 4, 5, 6].map(() => apiWithDb(db, "PUT", `/mcp-servers/${name}`, { url })));
    for (const s of saves) expect([s.status, s.json.version, s.headers.get("etag")], s.text).toEqual([200, 2, '"2"']);
    const audit = (await api("GET", `/audit?target=${name}&action=mcp_server.set`)).json.items;
    expect(audit).toHaveLength(2);
  });

  it("belongs to its organization: another sees none of it and cannot use it by name", async () => {
    const name = `private-${uid()}`;
    await putServer(name, { url: local(servers().mcp, "/mcp"), headers: { Authorization: "Bearer private-value-1" } });
    const other = await makeOrg(`org_mcp_${uid()}`);
    const list = await api("GET", "/mcp-servers", { token: other });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(name);
    expectError(await api("GET", `/mcp-servers/${name}`, { token: other }), 404, "not_found");
    expectError(await api("DELETE", `/mcp-servers/${name}`, { token: other }), 404, "not_found");
    expectError(await api("POST", "/agents", { token: other, body: { name: "thief", model: "sim", tools: [`mcp:${name}`] } }), 422, "unprocessable");
    expect((await api("GET", `/mcp-servers/${name}`)).status).toBe(200);
  });

  it("keeps no credential on an instance without SECRETS_KEY, saying why, and stores nothing", async () => {
    const name = `nokey-${uid()}`;
    const put = (body: unknown) =>
      worker.fetch(
        new Request(`${BASE}/api/v1/mcp-servers/${name}`, { method: "PUT", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(body) }),
        { ...env, SECRETS_KEY: undefined },
        createExecutionContext(),
      );
    const refused = await put({ url: local(servers().mcp, "/mcp"), headers: { Authorization: "Bearer no-key-value" } });
    const json = (await refused.json()) as { error: { code: string; message: string } };
    expect(refused.status).toBe(422);
    expect(json.error.message).toContain("no SECRETS_KEY");
    expect((await api("GET", `/mcp-servers/${name}`)).status).toBe(404);
    // a server without headers needs no key
    expect((await put({ url: local(servers().mcp, "/mcp") })).status).toBe(200);
  });

  it("is read once a second by a task object however many runs start, and a failed read is not kept", async () => {
    let now = 1_000_000;
    const resolve = cachedMcpServerResolver(env, () => "org_default", () => now);
    const name = `cached-${uid()}`;
    await expect(resolve([name])).rejects.toThrow(`MCP server ${name} is not configured`);
    await putServer(name, { url: local(servers().mcp, "/mcp?v=1"), headers: { Authorization: "Bearer cached-value-1" } });
    expect((await resolve([name])).get(name)).toEqual({ url: local(servers().mcp, "/mcp?v=1"), headers: { Authorization: "Bearer cached-value-1" } });
    await putServer(name, { url: local(servers().mcp, "/mcp?v=2"), headers: { Authorization: "Bearer cached-value-2" } });
    now += MCP_SERVER_CACHE_MS - 1;
    expect((await resolve([name])).get(name)!.headers.Authorization).toBe("Bearer cached-value-1");
    now += 1;
    expect((await resolve([name])).get(name)).toEqual({ url: local(servers().mcp, "/mcp?v=2"), headers: { Authorization: "Bearer cached-value-2" } });
  });
});
