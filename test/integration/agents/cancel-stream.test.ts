import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { OPENAI_KEY } from "../../fake-servers/openai";
import { api, makeOrg, until } from "../../helpers";

const openai = () => `http://127.0.0.1:${inject("fakeServers").openai}/v1`;

describe("stopping a run while its model streams", () => {
  const saved = { key: env.OPENAI_API_KEY, url: env.OPENAI_BASE_URL };
  afterEach(() => Object.assign(env, { OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url }));

  it("closes the provider's connection at once and keeps the text the run had received", async () => {
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai() });
    const token = await makeOrg(`org_cancel_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "talker", model: "openai:long-stream", tools: [] } });
    const message = `m-${crypto.randomUUID()}`;
    const task = (await api("POST", "/tasks", { token, body: { agent: "talker", title: "long answer", description: message } })).json;
    const trace = () => api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token }).then((r) => r.json);
    await until("live text", trace, (t) => typeof t.live_text === "string" && t.live_text.includes("word3 "));
    expect((await api("DELETE", `/tasks/${task.id}`, { token })).status).toBe(200);
    const stream = () => fetch(`${openai()}/test/streams/${message}`).then((r) => r.json() as Promise<{ state: string }>);
    await until("the provider's stream", stream, (s) => s.state !== "open", 2_000);
    expect((await stream()).state).toBe("disconnected");

    const after = await trace();
    expect(after).toMatchObject({ status: "cancelled", turns: [], live_text: null });
    expect(after.interrupted_text).toMatch(/^word0 word1 word2 word3 (word\d+ )*$/);
    // the run says why it stopped, as its step does
    const detail = (await api("GET", `/tasks/${task.id}`, { token })).json;
    expect(detail.steps[0].error).toMatch(/^cancelled by /);
    expect([after.error, detail.steps[0].runs[0].error]).toEqual([detail.steps[0].error, detail.steps[0].error]);
  });

  it("keeps the text a run had received when its step times out mid-answer", async () => {
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai() });
    const token = await makeOrg(`org_cancel_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "talker", model: "openai:long-stream", tools: [] } });
    const message = `m-${crypto.randomUUID()}`;
    const steps = [{ id: "main", kind: "agent", agent: "talker", instructions: message, timeout_s: 1, retry: { max_attempts: 1, backoff: { initial_ms: 1000, max_ms: 1000 } } }];
    const plan = (await api("POST", "/plans", { token, body: { name: "slow answer", steps } })).json;
    const task = (await api("POST", `/plans/${plan.id}/run`, { token, body: { inputs: {} } })).json;
    const trace = () => api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token }).then((r) => r.json);
    const failed = await until("run 1", trace, (t) => t.status === "failed");
    expect(failed.error).toBe("timed out after 1 s of work (timeout_s)");
    expect(failed.interrupted_text).toMatch(/^word0 word1 (word\d+ )*$/);
  });

  it("keeps the text a run had received when the provider sends an error in the middle of its answer", async () => {
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai() });
    const token = await makeOrg(`org_cancel_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "failing", model: "openai:stream-error", tools: [] } });
    const task = (await api("POST", "/tasks", { token, body: { agent: "failing", title: "too long", description: "hi" } })).json;
    const trace = () => api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`, { token }).then((r) => r.json);
    const failed = await until("run 1", trace, (t) => t.status === "failed");
    expect(failed).toMatchObject({ error: "openai: error in the stream: This model's maximum context length is 8192 tokens (BadRequestError, 400)", interrupted_text: "partial " });
  });
});
