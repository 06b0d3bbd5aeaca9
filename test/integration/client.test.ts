import { describe, expect, it } from "vitest";
import { ApiError, createClient, unwrap } from "../../web/src/client";
import { ADMIN, BASE, tokenWithRole, waitForStatus, workerFetch } from "../helpers";

/** The real Worker as the client's transport. */
const viaWorker: typeof fetch = (input, init) => workerFetch(new Request(input, init));
const client = (token: string | undefined = ADMIN) => createClient({ baseUrl: BASE, token, fetch: viaWorker });

describe("typed client", () => {
  it("creates, lists, reads and waits on a task with typed answers", async () => {
    const fd = client();
    const task = await unwrap(fd.tasks.$post({ json: { agent: "researcher", title: "From the client", description: "@output typed" } }));
    expect(task.id).toMatch(/^tsk_/);
    expect(task.status).toBe("pending");

    const done = await unwrap(fd.tasks[":id"].$get({ param: { id: task.id }, query: { wait: "10" } }));
    expect(done.status).toBe("completed");
    expect(done.output).toBe("typed");
    expect(done.steps).toHaveLength(1);
    expect(done.tokens.output).toBeGreaterThan(0);

    const page = await unwrap(fd.tasks.$get({ query: { q: "client", limit: "5" } }));
    expect(page.items.map((t) => t.id)).toContain(task.id);
    const summary = await unwrap(fd.tasks.summary.$get({ query: {} }));
    expect(summary.groups.completed.items.length).toBeGreaterThan(0);
  });

  it("answers a waiting agent through the session endpoint", async () => {
    const fd = client();
    const task = await unwrap(fd.tasks.$post({ json: { agent: "researcher", title: "asks", description: "@ask Which segment?\n@output ok" } }));
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    const answered = await unwrap(fd.sessions[":session_id"].respond.$post({ param: { session_id: task.session_id }, json: { call_id: waiting.pending[0].call_id, answers: ["enterprise"] } }));
    expect(answered).toEqual({ ok: true, task_id: task.id });
  });

  it("manages agents, with 204s as undefined", async () => {
    const fd = client();
    const name = `client-${crypto.randomUUID().slice(0, 8)}`;
    const agent = await unwrap(fd.agents.$post({ json: { name, model: "sim", tools: ["ask_human"] } }));
    expect(agent).toMatchObject({ name, model: "sim", tools: ["ask_human"], max_turns: 20 });
    const list = await unwrap(fd.agents.$get({ query: {} }));
    expect(list.items.some((a) => a.name === name)).toBe(true);
    expect(await unwrap(fd.agents[":id"].$delete({ param: { id: agent.id } }))).toBeUndefined();
  });

  it("throws ApiError with the status, code and request id of an error answer", async () => {
    const err = await unwrap(client().tasks[":id"].$get({ param: { id: "tsk_missing" }, query: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "not_found" });
    expect((err as ApiError).requestId).toMatch(/^[\w-]{8,}$/);

    const viewer = client(await tokenWithRole("viewer"));
    await expect(unwrap(viewer.tasks.$post({ json: { agent: "researcher", title: "no" } }))).rejects.toMatchObject({ status: 403, code: "forbidden" });
    await expect(unwrap(client("fd_nope").tasks.$get({ query: {} }))).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    await expect(unwrap(client().tasks.$post({ json: { agent: "ghost", title: "t" } }))).rejects.toMatchObject({ status: 422, code: "unprocessable" });
  });

  it("turns a transport failure into ApiError status 0, code network", async () => {
    const offline = createClient({ baseUrl: BASE, fetch: () => Promise.reject(new TypeError("Failed to fetch")) });
    await expect(unwrap(offline.health.$get())).rejects.toMatchObject({ name: "ApiError", status: 0, code: "network", details: "Failed to fetch" });
  });

  it("reads public endpoints without a token, and builds URLs for streams", async () => {
    const anon = client(undefined);
    const health = await unwrap(anon.health.$get());
    expect(health).toMatchObject({ ok: true, d1: true, durable_objects: true });
    const doc = await unwrap(anon["openapi.json"].$get());
    expect(doc.openapi).toBe("3.1.0");
    expect(anon.tasks[":id"].events.$url({ param: { id: "tsk_1" }, query: {} }).pathname).toBe("/api/v1/tasks/tsk_1/events");
  });
});
