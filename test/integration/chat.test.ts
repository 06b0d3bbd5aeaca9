import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { OPENAI_KEY } from "../fake-servers/openai";
import { CHAT_RECHECK_MS } from "../../worker/chat/conversation";
import { ConversationStore } from "../../worker/chat/store";
import { ADMIN, api, BASE, expectError, makeOrg, tokenWithRole, waitForStatus, workerFetch } from "../helpers";
import { servers } from "./agents/helpers";

const REQUEST = "Research the top competitors. Write a summary of their pricing. Send it to the team.";

async function start(body: Record<string, unknown> = {}, token = ADMIN) {
  const res = await api("POST", "/chat", { body, token });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

async function say(id: string, content: string, token = ADMIN) {
  const res = await api("POST", `/chat/${id}/messages`, { token, body: { content } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

/** SSE frames of a streamed reply: `[event, data]` pairs. */
function frames(text: string): [string, any][] {
  return text
    .split("\n\n")
    .filter((f) => f.includes("event: "))
    .map((f) => [/event: (.+)/.exec(f)![1], JSON.parse(/data: (.+)/.exec(f)![1])]);
}

async function addAgent(name: string, model: string) {
  const res = await api("POST", "/agents", { body: { name, model, system_prompt: "You plan work." } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
}

describe("chat under the offline planner", () => {
  it("drafts one step per sentence with the org's agents, and approval on the risky step", async () => {
    const conv = await start({ message: REQUEST });
    expect(conv.id).toMatch(/^cnv_/);
    expect(conv.planner).toEqual({ agent: "planner", model: "sim" });
    const { draft } = conv;
    expect(draft.version).toBe(1);
    expect(draft.plan.steps.map((s: any) => [s.id, s.agent, s.depends_on, s.approval])).toEqual([
      ["research_top_competitors", "researcher", [], false],
      ["write_summary_pricing", "writer", ["research_top_competitors"], false],
      ["send_team", "writer", ["write_summary_pricing"], true],
    ]);
    expect(draft.plan.steps[1].instructions).toContain("{{steps.research_top_competitors.output}}");
    expect(draft.changes.added.map((s: any) => s.id)).toHaveLength(3);
    expect(conv.messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    // the draft is a plan POST /plans accepts as it is
    expect((await api("POST", "/plans", { body: draft.plan })).status).toBe(201);
  });

  it("turns 'for each' lines into loops and answers the same draft for the same words", async () => {
    const text = "Find our open leads\nFor each lead, draft a personal email\nSend the emails";
    const a = (await start({ message: text })).draft.plan;
    const b = (await start({ message: text })).draft.plan;
    expect(a).toEqual(b);
    expect(a.steps[1]).toMatchObject({ kind: "loop", id: "each_lead", over: "find_open_leads", body: [{ agent: "writer" }] });
    expect(a.steps[1].body[0].instructions).toContain("{{item}}");
    expect(a.steps[2]).toMatchObject({ depends_on: ["each_lead"], approval: true });
  });

  it("refines the draft and shows what changed", async () => {
    const conv = await start({ message: "Collect the brief. Research pricing. Research features. Write a comparison. Email it to the team." });
    const r1 = await say(conv.id, "Run the research in parallel");
    expect(r1.draft.version).toBe(2);
    const byId = (plan: any) => Object.fromEntries(plan.steps.map((s: any) => [s.id, s]));
    expect(byId(r1.draft.plan).research_features.depends_on).toEqual(["collect_brief"]);
    expect(byId(r1.draft.plan).write_comparison.depends_on).toEqual(["research_pricing", "research_features"]);
    expect(r1.draft.changes).toMatchObject({ from_version: 1, added: [], removed: [] });
    expect(r1.draft.changes.changed.map((c: any) => c.id)).toContain("research_features");

    const r2 = await say(conv.id, "Add a review step before sending.");
    const steps = byId(r2.draft.plan);
    expect(steps.review_before_sending).toMatchObject({ agent: "reviewer", depends_on: ["write_comparison"] });
    expect(steps.email_team.depends_on).toEqual(["review_before_sending"]);
    expect(r2.draft.changes.added).toEqual([{ id: "review_before_sending", name: "Review before sending" }]);
    expect(r2.draft.changes.summary[0]).toBe("added review_before_sending (Review before sending)");

    const draft = await api("GET", `/chat/${conv.id}/draft`);
    expect(draft.json.version).toBe(3);
    expect(draft.json.changes.from_version).toBe(2);
  });

  it("streams the reply over SSE", async () => {
    const conv = await start();
    expect(conv.draft).toBeNull();
    const res = await workerFetch(
      new Request(`${BASE}/api/v1/chat/${conv.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ content: REQUEST }),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = frames(await res.text());
    const types = events.map(([t]) => t);
    expect(types[0]).toBe("message.created");
    expect(types.filter((t) => t === "reply.delta").length).toBeGreaterThan(3);
    expect(types.slice(-2)).toEqual(["draft.created", "reply.done"]);
    const streamed = events.filter(([t]) => t === "reply.delta").map(([, d]) => d.text).join("");
    expect(streamed).toBe(events.at(-1)![1].message.content);
    expect((await api("GET", `/chat/${conv.id}`)).json.draft.version).toBe(1);
  });

  it("answers words with no work in them by asking for the work, not with an invalid plan's errors", async () => {
    const conv = await start({ message: "every morning" });
    expect(conv.draft).toBeNull();
    const answer = conv.messages.at(-1);
    expect(answer).toMatchObject({ role: "assistant", failed: true });
    expect(answer).not.toHaveProperty("issues");
    expect(answer.content).toContain("I found no work to plan in that");
    expect(answer.content).toContain("add a cron trigger");
    expect(answer.content).not.toContain("Too small");
    const drafted = await say(conv.id, "Research the market. Write a short report.");
    expect(drafted.draft.version).toBe(1);
    const again = await say(conv.id, "Start over: daily");
    expect(again.message.content).toContain("The draft is unchanged.");
    expect((await api("GET", `/chat/${conv.id}/draft`)).json.version).toBe(1);
  });

  it("keeps the draft's version when a reply changes nothing, so a Run or Save of the draft seen still stands", async () => {
    const conv = await start({ message: "Research the market. Write a short report." });
    for (const content of ["Remove the banana step", "Run it every Monday"]) {
      const reply = await say(conv.id, content);
      expect(reply.message).toMatchObject({ role: "assistant", failed: false, draft_version: 1 });
      expect(reply.draft.version).toBe(1);
    }
    const streamed = await workerFetch(
      new Request(`${BASE}/api/v1/chat/${conv.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ content: "Remove the banana step" }),
      }),
    );
    expect(frames(await streamed.text()).map(([t]) => t).filter((t) => t !== "reply.delta")).toEqual(["message.created", "draft.attempt", "reply.done"]);
    expect((await api("GET", `/chat/${conv.id}/draft`)).json.version).toBe(1);
    expect((await api("POST", `/chat/${conv.id}/run`, { body: { draft_version: 1 } })).status).toBe(201);
    // a reply that changes it makes the next version
    expect((await say(conv.id, "Remove the report step")).draft.version).toBe(2);
  });

  it("runs the draft as a task (api for a bearer token) and it completes", async () => {
    const conv = await start({ message: "Research the market. Write a short report." });
    const res = await api("POST", `/chat/${conv.id}/run`, { body: { title: "From chat" } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json).toMatchObject({ title: "From chat", source: "api", plan_id: null, agents: ["researcher", "writer"] });
    const done = await waitForStatus(res.json.id, ["completed"]);
    expect(done.steps.map((s: any) => s.step_id)).toEqual(["research_market", "write_short_report"]);
    const view = (await api("GET", `/chat/${conv.id}`)).json;
    expect(view.messages.at(-1)).toMatchObject({ role: "event", content: `Started task ${res.json.id} from draft 1.` });
  });

  it("runs with source dashboard for a cookie session", async () => {
    const conv = await start({ message: "Research the market." });
    const login = await api("POST", "/auth/session", { token: null, body: { token: ADMIN } });
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const res = await api("POST", `/chat/${conv.id}/run`, { token: null, body: {}, headers: { cookie, origin: BASE } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.source).toBe("dashboard");
  });

  it("saves a new plan, then a new version of it", async () => {
    const conv = await start({ message: "Research the market. Write a short report." });
    const first = await api("POST", `/chat/${conv.id}/save`);
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.json).toMatchObject({ version: 1, name: conv.draft.plan.name });
    await say(conv.id, "Add a review step before the report");
    const second = await api("POST", `/chat/${conv.id}/save`);
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ id: first.json.id, version: 2 });
    expect(second.json.definition.steps.map((s: any) => s.id)).toContain("review_before_report");
    const versions = await api("GET", `/plans/${first.json.id}/versions`);
    expect(versions.json.items.map((v: any) => v.version)).toEqual([2, 1]);
    // saving the same draft again changes nothing: the current version, not an identical third
    const again = await api("POST", `/chat/${conv.id}/save`);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json.id, version: 2, updated_at: second.json.updated_at });
    expect((await api("GET", `/plans/${first.json.id}/versions`)).json.items.length).toBe(2);
  });

  it("runs or saves only the draft version the caller saw: 409 once another reply replaced it", async () => {
    const conv = await start({ message: "Research the market. Write a short report." });
    await say(conv.id, "Add a review step before the report");
    const tasksBefore = (await api("GET", "/tasks")).json.items.length;
    const run = await api("POST", `/chat/${conv.id}/run`, { body: { draft_version: 1 } });
    expectError(run, 409, "conflict");
    expect(run.json.error.message).toContain("version 2");
    expect((await api("GET", "/tasks")).json.items.length).toBe(tasksBefore);
    const save = await api("POST", `/chat/${conv.id}/save`, { body: { draft_version: 1 } });
    expectError(save, 409, "conflict");
    expect((await api("GET", `/chat/${conv.id}`)).json.plan_id).toBeNull();
    expectError(await api("POST", `/chat/${conv.id}/save`, { body: { draft_version: "2" } }), 400, "bad_request");
    expect((await api("POST", `/chat/${conv.id}/save`, { body: { draft_version: 2 } })).status).toBe(201);
    expect((await api("POST", `/chat/${conv.id}/run`, { body: { draft_version: 2 } })).status).toBe(201);
    expect((await api("POST", `/chat/${conv.id}/save`)).status).toBe(200);
  });

  it("starts from a saved plan, and Save makes its next version", async () => {
    const plan = (await api("POST", "/plans", { body: { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news" }] } })).json;
    const conv = await start({ plan_id: plan.id });
    expect(conv).toMatchObject({ plan_id: plan.id, plan_version: 1, draft: { version: 1 } });
    await say(conv.id, "Then write a digest of the news");
    const saved = await api("POST", `/chat/${conv.id}/save`);
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ id: plan.id, version: 2 });
    expect(saved.json.definition.steps.map((s: any) => [s.id, s.depends_on])).toEqual([["scan", []], ["write_digest_news", ["scan"]]]);
  });

  it("runs a draft that names an MCP server by its URL only for an admin: a member's run is 403 and starts nothing", async () => {
    const url = "mcp:http://127.0.0.1:9/mcp";
    const plan = (await api("POST", "/plans", { body: { name: "Internal", steps: [{ id: "scan", agent: "researcher", instructions: "Scan", tools: [url] }] } })).json;
    const member = await tokenWithRole("member");
    const conv = await start({ plan_id: plan.id }, member);
    const title = `by url ${crypto.randomUUID()}`;
    const refused = await api("POST", `/chat/${conv.id}/run`, { token: member, body: { title } });
    expectError(refused, 403, "forbidden");
    expect(refused.json.error.message).toContain(`steps[0].tools[0]: ${url}`);
    expect(refused.json.error.details).toEqual([{ path: "steps[0].tools[0]", message: `${url}: an MCP server by its URL` }]);
    expect((await api("GET", `/tasks?q=${encodeURIComponent(title)}`)).json.items).toEqual([]);
    const ran = await api("POST", `/chat/${conv.id}/run`, { body: { title } });
    expect(ran.status, ran.text).toBe(201);
    expect((await api("DELETE", `/tasks/${ran.json.id}`)).status).toBeLessThan(300);
  });

  it("saves a conversation once at a time: two Saves at once make one plan, not two", async () => {
    const conv = await start({ message: "Scan the news about otters. Write a digest." });
    const [a, b] = await Promise.all([api("POST", `/chat/${conv.id}/save`), api("POST", `/chat/${conv.id}/save`)]);
    const made = [a, b].filter((r) => r.status === 201);
    expect(made.length).toBe(1);
    // the other found the save under way, or (had it come after) saved onto the same plan
    const other = made[0] === a ? b : a;
    if (other.status === 409) expect(other.json.error.message).toContain("already being saved");
    else expect(other.json).toMatchObject({ id: made[0].json.id, version: 1 });
    expect((await api("GET", `/chat/${conv.id}`)).json.plan_id).toBe(made[0].json.id);
    // once it is done, Save goes on from the plan it made
    expect((await api("POST", `/chat/${conv.id}/save`)).json).toMatchObject({ id: made[0].json.id, version: 1 });
  });

  it("does not save over a version of the plan made after the one the draft came from, unless told to", async () => {
    const plan = (await api("POST", "/plans", { body: { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news" }] } })).json;
    const conv = await start({ plan_id: plan.id });
    await say(conv.id, "Then write a digest of the news");
    // meanwhile someone else saves version 2 in the plan editor
    const edited = { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news and the blogs" }] };
    expect((await api("PUT", `/plans/${plan.id}`, { body: edited })).status).toBe(200);
    const refused = await api("POST", `/chat/${conv.id}/save`);
    expectError(refused, 409, "conflict");
    expect(refused.json.error.message).toContain("version 2");
    expect(refused.json.error.details).toMatchObject({ plan_id: plan.id, version: 2, from_version: 1 });
    expect((await api("GET", `/plans/${plan.id}`)).json).toMatchObject({ version: 2, definition: { steps: [{ instructions: "Scan the news and the blogs" }] } });
    expect((await api("GET", `/chat/${conv.id}`)).json).toMatchObject({ plan_version: 1 });
    expectError(await api("POST", `/chat/${conv.id}/save`, { body: { plan_version: 1 } }), 409, "conflict");
    expectError(await api("POST", `/chat/${conv.id}/save`, { body: { plan_version: 0 } }), 400, "bad_request");
    // told which version it replaces, it saves over it; later saves follow on from the version saved
    const saved = await api("POST", `/chat/${conv.id}/save`, { body: { plan_version: 2 } });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
    expect(saved.json).toMatchObject({ id: plan.id, version: 3 });
    await say(conv.id, "Add a review step before the digest");
    expect((await api("POST", `/chat/${conv.id}/save`)).json).toMatchObject({ id: plan.id, version: 4 });
  });

  it("says the plan was deleted rather than saving a new one unasked, and saves it as a new plan when told to", async () => {
    const plan = (await api("POST", "/plans", { body: { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news" }] } })).json;
    const conv = await start({ plan_id: plan.id });
    await say(conv.id, "Then write a digest of the news");
    expect((await api("DELETE", `/plans/${plan.id}`)).status).toBe(204);
    const plans = async () => (await env.DB.prepare("SELECT count(*) AS n FROM plans").first<{ n: number }>())!.n;
    const before = await plans();
    const refused = await api("POST", `/chat/${conv.id}/save`, { body: { draft_version: 2 } });
    expectError(refused, 409, "conflict");
    expect(refused.json.error.message).toContain("deleted");
    expect(refused.json.error.details).toEqual({ plan_id: plan.id, deleted: true });
    expect(await plans()).toBe(before);
    expect((await api("GET", `/chat/${conv.id}`)).json).toMatchObject({ plan_id: plan.id, plan_version: 1, draft: { version: 2 } });
    expectError(await api("POST", `/chat/${conv.id}/save`, { body: { as_new: "yes" } }), 400, "bad_request");
    expectError(await api("POST", `/chat/${conv.id}/save`, { body: { as_new: true, plan_version: 1 } }), 400, "bad_request");
    expect(await plans()).toBe(before);
    // told to, the draft becomes a new plan, and later saves go on from it
    const saved = await api("POST", `/chat/${conv.id}/save`, { body: { draft_version: 2, as_new: true } });
    expect(saved.status, JSON.stringify(saved.json)).toBe(201);
    expect(saved.json.id).not.toBe(plan.id);
    expect(saved.json).toMatchObject({ version: 1, definition: { steps: [{ id: "scan" }, { id: "write_digest_news" }] } });
    expect((await api("GET", `/chat/${conv.id}`)).json).toMatchObject({ plan_id: saved.json.id, plan_version: 1 });
    await say(conv.id, "Add a review step before the digest");
    expect((await api("POST", `/chat/${conv.id}/save`)).json).toMatchObject({ id: saved.json.id, version: 2 });
    // a plan still there is copied when told to: a new plan, the other left as it was
    const copy = await api("POST", `/chat/${conv.id}/save`, { body: { as_new: true } });
    expect(copy.status).toBe(201);
    expect(copy.json.id).not.toBe(saved.json.id);
    expect((await api("GET", `/plans/${saved.json.id}`)).json.version).toBe(2);
  });

  it("answers the errors of every endpoint", async () => {
    const viewer = await tokenWithRole("viewer");
    const member = await tokenWithRole("member");
    const empty = await start();
    expectError(await api("POST", "/chat", { body: { message: "" } }), 400, "bad_request");
    expectError(await api("POST", "/chat", { body: { plan_id: "pln_missing" } }), 422, "unprocessable");
    expectError(await api("POST", "/chat", { body: { planner: "ghost" } }), 422, "unprocessable");
    expectError(await api("POST", "/chat", { body: {}, token: viewer }), 403, "forbidden");
    expectError(await api("POST", "/chat", { body: {}, token: null }), 401);
    expectError(await api("GET", "/chat/cnv_0000000000000000"), 404, "not_found");
    expectError(await api("GET", "/chat/nope"), 404, "not_found");
    expectError(await api("GET", `/chat/${empty.id}/draft`), 409, "conflict");
    expectError(await api("POST", `/chat/${empty.id}/run`, { body: {} }), 409, "conflict");
    expectError(await api("POST", `/chat/${empty.id}/save`), 409, "conflict");
    expectError(await api("POST", `/chat/${empty.id}/messages`, { body: { content: "hi" }, token: viewer }), 403);
    expect((await api("GET", `/chat/${empty.id}`, { token: viewer })).status).toBe(200);
    const drafted = await start({ message: "Research the market." });
    expectError(await api("POST", `/chat/${drafted.id}/save`, { token: member }), 403);
    expectError(await api("POST", `/chat/${drafted.id}/run`, { body: { inputs: { nope: "x" } } }), 422);
    // a budget under a nano-dollar is kept as 0, which no turn fits in: refused as POST /tasks refuses it
    expectError(await api("POST", `/chat/${drafted.id}/run`, { body: { max_cost: 1e-12 } }), 400, "bad_request");
    // another organization's conversation is not found
    const other = await api("POST", "/orgs", { body: { name: "Chat other" } });
    expectError(await api("GET", `/chat/${drafted.id}`, { token: other.json.token.token ?? other.json.token }), 404);
  });
});

describe("one reply at a time", () => {
  it("answers 409 to a message sent while the planner is still answering", async () => {
    const conv = await start();
    const obj = env.CHAT.get(env.CHAT.idFromName(conv.id));
    await runInDurableObject(obj, (o) => void Object.assign(o, { busy: true }));
    expectError(await api("POST", `/chat/${conv.id}/messages`, { body: { content: "Research the market" } }), 409, "conflict");
    expect((await api("GET", `/chat/${conv.id}`)).json.busy).toBe(true);
    await runInDurableObject(obj, (o) => void Object.assign(o, { busy: false }));
    expect((await say(conv.id, "Research the market")).draft.version).toBe(1);
  });

  it("answers a question whose reply a stopped process never stored, once the object is back, and takes no other till then", async () => {
    const conv = await start({ message: "Research the market" });
    const obj = env.CHAT.get(env.CHAT.idFromName(conv.id));
    // as a process that stopped mid-reply left it: the question stored, no reply after it
    const asked = (o: object) => void (o as unknown as { store: ConversationStore }).store.addMessage({ role: "user", content: "Then write a summary of it" });
    await runInDurableObject(obj, asked);
    expect((await api("GET", `/chat/${conv.id}`)).json.busy).toBe(true);
    expectError(await api("POST", `/chat/${conv.id}/messages`, { body: { content: "Something else" } }), 409, "conflict");
    expect(await runDurableObjectAlarm(obj)).toBe(true);
    const view = (await api("GET", `/chat/${conv.id}`)).json;
    expect(view.busy).toBe(false);
    expect(view.messages.filter((m: any) => m.role !== "event").map((m: any) => [m.role, m.content.slice(0, 26), m.failed])).toEqual([
      ["user", "Research the market", false],
      ["assistant", expect.any(String), false],
      ["user", "Then write a summary of it", false],
      ["assistant", expect.any(String), false],
    ]);
    // answered as a question after the first: the draft grew a step
    expect(view.draft.version).toBe(2);
    expect((await say(conv.id, "Send it to the team")).draft.version).toBe(3);
  });

  it("answers a reply that fails unexpectedly (the database is down) with a failed message, streamed or not, and takes the next one", async () => {
    const conv = await start();
    const obj = env.CHAT.get(env.CHAT.idFromName(conv.id));
    const down = { prepare: () => { throw new Error("D1_ERROR: database unavailable"); } };
    await runInDurableObject(obj, (o) => void Object.assign(o, { env: { ...env, DB: down } }));
    const plain = await say(conv.id, "Research the market");
    expect(plain.message).toMatchObject({ role: "assistant", failed: true, content: "The planner failed unexpectedly." });
    expect(plain.draft).toBeNull();
    const streamed = await workerFetch(
      new Request(`${BASE}/api/v1/chat/${conv.id}/messages`, {
        method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify({ content: "Write it up" }),
      }),
    );
    expect(frames(await streamed.text()).map(([t]) => t)).toEqual(["message.created", "reply.done"]);
    await runInDurableObject(obj, (o) => void Object.assign(o, { env }));
    expect((await say(conv.id, "Research the market")).draft.version).toBe(1);
    const view = (await api("GET", `/chat/${conv.id}`)).json;
    expect(view.messages.map((m: any) => [m.role, m.failed])).toEqual([["user", false], ["assistant", true], ["user", false], ["assistant", true], ["user", false], ["assistant", false]]);
  });
});

describe("chat with a model planner", () => {
  const saved = { key: env.OPENAI_API_KEY, url: env.OPENAI_BASE_URL };
  afterEach(() => Object.assign(env, { OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url }));
  const useFake = () => Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${servers().planner}/v1` });
  const stats = async () => (await fetch(`http://127.0.0.1:${servers().planner}/stats`)).json() as Promise<{ calls: Record<string, number>; last_messages: any[] }>;

  it("sends an invalid draft back with its validation errors, and keeps the valid one", async () => {
    useFake();
    const name = `planner-${crypto.randomUUID().slice(0, 6)}`;
    await addAgent(name, "openai:repair");
    const before = (await stats()).calls.repair ?? 0;
    const conv = await start({ planner: name });
    const res = await workerFetch(
      new Request(`${BASE}/api/v1/chat/${conv.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ content: "Research the market, then write it up" }),
      }),
    );
    const events = frames(await res.text());
    expect(events.map(([t]) => t).filter((t) => t.startsWith("draft."))).toEqual(["draft.attempt", "draft.invalid", "draft.attempt", "draft.created"]);
    const invalid = events.find(([t]) => t === "draft.invalid")![1];
    expect(invalid.issues.map((i: any) => i.message)).toEqual(expect.arrayContaining(['unknown agent "ghost"', 'depends_on "nowhere" is not a step of this plan']));
    expect((await stats()).calls.repair - before).toBe(2);
    const last = (await stats()).last_messages;
    expect(last[0].content).toContain("- researcher");
    expect(last.at(-1)).toMatchObject({ role: "tool", tool_call_id: expect.any(String) });
    expect(last.at(-1).content).toContain('unknown agent "ghost"');
    const view = (await api("GET", `/chat/${conv.id}`)).json;
    expect(view.draft.plan.name).toBe("Market brief");
    expect(view.messages.at(-1)).toMatchObject({ role: "assistant", content: "Fixed: research then write.", draft_version: 1, failed: false });
  });

  it("gives up after the bounded number of attempts with a clear failure, keeping the draft", async () => {
    useFake();
    const name = `planner-${crypto.randomUUID().slice(0, 6)}`;
    await addAgent(name, "openai:never");
    const before = (await stats()).calls.never ?? 0;
    const conv = await start({ planner: name });
    const reply = await say(conv.id, "Research the market");
    expect((await stats()).calls.never - before).toBe(3);
    expect(reply.draft).toBeNull();
    expect(reply.message).toMatchObject({ role: "assistant", failed: true });
    expect(reply.message.content).toMatch(/could not make a valid plan after 3 attempts/);
    expect(reply.message.issues.length).toBeGreaterThan(0);
    expectError(await api("GET", `/chat/${conv.id}/draft`), 409);
  });

  it("records what the planner's model calls spend, per reply and conversation, and counts it in the organization's spend apart from tasks", async () => {
    useFake();
    const token = await makeOrg(`org_chat_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "writer", model: "sim" } });
    for (const [name, model] of [["planner", "openai:repair"], ["stubborn", "openai:never"]]) {
      expect((await api("POST", "/agents", { token, body: { name, model, system_prompt: "You plan work." } })).status).toBe(201);
      expect((await api("PUT", `/pricing/${model}`, { token, body: { input: 2, cache: 1, output: 8 } })).status).toBe(200);
    }
    // each fake call uses 200 input and 80 output tokens: 2 calls (an invalid draft, then its repair) = 0.00208 USD
    const conv = await start({}, token);
    const res = await api("POST", `/chat/${conv.id}/messages`, { token, body: { content: "Research the market, then write it up" } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const tokens = { input: 400, cache: 0, cache_write: 0, output: 160, web_search: 0 };
    expect(res.json.message).toMatchObject({ failed: false, tokens, searches: 0 });
    expect(res.json.message.cost).toBeCloseTo(0.00208, 12);
    // a failed reply spent its 3 calls too
    const failed = await start({ planner: "stubborn" }, token);
    const bad = (await api("POST", `/chat/${failed.id}/messages`, { token, body: { content: "Research the market" } })).json;
    expect(bad.message).toMatchObject({ failed: true, tokens: { input: 600, output: 240 } });
    expect(bad.message.cost).toBeCloseTo(0.00312, 12);

    const view = (await api("GET", `/chat/${conv.id}`, { token })).json;
    expect(view).toMatchObject({ tokens, searches: 0 });
    expect(view.cost).toBeCloseTo(0.00208, 12);
    expect(view.messages[0]).not.toHaveProperty("cost");

    const task = (await api("POST", "/tasks", { token, body: { agent: "researcher", title: "t", description: "@output done" } })).json;
    await waitForStatus(task.id, ["completed"], 10_000, token);
    await env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(task.id)).settled();
    const taskCost = (await api("GET", `/tasks/${task.id}`, { token })).json.cost;
    expect(taskCost).toBeGreaterThan(0);

    const bySource = (await api("GET", "/spend?group=source", { token })).json;
    const item = (key: string) => bySource.items.find((i: { key: string }) => i.key === key);
    expect(item("chat")).toMatchObject({ tasks: 0, conversations: 2, tokens: { input: 1000, output: 400 } });
    expect(item("chat").cost).toBeCloseTo(0.0052, 12);
    expect(item("chat").planner_cost).toBeCloseTo(0.0052, 12);
    expect(item("task")).toMatchObject({ tasks: 1, conversations: 0, planner_cost: 0 });
    expect(item("task").cost).toBeCloseTo(taskCost, 12);
    expect(bySource.total).toBeCloseTo(taskCost + 0.0052, 12);
    expect(bySource.planner_total).toBeCloseTo(0.0052, 12);
    expect(bySource.month.spent).toBeCloseTo(taskCost + 0.0052, 12);
    const byAgent = (await api("GET", "/spend?group=agent", { token })).json;
    expect(byAgent.items.map((i: { key: string }) => i.key).sort()).toEqual(["planner", "researcher", "stubborn"]);
    const byDay = (await api("GET", "/spend", { token })).json;
    expect(byDay.items.at(-1)).toMatchObject({ tasks: 1, conversations: 2 });
    expect(byDay.items.at(-1).planner_cost).toBeCloseTo(0.0052, 12);
    expect(byDay.planner_total).toBeCloseTo(0.0052, 12);
  });

  it("does not call the planner's model once the organization has spent its monthly cap, and says why", async () => {
    useFake();
    const token = await makeOrg(`org_chat_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "writer", model: "sim" } });
    await api("POST", "/agents", { token, body: { name: "planner", model: "openai:repair", system_prompt: "You plan work." } });
    await api("PUT", "/pricing/openai:repair", { token, body: { input: 2, cache: 1, output: 8 } });
    expect((await api("PATCH", "/settings", { token, body: { monthly_spend_cap: 0.002 } })).status).toBe(200);
    const conv = await start({}, token);
    // under the cap when it starts: it answers, and its 0.00208 USD takes the month past the cap
    expect((await say(conv.id, "Research the market, then write it up", token)).message).toMatchObject({ failed: false, draft_version: 1 });
    const before = (await stats()).calls.repair;
    const refused = await say(conv.id, "Add a review step", token);
    expect((await stats()).calls.repair).toBe(before);
    expect(refused.message).toMatchObject({ role: "assistant", failed: true, cost: 0 });
    expect(refused.message.content).toContain("monthly cap of $0.002");
    expect((await api("GET", `/chat/${conv.id}/draft`, { token })).json.version).toBe(1);
    expect((await api("GET", "/spend", { token })).json.planner_total).toBeCloseTo(0.00208, 12);
    // a planner on sim costs nothing, so it still answers
    expect((await start({ message: REQUEST, planner: "writer" }, token)).draft.version).toBe(1);
  });

  it("writes the planner's spend to the ledger later when the database refuses it at the reply", async () => {
    useFake();
    const token = await makeOrg(`org_chat_${crypto.randomUUID().slice(0, 8)}`);
    await api("POST", "/agents", { token, body: { name: "writer", model: "sim" } });
    await api("POST", "/agents", { token, body: { name: "planner", model: "openai:repair", system_prompt: "You plan work." } });
    await api("PUT", "/pricing/openai:repair", { token, body: { input: 2, cache: 1, output: 8 } });
    const conv = await start({}, token);
    const obj = env.CHAT.get(env.CHAT.idFromName(conv.id));
    const batchDown = new Proxy(env.DB, {
      get: (db, k) => (k === "batch" ? () => Promise.reject(new Error("D1_ERROR: database unavailable")) : typeof Reflect.get(db, k) === "function" ? Reflect.get(db, k).bind(db) : Reflect.get(db, k)),
    });
    await runInDurableObject(obj, (o) => void Object.assign(o, { env: { ...env, DB: batchDown } }));
    const reply = (await api("POST", `/chat/${conv.id}/messages`, { token, body: { content: "Research the market, then write it up" } })).json;
    expect(reply.message.cost).toBeCloseTo(0.00208, 12);
    expect((await api("GET", "/spend?group=source", { token })).json.items).toEqual([]);
    const retry = await runInDurableObject(obj, (_o, state) => state.storage.getAlarm());
    expect(retry! - Date.now()).toBeLessThanOrEqual(60_000);

    await runInDurableObject(obj, (o) => void Object.assign(o, { env }));
    expect(await runDurableObjectAlarm(obj)).toBe(true);
    const report = (await api("GET", "/spend?group=source", { token })).json;
    expect(report.items).toMatchObject([{ key: "chat", conversations: 1 }]);
    expect(report.planner_total).toBeCloseTo(0.00208, 12);
    // written once: the next check is the weekly one
    expect((await runInDurableObject(obj, (_o, state) => state.storage.getAlarm()))! - Date.now()).toBeGreaterThan(CHAT_RECHECK_MS - 60_000);
  });

  it("reports what the offline planner spent as nothing, and writes no ledger row for it", async () => {
    const token = await makeOrg(`org_chat_${crypto.randomUUID().slice(0, 8)}`);
    const conv = await start({ message: REQUEST }, token);
    expect(conv).toMatchObject({ tokens: { input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0 }, searches: 0, cost: 0 });
    expect(conv.messages.at(-1)).toMatchObject({ role: "assistant", cost: 0 });
    expect((await api("GET", "/spend?group=source", { token })).json.items).toEqual([]);
  });

  it("reports a model that cannot be reached as a failed reply", async () => {
    Object.assign(env, { OPENAI_API_KEY: "wrong", OPENAI_BASE_URL: `http://127.0.0.1:${servers().planner}/v1` });
    const name = `planner-${crypto.randomUUID().slice(0, 6)}`;
    await addAgent(name, "openai:repair");
    const conv = await start({ planner: name });
    const reply = await say(conv.id, "Research the market");
    expect(reply.message).toMatchObject({ failed: true });
    expect(reply.message.content).toMatch(/planner's model failed/);
  });

  it("masks the key a failing model quotes in its error, as a run's error is", async () => {
    Object.assign(env, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${servers().openai}/v1` });
    const name = `planner-${crypto.randomUUID().slice(0, 6)}`;
    await addAgent(name, "openai:quotes-key");
    const conv = await start({ planner: name });
    const reply = await say(conv.id, "Research the market");
    expect(reply.message).toMatchObject({ failed: true, content: "The planner's model failed: openai: HTTP 401: Key [masked] is not allowed to use this model" });
    const read = await api("GET", `/chat/${conv.id}`);
    expect(read.status).toBe(200);
    expect(read.text).not.toContain(OPENAI_KEY);
  });
});

describe("a long message to the offline planner", () => {
  it("is answered at once, whatever its spacing: the planner's patterns never backtrack over a run of spaces or a long word", async () => {
    const { id } = await start({ message: REQUEST });
    const started = Date.now();
    const spaced = await say(id, `add${" ".repeat(8_000)}a review step`);
    expect(spaced.message.role).toBe("assistant");
    await say(id, `${"x".repeat(19_000)} and write it`);
    // these took minutes, on the thread every organization's requests share; now milliseconds (room left for a busy machine)
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("how long a conversation is kept", () => {
  const DAY = 86_400_000;
  const obj = (id: string) => env.CHAT.get(env.CHAT.idFromName(id));
  const alarmOf = (id: string) => runInDurableObject(obj(id), (_o, state) => state.storage.getAlarm());
  const tables = (id: string) =>
    runInDurableObject(obj(id), (_o, state) => state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray().map((r) => r.name));

  it("stores nothing for an id it never gave (a look is not a write)", async () => {
    const id = `cnv_${"0123456789abcdef"}`;
    expectError(await api("GET", `/chat/${id}`), 404);
    expectError(await api("POST", `/chat/${id}/messages`, { body: { content: "Add a review step." } }), 404);
    expect(await tables(id)).toEqual([]);
    expect(await alarmOf(id)).toBeNull();
  });

  it("is deleted by its alarm once it has had no message for the organization's retention period, and kept without one", async () => {
    const token = await makeOrg(`org_chat_${crypto.randomUUID().slice(0, 8)}`);
    const old = await start({ message: REQUEST }, token);
    const recent = await start({ message: REQUEST }, token);
    const age = (id: string, days: number) =>
      runInDurableObject(obj(id), (_o, state) => void state.storage.sql.exec("UPDATE messages SET created_at = created_at - ?", days * DAY));
    await age(old.id, 10);
    await age(recent.id, 2);

    // no retention period: kept, and looked at again within a week
    expect(await runDurableObjectAlarm(obj(old.id))).toBe(true);
    expect((await api("GET", `/chat/${old.id}`, { token })).status).toBe(200);
    expect((await alarmOf(old.id))! - Date.now()).toBeGreaterThan(CHAT_RECHECK_MS - 60_000);

    expect((await api("PATCH", "/settings", { token, body: { retention_days: 5 } })).status).toBe(200);
    for (const c of [old, recent]) expect(await runDurableObjectAlarm(obj(c.id))).toBe(true);
    expectError(await api("GET", `/chat/${old.id}`, { token }), 404);
    expectError(await api("POST", `/chat/${old.id}/messages`, { token, body: { content: "Add a review step." } }), 404);
    expect(await alarmOf(old.id)).toBeNull();
    expect(await tables(old.id)).toEqual([]);
    const kept = await api("GET", `/chat/${recent.id}`, { token });
    expect(kept.status).toBe(200);
    expect(kept.json.messages.length).toBeGreaterThan(0);
    // five days after its last message
    const next = (await alarmOf(recent.id))! - Date.now();
    expect(next).toBeGreaterThan(3 * DAY - 60_000);
    expect(next).toBeLessThanOrEqual(3 * DAY);
  });
});

describe("a conversation stored before replies recorded their spend", () => {
  it("is brought up to date when opened: its replies read as having spent nothing, and new ones record theirs", async () => {
    const conv = await start({ message: REQUEST });
    const obj = env.CHAT.get(env.CHAT.idFromName(conv.id));
    const messages = await runInDurableObject(obj, (_o, state) => {
      for (const c of ["agent", "model", "usage", "cost_nanos"]) state.storage.sql.exec(`ALTER TABLE messages DROP COLUMN ${c}`);
      state.storage.sql.exec("UPDATE meta SET value = '1' WHERE key = 'schema'");
      const store = new ConversationStore(state.storage.sql);
      store.open();
      return store.messages();
    });
    expect(messages.map((m) => [m.role, m.cost ?? null])).toEqual([["user", null], ["assistant", 0]]);
    expect(messages[1].tokens).toEqual({ input: 0, cache: 0, cache_write: 0, output: 0, web_search: 0 });
  });
});
