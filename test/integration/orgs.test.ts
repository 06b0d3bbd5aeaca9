import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectError, tokenWithRole, workerFetch } from "../helpers";

async function newOrg(name: string) {
  const res = await api("POST", "/orgs", { body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.json as { org: { id: string; name: string }; token: { id: string; token: string; role: string } };
}

const plan = { name: "Isolated plan", params: [], steps: [{ id: "a", agent: "researcher", instructions: "@output ok" }] };

describe("/orgs", () => {
  it("creates an organization with its first admin token and default sim agents", async () => {
    const { org, token } = await newOrg("Acme");
    expect(org.id).toMatch(/^org_/);
    expect(org.name).toBe("Acme");
    expect(token).toMatchObject({ role: "admin", name: "admin" });
    const me = await api("GET", "/auth/session", { token: token.token });
    expect(me.json).toMatchObject({ org: { id: org.id, name: "Acme" }, token: { role: "admin" } });
    const agents = await api("GET", "/agents", { token: token.token });
    expect(agents.json.items.map((a: { name: string }) => a.name).sort()).toEqual(["planner", "researcher", "reviewer", "writer"]);
    // every page of the list, as other files make organizations too: the new one is on exactly one
    const ids: string[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = await api("GET", `/orgs${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.status).toBe(200);
      ids.push(...page.json.items.map((o: { id: string }) => o.id));
      cursor = page.json.next_cursor;
    }
    expect(ids.filter((id) => id === org.id)).toHaveLength(1);
  });

  it("is for instance admins only: an organization's admin cannot create or list organizations", async () => {
    const { token } = await newOrg("Not instance");
    expectError(await api("POST", "/orgs", { token: token.token, body: { name: "x" } }), 403, "forbidden");
    expectError(await api("GET", "/orgs", { token: token.token }), 403, "forbidden");
    const admin = await tokenWithRole("admin");
    expectError(await api("POST", "/orgs", { token: admin, body: { name: "x" } }), 403, "forbidden");
    expectError(await api("POST", "/orgs", { body: { name: "" } }), 400, "bad_request");
    expectError(await api("POST", "/orgs", { body: {} }), 400, "bad_request");
  });

  it("scopes everything: another organization's ids are 404 everywhere, streams included", async () => {
    const a = (await newOrg("Org A")).token.token;
    const b = (await newOrg("Org B")).token.token;
    const task = await api("POST", "/tasks", { token: a, body: { agent: "researcher", title: "secret work", description: "@ask ok?" } });
    expect(task.status).toBe(201);
    const madePlan = await api("POST", "/plans", { token: a, body: plan });
    expect(madePlan.status).toBe(201);
    const trig = await api("POST", "/triggers", { token: a, body: { kind: "webhook", plan_id: madePlan.json.id } });
    expect(trig.status).toBe(201);
    const agents = await api("GET", "/agents", { token: a });
    const agentId = agents.json.items[0].id;
    const { json: tok } = await api("POST", "/tokens", { token: a, body: { name: "a2", role: "viewer" } });

    const id = task.json.id;
    for (const [method, path] of [
      ["GET", `/tasks/${id}`], ["DELETE", `/tasks/${id}`], ["GET", `/tasks/${id}/events`], ["GET", `/tasks/${id}/steps/main/runs/1/trace`],
      ["POST", `/tasks/${id}/steps/main/approve`], ["GET", `/plans/${madePlan.json.id}`], ["POST", `/plans/${madePlan.json.id}/run`],
      ["GET", `/plans/${madePlan.json.id}/versions`], ["DELETE", `/plans/${madePlan.json.id}`], ["GET", `/agents/${agentId}`],
      ["GET", `/triggers/${trig.json.id}`], ["DELETE", `/triggers/${trig.json.id}`], ["POST", `/triggers/${trig.json.id}/run`], ["DELETE", `/tokens/${tok.id}`],
    ] as const) {
      const body = method === "POST" ? {} : undefined;
      expectError(await api(method, path, { token: b, body }), 404, "not_found");
    }
    // named in a body, another organization's plan is unknown as any plan would be (422, as an unknown agent)
    expectError(await api("POST", `/tasks`, { token: b, body: { plan_id: madePlan.json.id } }), 422, "unprocessable");
    expectError(await api("POST", `/sessions/${task.json.session_id}/respond`, { token: b, body: { call_id: "x", answers: ["y"] } }), 404);
    expectError(await api("POST", "/tasks", { token: b, body: { plan_id: madePlan.json.id, inputs: {} } }), 422, "unprocessable");
    expectError(await api("POST", "/triggers", { token: b, body: { kind: "webhook", plan_id: madePlan.json.id } }), 422, "unprocessable");

    for (const path of ["/tasks", "/tasks?q=secret", "/plans", "/triggers", "/tokens", "/audit"]) {
      const res = await api("GET", path, { token: b });
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toContain(id);
      expect(res.text, path).not.toContain(madePlan.json.id);
      expect(res.text, path).not.toContain(trig.json.id);
    }
    const summary = await api("GET", "/tasks/summary", { token: b });
    expect(summary.text).not.toContain(id);

    // B's org feed does not carry A's task summaries.
    const res = await exportsFetch("/api/v1/events", b);
    const reader = res.body!.getReader();
    await reader.read();
    await api("DELETE", `/tasks/${id}`, { token: a });
    const next = await Promise.race([reader.read().then((r) => new TextDecoder().decode(r.value)), new Promise<string>((r) => setTimeout(() => r(""), 300))]);
    expect(next).not.toContain(id);
    await reader.cancel();
    const row = await env.DB.prepare("SELECT org_id FROM tasks WHERE id = ?").bind(id).first<{ org_id: string }>();
    expect(row!.org_id).not.toBe("org_default");
  });
});

async function exportsFetch(path: string, token: string) {
  return workerFetch(new Request(`http://flightdeck.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
}
