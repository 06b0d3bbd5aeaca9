import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { TaskRunner } from "../../worker/task/runner";
import { loadTurns } from "../../worker/task/store";
import { HEARTBEAT_MS } from "../../worker/task/wake";
import { signWebhook } from "../../worker/triggers/webhook-signature";
import { BOOTSTRAP_TOKEN_ID } from "../../worker/lib/bootstrap";
import { api, BASE, expectError, taskStub, tokenWithRole, until, waitForStatus, workerFetch } from "../helpers";

async function savePlan(plan: Record<string, unknown>) {
  const res = await api("POST", "/plans", { body: plan });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; version: number };
}

async function runPlan(id: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/plans/${id}/run`, { body });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; session_id: string };
}

const step = (id: string, instructions: string, extra: Record<string, unknown> = {}) => ({ id, agent: "researcher", instructions, ...extra });
const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>())!.n;

describe("/plans", () => {
  it("saves versions and keeps the version a task ran", async () => {
    const plan = await savePlan({ name: "digest", params: [{ name: "topic", required: true }], steps: [step("a", "@output about {{params.topic}}")] });
    expect(plan.version).toBe(1);
    const updated = await api("PUT", `/plans/${plan.id}`, { body: { name: "digest", params: [{ name: "topic", required: true }], steps: [step("a", "@output v2 {{params.topic}}")] } });
    expect(updated.json.version).toBe(2);
    const versions = await api("GET", `/plans/${plan.id}/versions`);
    expect(versions.json.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const task = await runPlan(plan.id, { inputs: { topic: "otters" } });
    await api("PUT", `/plans/${plan.id}`, { body: { name: "digest", params: [{ name: "topic", required: true }], steps: [step("a", "@output v3")] } });
    const done = await waitForStatus(task.id, ["completed"]);
    expect(done.plan_version).toBe(2);
    expect(done.output).toBe("v2 otters");
    expect((await api("GET", "/plans")).json.items.some((p: { id: string }) => p.id === plan.id)).toBe(true);
    expect((await api("DELETE", `/plans/${plan.id}`)).status).toBe(204);
    expectError(await api("GET", `/plans/${plan.id}`), 404);
    expect((await api("GET", `/tasks/${task.id}`)).json.plan.steps[0].instructions).toBe("@output v2 {{params.topic}}");
  });

  it("names every agent its current version uses, nested steps included, in every answer that holds it", async () => {
    const def = {
      name: `agents ${crypto.randomUUID().slice(0, 8)}`,
      steps: [
        step("first", "@output [\"a\"]", { agent: "writer" }),
        { id: "each", kind: "loop", over: "first", depends_on: ["first"], body: [step("draft", "@output d", { agent: "reviewer" })] },
        { id: "pick", kind: "branch", on: "first", depends_on: ["first"], cases: { a: [step("yes", "@output y")] }, default: [step("no", "@output n", { agent: "writer" })] },
      ],
    };
    const saved = await api("POST", "/plans", { body: def });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.json.agents).toEqual(["writer", "reviewer", "researcher"]);
    expect((await api("GET", `/plans/${saved.json.id}`)).json.agents).toEqual(["writer", "reviewer", "researcher"]);
    const listed = (await api("GET", "/plans?limit=100")).json.items.find((p: { id: string }) => p.id === saved.json.id);
    expect(listed.agents).toEqual(["writer", "reviewer", "researcher"]);
    const v2 = await api("PUT", `/plans/${saved.json.id}`, { body: { ...def, steps: [step("only", "@output o", { agent: "planner" })] } });
    expect(v2.json.agents).toEqual(["planner"]);
  });

  it("says who saved each version and when, as the audit log names them; a version from before that is unknown", async () => {
    const other = await tokenWithRole("admin");
    const plan = await savePlan({ name: "saved by", steps: [step("a", "@output v1")] });
    expect((await api("PUT", `/plans/${plan.id}`, { token: other, body: { name: "saved by", steps: [step("a", "@output v2")] } })).status).toBe(200);
    const conv = (await api("POST", "/chat", { body: { plan_id: plan.id } })).json;
    await api("POST", `/chat/${conv.id}/messages`, { body: { content: "Then write a digest" } });
    expect((await api("POST", `/chat/${conv.id}/save`, { token: other, body: { plan_version: 2 } })).json.version).toBe(3);
    const versions = (await api("GET", `/plans/${plan.id}/versions`)).json.items;
    // the audit log's actor of each save, the same object
    const updates = await until("the audit entries", async () => (await api("GET", `/audit?target=${plan.id}&action=plan.update`)).json.items, (items) => items.length === 2);
    const saver = updates[0].actor;
    expect(saver).toMatchObject({ type: "token", name: "admin token" });
    expect(updates[1].actor).toEqual(saver);
    const admin = { type: "token", id: BOOTSTRAP_TOKEN_ID, name: "bootstrap admin" };
    expect(versions.map((v: any) => [v.version, v.saved_by])).toEqual([[3, saver], [2, saver], [1, admin]]);
    for (const v of versions) expect(Date.parse(v.created_at)).toBeGreaterThan(0);

    // versions saved before savers were kept: the migration takes them from the audit log, else there is none
    await env.DB.prepare("UPDATE plan_versions SET saved_by_type = NULL, saved_by_id = NULL, saved_by_name = NULL WHERE plan_id = ?").bind(plan.id).run();
    await env.DB.prepare("DELETE FROM audit_log WHERE target_id = ? AND action = 'plan.create'").bind(plan.id).run();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("_leftovers_version_saver"))!;
    await env.DB.batch(migration.queries.filter((q) => /^\s*UPDATE/i.test(q)).map((q) => env.DB.prepare(q)));
    const after = (await api("GET", `/plans/${plan.id}/versions`)).json.items;
    expect(after.map((v: any) => [v.version, v.saved_by])).toEqual([[3, saver], [2, saver], [1, null]]);
  });

  it("says what changed in each version from the one before, page by page", async () => {
    const plan = await savePlan({ name: "diffed", steps: [step("a", "@output one")] });
    await api("PUT", `/plans/${plan.id}`, { body: { name: "diffed", steps: [step("a", "@output two"), step("b", "@output b", { name: "Bee", depends_on: ["a"] })] } });
    await api("PUT", `/plans/${plan.id}`, { body: { name: "renamed", steps: [step("a", "@output two"), step("b", "@output b", { name: "Bee", depends_on: ["a"] })] } });
    await api("PUT", `/plans/${plan.id}`, { body: { name: "renamed", steps: [step("a", "@output two")] } });
    const expected = [
      { from_version: 3, added: [], removed: [{ id: "b", name: "Bee" }], changed: [], plan_fields: [], summary: ["removed b (Bee)"] },
      { from_version: 2, added: [], removed: [], changed: [], plan_fields: ["name"], summary: ["changed the plan's name"] },
      { from_version: 1, added: [{ id: "b", name: "Bee" }], removed: [], changed: [{ id: "a", name: "a", fields: ["instructions"] }], plan_fields: [], summary: ["added b (Bee)", "changed a: instructions"] },
      { from_version: null, added: [{ id: "a", name: "a" }], removed: [], changed: [], plan_fields: [], summary: ["added a (a)"] },
    ];
    expect((await api("GET", `/plans/${plan.id}/versions`)).json.items.map((v: any) => v.changes)).toEqual(expected);
    // one at a time, each page still knows the version before its last
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await api("GET", `/plans/${plan.id}/versions?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json;
      paged.push(...page.items.map((v: any) => v.changes));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual(expected);
  });

  it("runs the version a run names, so what a page showed is what starts; the current one without it", async () => {
    const def = (text: string, param = "topic") => ({ name: "pinned", params: [{ name: param, default: "x" }], steps: [step("a", `@output ${text} {{params.${param}}}`)] });
    const plan = await savePlan(def("one"));
    const saved = await api("PUT", `/plans/${plan.id}`, { body: def("two", "subject") });
    expect(saved.json.saved_by).toEqual({ type: "token", id: BOOTSTRAP_TOKEN_ID, name: "bootstrap admin" });
    expect((await api("GET", `/plans/${plan.id}`)).json.saved_by).toEqual(saved.json.saved_by);
    // a page that loaded version 1 runs version 1, with version 1's params
    const old = await runPlan(plan.id, { version: 1, inputs: { topic: "otters" } });
    const current = await runPlan(plan.id, { inputs: { subject: "seals" } });
    const pinned = await runPlan(plan.id, { version: 2 });
    expect((await waitForStatus(old.id, ["completed"])) as any).toMatchObject({ plan_version: 1, output: "one otters" });
    expect((await waitForStatus(current.id, ["completed"])) as any).toMatchObject({ plan_version: 2, output: "two seals" });
    expect((await waitForStatus(pinned.id, ["completed"])) as any).toMatchObject({ plan_version: 2, output: "two x" });
    // version 1's params are checked against version 1
    const refused = await api("POST", `/plans/${plan.id}/run`, { body: { version: 1, inputs: { subject: "seals" } } });
    expectError(refused, 422, "unprocessable");
    const before = await count();
    const missing = await api("POST", `/plans/${plan.id}/run`, { body: { version: 3 } });
    expectError(missing, 422, "unprocessable");
    expect(missing.json.error.message).toContain("no version 3");
    for (const version of [0, "1", 1.5]) expectError(await api("POST", `/plans/${plan.id}/run`, { body: { version } }), 400, "bad_request");
    expect(await count()).toBe(before);
  });

  it("answers the current version, with no new one, when a save changes nothing", async () => {
    const def = { name: "same", params: [{ name: "topic", default: "otters" }], steps: [step("a", "@output {{params.topic}}")] };
    const plan = await savePlan(def);
    // the same plan written another way: keys reordered, defaults spelt out
    const same = { steps: [{ instructions: "@output {{params.topic}}", agent: "researcher", id: "a", depends_on: [], kind: "agent", approval: false }], params: [{ name: "topic", default: "otters", required: false, description: "" }], description: "", name: "same" };
    for (const body of [def, same]) {
      const res = await api("PUT", `/plans/${plan.id}`, { body });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json).toMatchObject({ version: 1, updated_at: (plan as any).updated_at });
    }
    expect((await api("GET", `/plans/${plan.id}/versions`)).json.items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect((await api("PUT", `/plans/${plan.id}`, { body: { ...def, name: "renamed" } })).json.version).toBe(2);
  });

  it("sends the version as ETag and saves over it only when If-Match names it: a lost update is 409, changing nothing", async () => {
    const def = (text: string) => ({ name: "guarded", steps: [step("a", `@output ${text}`)] });
    const made = await api("POST", "/plans", { body: def("v1") });
    expect(made.headers.get("etag")).toBe('"1"');
    const id = made.json.id as string;
    expect((await api("GET", `/plans/${id}`)).headers.get("etag")).toBe('"1"');
    const first = await api("PUT", `/plans/${id}`, { body: def("tab one"), headers: { "if-match": '"1"' } });
    expect(first.status, first.text).toBe(200);
    expect(first.json.version).toBe(2);
    expect(first.headers.get("etag")).toBe('"2"');

    // the second tab loaded version 1 too: its save would silently undo the first's
    for (const body of [def("tab two"), def("tab one")]) {
      const lost = await api("PUT", `/plans/${id}`, { body, headers: { "if-match": '"1"' } });
      expectError(lost, 409, "conflict");
      expect(lost.json.error.details).toEqual({ plan_id: id, version: 2, from_version: 1 });
      expect(lost.json.error.message).toContain('If-Match: "2"');
      expect(lost.headers.get("etag")).toBe('"2"');
    }
    expectError(await api("PUT", `/plans/${id}`, { body: def("weak"), headers: { "if-match": 'W/"2"' } }), 409, "conflict");
    // a version it never had is not one "changed since"
    const ahead = await api("PUT", `/plans/${id}`, { body: def("ahead"), headers: { "if-match": '"9"' } });
    expectError(ahead, 409, "conflict");
    expect(ahead.json.error.message).toBe(`plan ${id} is at version 2 and has had no version 9: look at version 2, then send If-Match: "2" to replace it`);
    const versions = async () => (await api("GET", `/plans/${id}/versions`)).json.items.map((v: { version: number; definition: { steps: { instructions: string }[] } }) => [v.version, v.definition.steps[0].instructions]);
    expect(await versions()).toEqual([[2, "@output tab one"], [1, "@output v1"]]);

    // having looked at version 2, it replaces it; a list of tags or * matches too, and no If-Match saves as before
    expect((await api("PUT", `/plans/${id}`, { body: def("tab two"), headers: { "if-match": '"2"' } })).json.version).toBe(3);
    expect((await api("PUT", `/plans/${id}`, { body: def("four"), headers: { "if-match": '"1", "3"' } })).json.version).toBe(4);
    expect((await api("PUT", `/plans/${id}`, { body: def("five"), headers: { "if-match": "*" } })).json.version).toBe(5);
    expect((await api("PUT", `/plans/${id}`, { body: def("six") })).json.version).toBe(6);

    for (const bad of ["6", '"6', "W/6"]) {
      const res = await api("PUT", `/plans/${id}`, { body: def("bad"), headers: { "if-match": bad } });
      expectError(res, 400, "bad_request");
      expect(res.json.error.details[0].path).toBe('["if-match"]');
    }
    expect((await versions())[0]).toEqual([6, "@output six"]);
  });

  it("deletes a plan with If-Match only at that version: a version saved meanwhile keeps it", async () => {
    const def = (text: string) => ({ name: "doomed", steps: [step("a", `@output ${text}`)] });
    const id = (await savePlan(def("v1"))).id;
    await api("PUT", `/plans/${id}`, { body: def("v2") });
    const refused = await api("DELETE", `/plans/${id}`, { headers: { "if-match": '"1"' } });
    expectError(refused, 409, "conflict");
    expect(refused.json.error.details).toEqual({ plan_id: id, version: 2, from_version: 1 });
    expectError(await api("DELETE", `/plans/${id}`, { headers: { "if-match": "2" } }), 400, "bad_request");
    expect((await api("GET", `/plans/${id}/versions`)).json.items).toHaveLength(2);
    expect((await api("DELETE", `/plans/${id}`, { headers: { "if-match": '"2"' } })).status).toBe(204);
    expectError(await api("GET", `/plans/${id}`), 404);
  });

  it("answers two saves from the same version at once with one new version and a 409 naming it", async () => {
    const def = (text: string) => ({ name: "raced", steps: [step("a", `@output ${text}`)] });
    const id = (await savePlan(def("v1"))).id;
    const both = await Promise.all(["left", "right"].map((t) => api("PUT", `/plans/${id}`, { body: def(t), headers: { "if-match": '"1"' } })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const lost = both.find((r) => r.status === 409)!;
    expect(lost.json.error.details).toEqual({ plan_id: id, version: 2, from_version: 1 });
    expect((await api("GET", `/plans/${id}/versions`)).json.items).toHaveLength(2);
  });

  it("saves every one of several saves at once that name no version, each its own version, as If-Match is what asks for a 409", async () => {
    const def = (text: string) => ({ name: "raced", steps: [step("a", `@output ${text}`)] });
    const id = (await savePlan(def("v0"))).id;
    const texts = ["p1", "p2", "p3", "p4", "p5", "p6"];
    const saves = await Promise.all(texts.map((t) => api("PUT", `/plans/${id}`, { body: def(t) })));
    expect(saves.map((r) => r.status)).toEqual(texts.map(() => 200));
    // each answer is the version it made
    const made = saves.map((r, i) => ({ version: r.json.version, etag: r.headers.get("etag"), text: r.json.definition.steps[0].instructions, sent: texts[i] }));
    for (const m of made) expect(m).toMatchObject({ etag: `"${m.version}"`, text: `@output ${m.sent}` });
    expect(made.map((m) => m.version).sort()).toEqual([2, 3, 4, 5, 6, 7]);
    const versions = (await api("GET", `/plans/${id}/versions`)).json.items;
    expect(versions).toHaveLength(7);
    const audit = (await api("GET", `/audit?target=${id}&action=plan.update`)).json.items;
    expect(audit).toHaveLength(6);
  });

  it("refuses invalid plans with 422 naming the step, and saves nothing", async () => {
    const before = (await api("GET", "/plans")).json.items.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "p", steps: [step("a", "x"), step("a", "y")] }, "a"],
      [{ name: "p", steps: [{ id: "a", agent: "ghost", instructions: "x" }] }, "a"],
      [{ name: "p", steps: [step("a", "x", { depends_on: ["nope"] })] }, "a"],
      [{ name: "p", steps: [step("a", "x", { depends_on: ["b"] }), step("b", "y", { depends_on: ["a"] })] }, "b"],
      [{ name: "p", steps: [{ id: "l", kind: "loop", over: "zzz", body: [step("b", "x")] }] }, "l"],
      [{ name: "p", steps: [step("a", "{{steps.b.output}}"), step("b", "x")] }, "a"],
      [{ name: "p", steps: [step("a", "{{params.missing}}")] }, "a"],
    ];
    for (const [plan, bad] of cases) {
      const res = await api("POST", "/plans", { body: plan });
      expectError(res, 422, "unprocessable");
      expect(res.json.error.details.some((d: { step?: string }) => d.step === bad), JSON.stringify(res.json)).toBe(true);
    }
    expectError(await api("POST", "/plans", { body: { name: "p", steps: [] } }), 400);
    expectError(await api("POST", "/plans", { body: { steps: [step("a", "x")] } }), 400);
    // a name of blanks would list as nothing in the dashboard
    const blank = await api("POST", "/plans", { body: { name: "  ", steps: [step("a", "x")] } });
    expectError(blank, 400, "bad_request");
    expect(blank.json.error.details.map((d: { path: string }) => d.path)).toEqual(["name"]);
    // a misspelt key would drop a dependency or a review without a word: refused, naming it
    const misspelt = await api("POST", "/plans", { body: { name: "p", steps: [step("a", "x"), step("b", "y", { depend_on: ["a"], aproval: true })] } });
    expectError(misspelt, 400, "bad_request");
    expect(misspelt.json.error.details).toEqual([{ path: "steps[1].depend_on", message: "unknown key" }, { path: "steps[1].aproval", message: "unknown key" }]);
    expectError(await api("POST", "/plans", { body: { name: "p", params: [{ name: "n", type: "number" }], steps: [step("a", "x")] } }), 400);
    expectError(await api("POST", "/plans", { body: { name: "p", steps: [{ id: "l", kind: "loop", over: "a", concurency: 2, body: [step("b", "x")] }] } }), 400);
    const tool = await api("POST", "/plans", { body: { name: "p", steps: [step("a", "x", { tools: ["bogus_tool"] })] } });
    expectError(tool, 400);
    expect(tool.json.error.details[0]).toMatchObject({ path: "steps[0].tools[0]", message: expect.stringContaining("a tool is ask_human") });
    // loops nested 900 deep (within the 1,000 steps) overflowed the schema's recursion: a 500
    const nested = (depth: number) => {
      let inner: Record<string, unknown> = step("leaf", "x");
      for (let i = 0; i < depth; i++) inner = { id: `l${i}`, kind: "loop", over: "src", body: [inner] };
      return { name: "p", steps: [step("src", "x"), inner] };
    };
    const deep = await api("POST", "/plans", { body: nested(900) });
    expectError(deep, 400, "bad_request");
    expect(deep.json.error.message).toContain("nests deeper than 100 levels");
    expect((await api("GET", "/plans")).json.items.length).toBe(before);
    expect((await api("POST", "/plans", { body: nested(20) })).status).toBe(201);
    const trimmed = await savePlan({ name: "  Digest \n", steps: [step("a", "x")] });
    expect((await api("GET", `/plans/${trimmed.id}`)).json.name).toBe("Digest");
    expectError(await api("PUT", `/plans/${trimmed.id}`, { body: { name: " ", steps: [step("a", "x")] } }), 400, "bad_request");
  });

  it("checks params at run: 422 naming the missing or unknown one", async () => {
    const plan = await savePlan({ name: "p", params: [{ name: "topic", required: true }, { name: "tone", default: "dry" }], steps: [step("a", "@output {{params.topic}} {{params.tone}}")] });
    const missing = await api("POST", `/plans/${plan.id}/run`, { body: { inputs: {} } });
    expectError(missing, 422);
    expect(missing.json.error.message).toContain("topic");
    const before = await count();
    const blank = await api("POST", `/plans/${plan.id}/run`, { body: { inputs: { topic: " \n " } } });
    expectError(blank, 422);
    expect(blank.json.error.details).toEqual([{ param: "topic", message: "is required" }]);
    expect(await count()).toBe(before);
    expectError(await api("POST", `/plans/${plan.id}/run`, { body: { inputs: { topic: "x", bogus: 1 } } }), 422);
    expectError(await api("POST", "/plans/pln_nope/run", { body: { inputs: {} } }), 404);
    const task = await runPlan(plan.id, { inputs: { topic: "tea" } });
    expect((await waitForStatus(task.id, ["completed"])).output).toBe("tea dry");
  });

  it("an enum param is checked at save (400 naming the path) and at every start (422 naming the param), and a refusal changes nothing", async () => {
    const tone = { name: "tone", enum: ["formal", "casual"], default: "formal" };
    const def = { name: "enum", params: [tone, { name: "size", required: true, enum: ["1", "2"] }], steps: [step("a", "@output {{params.tone}} {{params.size}}")] };
    const plans = (await api("GET", "/plans")).json.items.length;
    for (const [bad, path] of [
      [{ ...tone, enum: [] }, "params[0].enum"],
      [{ ...tone, enum: ["formal", "casual", "formal"] }, "params[0].enum[2]"],
      [{ ...tone, enum: ["formal", 1] }, "params[0].enum[1]"],
      [{ ...tone, default: "shouty" }, "params[0].default"],
    ] as const) {
      const res = await api("POST", "/plans", { body: { ...def, params: [bad] } });
      expectError(res, 400, "bad_request");
      expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect((await api("GET", "/plans")).json.items.length).toBe(plans);

    const plan = await savePlan(def);
    expect((await api("GET", `/plans/${plan.id}`)).json.definition.params[0]).toEqual({ name: "tone", description: "", required: false, enum: ["formal", "casual"], default: "formal" });
    const tasks = await count();
    const refused = await api("POST", `/plans/${plan.id}/run`, { body: { inputs: { tone: "shouty", size: 3 } } });
    expectError(refused, 422, "unprocessable");
    expect(refused.json.error.message).toBe('invalid inputs: tone: must be one of "formal", "casual"; got "shouty"; size: must be one of "1", "2"; got "3"');
    expect(refused.json.error.details).toEqual([
      { param: "tone", message: 'must be one of "formal", "casual"; got "shouty"' },
      { param: "size", message: 'must be one of "1", "2"; got "3"' },
    ]);
    expect(await count()).toBe(tasks);
    const done = await waitForStatus((await runPlan(plan.id, { inputs: { size: 2 } })).id, ["completed"]);
    expect(done.output).toBe("formal 2");

    // a rerun's changed inputs are checked as a run's are
    const rerun = await api("POST", `/tasks/${done.id}/rerun`, { body: { from_step: "a", inputs: { tone: "loud" } } });
    expectError(rerun, 422, "unprocessable");
    expect(rerun.json.error.details).toEqual([{ param: "tone", message: 'must be one of "formal", "casual"; got "loud"' }]);
    expect(await count()).toBe(tasks + 1);

    // a new version whose default is not among its values saves nothing
    expectError(await api("PUT", `/plans/${plan.id}`, { body: { ...def, params: [{ ...tone, enum: ["casual"] }] } }), 400, "bad_request");
    expect((await api("GET", `/plans/${plan.id}`)).json.version).toBe(1);
  });

  it("an enum param refuses a trigger's saved inputs outside it, a delivery's value mapped outside it, and a save that its triggers' inputs would no longer fit", async () => {
    const params = [{ name: "env", required: true, enum: ["staging", "prod"] }];
    const plan = await savePlan({ name: "deploy", params, steps: [step("a", "@output to {{params.env}}")] });
    const cron = { kind: "cron", plan_id: plan.id, cron: "0 0 1 1 *" };
    const triggers = (await api("GET", "/triggers")).json.items.length;
    const bad = await api("POST", "/triggers", { body: { ...cron, inputs: { env: "qa" } } });
    expectError(bad, 422, "unprocessable");
    expect(bad.json.error.details).toEqual([{ param: "env", message: 'must be one of "staging", "prod"; got "qa"' }]);
    expectError(await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id, inputs: { env: "qa" } } }), 422, "unprocessable");
    expect((await api("GET", "/triggers")).json.items.length).toBe(triggers);

    const made = await api("POST", "/triggers", { body: { ...cron, inputs: { env: "staging" } } });
    expect(made.status, made.text).toBe(201);
    const narrower = await api("PUT", `/plans/${plan.id}`, { body: { name: "deploy", params: [{ ...params[0], enum: ["prod"] }], steps: [step("a", "@output to {{params.env}}")] } });
    expectError(narrower, 409, "conflict");
    expect(narrower.json.error.details).toEqual([{ trigger_id: made.json.id, kind: "cron", issues: [{ param: "env", message: 'must be one of "prod"; got "staging"' }] }]);
    expect((await api("GET", `/plans/${plan.id}`)).json.version).toBe(1);
    // a trigger run's inputs over the saved ones are checked too, and a webhook's delivery mapped by its input_map
    expectError(await api("POST", `/triggers/${made.json.id}/run`, { body: { inputs: { env: "qa" } } }), 422, "unprocessable");
    const hook = (await api("POST", "/triggers", { body: { kind: "webhook", plan_id: plan.id, input_map: { env: "target.name" } } })).json;
    const body = JSON.stringify({ target: { name: "qa" } });
    const ts = Math.floor(Date.now() / 1000);
    const delivery = await workerFetch(new Request(`${BASE}/hooks/${hook.id}`, {
      method: "POST", body,
      headers: { "content-type": "application/json", "webhook-id": "msg_enum", "webhook-timestamp": String(ts), "webhook-signature": await signWebhook(hook.secret, "msg_enum", ts, body) },
    }));
    expect(delivery.status).toBe(422);
    expect(((await delivery.json()) as { error: { details: unknown } }).error.details).toEqual([{ param: "env", message: 'must be one of "staging", "prod"; got "qa"' }]);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE trigger_id IN (?, ?)").bind(made.json.id, hook.id).first<{ n: number }>())!.n).toBe(0);
  });

  it("answers an unknown plan named in a body 422, as an unknown agent is, wherever it is named (404 is for the path's own resource)", async () => {
    const unknown = { error: { code: "unprocessable", message: 'unknown plan "pln_nope"', details: { plan_id: "pln_nope" } } };
    for (const [path, body] of [
      ["/tasks", { plan_id: "pln_nope", inputs: {} }],
      ["/triggers", { kind: "webhook", plan_id: "pln_nope" }],
      ["/chat", { plan_id: "pln_nope" }],
    ] as const) {
      const res = await api("POST", path, { body });
      expectError(res, 422);
      expect(res.json, path).toMatchObject(unknown);
    }
    expectError(await api("POST", "/tasks", { body: { agent: "ghost", title: "t" } }), 422, "unprocessable");
  });
});

describe("running plans", () => {
  it("runs independent steps in parallel and dependents when their dependencies finish", async () => {
    const plan = await savePlan({
      name: "fan",
      steps: [step("a", "@delay 300\n@output A"), step("b", "@delay 300\n@output B"), step("c", "@output {{steps.a.output}}+{{steps.b.output}}", { depends_on: ["a", "b"] })],
    });
    const task = await runPlan(plan.id);
    const done = await waitForStatus(task.id, ["completed"]);
    const [a, b, c] = done.steps;
    expect(Date.parse(b.started_at)).toBeLessThan(Date.parse(a.finished_at));
    expect(Date.parse(a.started_at)).toBeLessThan(Date.parse(b.finished_at));
    expect(Date.parse(c.started_at)).toBeGreaterThanOrEqual(Math.max(Date.parse(a.finished_at), Date.parse(b.finished_at)));
    expect(done.output).toBe("A+B");
    // without `output`, the last top-level step in the plan's order, even when an earlier one finished later
    const order = await savePlan({ name: "order", steps: [step("slow", "@delay 300\n@output SLOW"), step("quick", "@output QUICK")] });
    const ordered = await waitForStatus((await runPlan(order.id)).id, ["completed"]);
    expect(Date.parse(ordered.steps[0].finished_at)).toBeGreaterThan(Date.parse(ordered.steps[1].finished_at));
    expect(ordered.output).toBe("QUICK");
  });

  it("fans a loop out per item, each iteration a nested sub-step with its own tokens", async () => {
    const plan = await savePlan({
      name: "loop",
      steps: [
        step("list", '@output ["ann", "bob", "cy"]'),
        { id: "emails", kind: "loop", over: "list", concurrency: 2, body: [step("draft", "@output Dear {{item}} #{{index}}")] },
      ],
    });
    const done = await waitForStatus((await runPlan(plan.id)).id, ["completed"]);
    const loop = done.steps.find((s: { id: string }) => s.id === "emails");
    expect(loop.kind).toBe("loop");
    expect(loop.iterations.map((i: { item: string }) => i.item)).toEqual(["ann", "bob", "cy"]);
    expect(loop.iterations[2].steps[0]).toMatchObject({ id: "emails[2].draft", status: "completed", output: "Dear cy #2" });
    expect(JSON.parse(loop.output)).toEqual(["Dear ann #0", "Dear bob #1", "Dear cy #2"]);
    const sum = loop.iterations.reduce((n: number, i: { tokens: { output: number } }) => n + i.tokens.output, 0);
    expect(sum).toBe(loop.tokens.output);
    expect(loop.iterations[0].tokens.output).toBeGreaterThan(0);
    expect(done.progress).toEqual({ done: 4, total: 4 });
    const trace = await api("GET", `/tasks/${done.id}/steps/${encodeURIComponent("emails[1].draft")}/runs/1/trace`);
    expect(trace.status).toBe(200);
    // a loop is not reviewed itself (its steps are): 409 naming it, where an unknown step is 404
    const loopReview = await api("POST", `/tasks/${done.id}/steps/emails/approve`);
    expectError(loopReview, 409, "conflict");
    expect(loopReview.json.error.message).toContain("emails is a loop");
    const iterationReview = await api("POST", `/tasks/${done.id}/steps/${encodeURIComponent("emails[0]")}/approve`);
    expectError(iterationReview, 409, "conflict");
    expect(iterationReview.json.error.message).toContain("emails[0] is an iteration");
    expectError(await api("POST", `/tasks/${done.id}/steps/emails/reject`, { body: { comment: "no" } }), 409, "conflict");
    expectError(await api("POST", `/tasks/${done.id}/steps/nothing/approve`), 404);
  });

  it("runs only the matching branch and hides the others", async () => {
    const plan = await savePlan({
      name: "branch",
      steps: [
        step("triage", "@output  Urgent "),
        { id: "route", kind: "branch", on: "triage", cases: { urgent: [step("page", "@output paged")], low: [step("ticket", "@output ticketed")] }, default: [step("ignore", "@output ignored")] },
        step("after", "@output after {{steps.route.output}}", { depends_on: ["route"] }),
      ],
    });
    const done = await waitForStatus((await runPlan(plan.id)).id, ["completed"]);
    const ids = JSON.stringify(done.steps);
    expect(ids).toContain('"page"');
    expect(ids).not.toContain('"ticket"');
    expect(ids).not.toContain('"ignore"');
    expect(done.output).toBe("after paged");
  });

  it("a branch whose output matches no case fails, naming the output and the cases, unless it has a default (an empty one runs nothing)", async () => {
    const branch = (extra: Record<string, unknown>) => ({
      name: "no match",
      steps: [step("triage", "@output  Maybe "), { id: "route", kind: "branch", on: "triage", cases: { urgent: [step("page", "@output paged")], low: [step("ticket", "@output ticketed")] }, ...extra }, step("after", "@output after", { depends_on: ["route"] })],
    });
    const failed = await waitForStatus((await runPlan((await savePlan(branch({}))).id)).id, ["completed", "failed"]);
    expect(failed.status).toBe("failed");
    const route = failed.steps.find((s: { id: string }) => s.id === "route");
    expect(route).toMatchObject({ status: "failed", error: 'triage\'s output "Maybe" matches none of the cases ("urgent", "low") and the branch has no default' });
    expect(failed.steps.find((s: { id: string }) => s.id === "after").status).toBe("cancelled");
    // `default: []` says so: nothing runs and the plan goes on
    const done = await waitForStatus((await runPlan((await savePlan(branch({ default: [] }))).id)).id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.output).toBe("after");
    // a branch with neither a case nor a default could never run anything: refused at save
    const res = await api("POST", "/plans", { body: { name: "empty branch", steps: [step("x", "@output x"), { id: "br", kind: "branch", on: "x", cases: {} }] } });
    expectError(res, 422, "unprocessable");
    expect(res.json.error.details).toEqual([expect.objectContaining({ step: "br", path: "steps[1].cases" })]);
  });

  it("waits for approval, and a rejection runs the step again with the feedback", async () => {
    const plan = await savePlan({ name: "review", steps: [step("draft", "@output first draft", { approval: true }), step("send", "@output sent", { depends_on: ["draft"] })] });
    const task = await runPlan(plan.id);
    let t = await waitForStatus(task.id, ["needs_input"]);
    expect(t.pending).toEqual([{ kind: "approval", step: "draft", run: 1 }]);
    expect(t.steps[1].status).toBe("pending");
    expectError(await api("POST", `/tasks/${task.id}/steps/send/approve`), 409);
    expectError(await api("POST", `/tasks/${task.id}/steps/nope/approve`), 404);
    expectError(await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: {} }), 400);
    // a rejection tells the agent what to change: blank feedback is no feedback
    expectError(await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: { comment: " \n\t " } }), 400, "bad_request");
    expectError(await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: { comment: "x", coment: "y" } }), 400, "bad_request");
    expectError(await api("POST", `/tasks/${task.id}/steps/draft/approve`, { body: { run: 0 } }), 400, "bad_request");
    expectError(await api("POST", `/tasks/${task.id}/steps/draft/approve`, { body: { run: 1, note: "y" } }), 400, "bad_request");
    expect((await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: { comment: "shorter please", run: 1 } })).status).toBe(200);
    t = await waitForStatus(task.id, ["needs_input"]);
    expect(t.steps[0].runs.map((r: { run_no: number }) => r.run_no)).toEqual([1, 2]);
    expect(t.pending).toEqual([{ kind: "approval", step: "draft", run: 2 }]);
    // a second reviewer who read run 1 and approves (or rejects) after the first one's rejection: refused, not
    // landed on run 2's output, which they never read
    for (const [verb, body] of [["approve", { run: 1 }], ["reject", { comment: "too long", run: 1 }]] as const) {
      const res = await api("POST", `/tasks/${task.id}/steps/draft/${verb}`, { body });
      expectError(res, 409, "conflict");
      expect(res.json.error.message).toContain("run 2");
    }
    t = await waitForStatus(task.id, ["needs_input"]);
    expect(t.steps[0].runs.map((r: { run_no: number }) => r.run_no)).toEqual([1, 2]);
    expect(t.steps[0].runs[1].feedback).toBe("shorter please");
    // `Content-Type: application/json` and nothing sent, as many clients send every POST: no body, not malformed JSON
    const noComment = await api("POST", `/tasks/${task.id}/steps/draft/reject`, { raw: "" });
    expectError(noComment, 400, "bad_request");
    expect(noComment.json.error.message).not.toContain("JSON");
    const trace = await api("GET", `/tasks/${task.id}/steps/draft/runs/2/trace`);
    expect(JSON.stringify(trace.json.turns.at(-1).sent)).toContain("shorter please");
    expect((await api("POST", `/tasks/${task.id}/steps/draft/approve`, { raw: "" })).status).toBe(200);
    expectError(await api("POST", `/tasks/${task.id}/steps/draft/approve`), 409);
    t = await waitForStatus(task.id, ["completed"]);
    expect(t.output).toBe("sent");
  });

  it("a review or an answer after the task was cancelled is 409 saying the task was cancelled, and changes nothing", async () => {
    const plan = await savePlan({ name: "review then cancel", steps: [step("draft", "@output first draft", { approval: true }), step("ask", "@ask Which tone?\n@output ok")] });
    const task = await runPlan(plan.id);
    let t = await waitForStatus(task.id, ["needs_input"]);
    while (t.pending.length < 2) t = (await api("GET", `/tasks/${task.id}`)).json;
    const question = t.pending.find((p: { kind: string }) => p.kind === "question");
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
    for (const [verb, body] of [["approve", { run: 1 }], ["approve", undefined], ["reject", { comment: "too long" }]] as const) {
      const res = await api("POST", `/tasks/${task.id}/steps/draft/${verb}`, body ? { body } : {});
      expectError(res, 409, "conflict");
      expect(res.json.error.message).toBe("task is already cancelled");
    }
    const answer = await api("POST", `/sessions/${task.session_id}/respond`, { body: { call_id: question.call_id, answers: ["warm"] } });
    expectError(answer, 409, "conflict");
    expect(answer.json.error.message).toBe("task is already cancelled");
    t = (await api("GET", `/tasks/${task.id}`)).json;
    expect(t.status).toBe("cancelled");
    expect(t.steps.map((s: { status: string; runs: unknown[] }) => [s.status, s.runs.length])).toEqual([["cancelled", 1], ["cancelled", 1]]);
  });

  it("a loop and its iterations read needs_input while a step inside waits for approval", async () => {
    const plan = await savePlan({
      name: "loop review",
      steps: [step("list", '@output ["a", "b"]'), { id: "emails", kind: "loop", over: "list", body: [step("draft", "@output hi {{item}}", { approval: true })] }],
    });
    const task = await runPlan(plan.id);
    let t = await waitForStatus(task.id, ["needs_input"]);
    while (t.pending.length < 2) t = (await api("GET", `/tasks/${task.id}`)).json;
    const loop = t.steps[1];
    expect(loop.status).toBe("needs_input");
    expect(loop.iterations.map((i: { status: string }) => i.status)).toEqual(["needs_input", "needs_input"]);
    // the body step's own id names no one output: the answer says which ones there are
    const bare = await api("POST", `/tasks/${task.id}/steps/draft/approve`);
    expectError(bare, 404);
    expect(bare.json.error.message).toBe("step draft runs once per item of loop emails: review one iteration's, e.g. emails[0].draft");
    expect((await api("POST", `/tasks/${task.id}/steps/emails[0].draft/approve`)).status).toBe(200);
    t = (await api("GET", `/tasks/${task.id}`)).json;
    expect(t.steps[1].iterations[0].status).toBe("completed");
    expect(t.steps[1].status).toBe("needs_input");
  });

  it("a run after a rejection has the whole retry budget again, and its retries keep the feedback", async () => {
    const plan = await savePlan({ name: "review retry", steps: [step("draft", "@output a draft", { approval: true, retry: { max_attempts: 2, backoff: { initial_ms: 0, max_ms: 0 } } })] });
    const task = await runPlan(plan.id);
    await waitForStatus(task.id, ["needs_input"]);
    // the feedback is the next message of the conversation, so the sim model reads this line as a directive: runs 1 and 2 fail
    expect((await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: { comment: "@fail transient 2" } })).status).toBe(200);
    const t = await waitForStatus(task.id, ["needs_input", "failed"]);
    expect(t.status).toBe("needs_input");
    expect(t.steps[0].runs.map((r: { status: string }) => r.status)).toEqual(["completed", "failed", "completed"]);
    // and the retry still carries the reviewer's feedback
    expect(t.steps[0].runs.map((r: { feedback: string | null }) => r.feedback)).toEqual([null, "@fail transient 2", "@fail transient 2"]);
    const trace = await api("GET", `/tasks/${task.id}/steps/draft/runs/3/trace`);
    expect(JSON.stringify(trace.json.turns.at(-1).sent)).toContain("@fail transient 2");
  });

  it("a run after a rejection goes on from the rejected run's conversation: a question answered there is not asked again", async () => {
    const plan = await savePlan({ name: "ask then review", steps: [step("draft", "@ask Which tone?\n@output a {{params.x}} draft", { approval: true })], params: [{ name: "x", default: "plain" }] });
    const task = await runPlan(plan.id);
    let t = await waitForStatus(task.id, ["needs_input"]);
    expect((await api("POST", `/sessions/${t.session_id}/respond`, { body: { call_id: t.pending[0].call_id, answers: ["formal"] } })).status).toBe(200);
    t = await waitForStatus(task.id, ["needs_input"]);
    expect(t.pending).toEqual([{ kind: "approval", step: "draft", run: 1 }]);
    expect((await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: { comment: "shorter please" } })).status).toBe(200);
    t = await waitForStatus(task.id, ["needs_input"]);
    // straight back to review, with no second "Which tone?"
    expect(t.pending).toEqual([{ kind: "approval", step: "draft", run: 2 }]);
    expect(t.steps[0].output).toBe("a plain draft");
    const two = (await api("GET", `/tasks/${task.id}/steps/draft/runs/2/trace`)).json;
    // run 1's question, its answer and the rejected answer, free here; then the feedback and a new answer
    expect(two.turns.map((x: { carried_from?: number }) => x.carried_from ?? null)).toEqual([1, 1, null]);
    expect(two.turns[0].tool_results[0].result).toBe("formal");
    expect(two.turns[2].sent).toEqual([{ role: "user", content: "A reviewer rejected your previous answer. Their feedback:\nshorter please" }]);
    expect(two.tokens.input + two.tokens.cache).toBeGreaterThan(0);
    expect(t.steps[0].runs[1].cost).toBeCloseTo(two.turns[2].cost, 12);
    // the reviewer may ask for more: the feedback's own directives script the turns after it
    expect((await api("POST", `/tasks/${task.id}/steps/draft/reject`, { body: { comment: "@ask Who reads it?\n@output a short draft" } })).status).toBe(200);
    t = await waitForStatus(task.id, ["needs_input"]);
    expect(t.pending).toMatchObject([{ kind: "question", question: "Who reads it?" }]);
    expect((await api("POST", `/sessions/${t.session_id}/respond`, { body: { call_id: t.pending[0].call_id, answers: ["the board"] } })).status).toBe(200);
    t = await waitForStatus(task.id, ["needs_input"]);
    expect(t.pending).toEqual([{ kind: "approval", step: "draft", run: 3 }]);
    expect(t.steps[0].output).toBe("a short draft");
    expect((await api("POST", `/tasks/${task.id}/steps/draft/approve`)).status).toBe(200);
    expect((await waitForStatus(task.id, ["completed"])).output).toBe("a short draft");
  });

  it("a retry goes on from where the failed run stopped: a person's answer is not asked for again, nor a tool call repeated", async () => {
    const instructions = '@ask Which colour?\n@tool http_fetch {"url": "http://127.0.0.1:1/"}\n@fail transient 1\n@output done';
    const plan = await savePlan({ name: "ask then flake", steps: [step("a", instructions, { retry: { max_attempts: 2, backoff: { initial_ms: 0, max_ms: 0 } } })] });
    const task = await runPlan(plan.id);
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    const path = `/sessions/${waiting.session_id}/respond`;
    expect((await api("POST", path, { body: { call_id: waiting.pending[0].call_id, answers: ["blue"] } })).status).toBe(200);
    const t = await waitForStatus(task.id, ["completed", "failed", "needs_input"]);
    expect(t.status).toBe("completed");
    expect(t.output).toBe("done");
    const [a] = t.steps;
    expect(a.runs.map((r: { status: string }) => r.status)).toEqual(["failed", "completed"]);
    const one = (await api("GET", `/tasks/${task.id}/steps/a/runs/1/trace`)).json;
    const two = (await api("GET", `/tasks/${task.id}/steps/a/runs/2/trace`)).json;
    // run 2 holds run 1's turns, marked as run 1's and free here, then its own answer
    expect(two.turns.map((x: { carried_from?: number }) => x.carried_from ?? null)).toEqual([1, 1, null]);
    expect(two.turns[0].tool_results[0].result).toBe("blue");
    expect(two.turns[1].tool_results[0].result).toBe(one.turns[1].tool_results[0].result);
    expect(two.turns.slice(0, 2).map((x: { cost: number; usage: { input: number } }) => [x.cost, x.usage.input])).toEqual([[0, 0], [0, 0]]);
    expect(two.turns[2].content).toBe("done");
    // each run's tokens are its own turns', and the step's are the sum of its runs'
    const sum = (turns: { usage: { input: number; output: number } }[]) => turns.reduce((n, x) => n + x.usage.input + x.usage.output, 0);
    expect(one.tokens.input + one.tokens.output).toBe(sum(one.turns));
    expect(two.tokens.input + two.tokens.output).toBe(sum(two.turns));
    expect(a.tokens.input + a.tokens.output).toBe(sum(one.turns) + sum(two.turns));
    expect(a.runs[1].cost).toBeCloseTo(two.cost, 12);
  });

  it("a retry has all of the agent's max_turns: the turns it carries from the failed run are not counted again", async () => {
    expect((await api("POST", "/agents", { body: { name: "two-turns", model: "sim", tools: ["ask_human"], max_turns: 2 } })).status).toBe(201);
    // run 1 makes one turn and fails; run 2 carries it and makes two of its own
    const plan = await savePlan({
      name: "turns after a retry",
      steps: [{ id: "a", agent: "two-turns", instructions: "@ask First?\n@fail transient 1\n@ask Second?\n@output done", retry: { max_attempts: 2, backoff: { initial_ms: 0, max_ms: 0 } } }],
    });
    const task = await runPlan(plan.id);
    let t = await waitForStatus(task.id, ["needs_input"]);
    expect((await api("POST", `/sessions/${t.session_id}/respond`, { body: { call_id: t.pending[0].call_id, answers: ["one"] } })).status).toBe(200);
    // the first question's answer lets run 1 go on to its failure, then run 2 asks the second
    for (let i = 0; i < 200 && t.status !== "failed" && t.pending[0]?.question !== "Second?"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      t = (await api("GET", `/tasks/${task.id}`)).json;
    }
    expect(t.pending[0]?.question, JSON.stringify(t.steps[0].runs)).toBe("Second?");
    expect((await api("POST", `/sessions/${t.session_id}/respond`, { body: { call_id: t.pending[0].call_id, answers: ["two"] } })).status).toBe(200);
    t = await waitForStatus(task.id, ["completed", "failed"]);
    expect(t.steps[0].runs.map((r: { status: string; error: string | null }) => [r.status, r.error])).toEqual([["failed", expect.stringContaining("transient")], ["completed", null]]);
    expect(t.output).toBe("done");
  });

  it("retries transient failures with backoff woken by the alarm, each run recorded", async () => {
    // full jitter: each wait is anywhere in [0, 1 h], so the step waits for its alarm, which the test rings
    const plan = await savePlan({ name: "flaky", steps: [step("a", "@fail transient 2\n@output finally", { retry: { max_attempts: 3, backoff: { initial_ms: 3_600_000, max_ms: 3_600_000 } } })] });
    const task = await runPlan(plan.id);
    const stub = taskStub(task.id);
    /** Rings the step's alarm, unless a short draw of the jitter already had it ring by itself. */
    const ringAlarm = async (retryAt: string) => {
      if (!(await runDurableObjectAlarm(stub))) expect(Date.parse(retryAt)).toBeLessThanOrEqual(Date.now());
    };
    const waitRuns = async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const d = (await api("GET", `/tasks/${task.id}`)).json;
        // the run's end is stored a pass before the task, its step waiting for the retry, reads pending again
        if (d.steps[0].runs.length >= n && d.steps[0].runs[n - 1].status !== "running" && d.status !== "in_progress") return d;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error("runs did not appear");
    };
    let d = await waitRuns(1);
    expect(d.status).toBe("pending");
    expect(d.steps[0].retry_at).not.toBeNull();
    expect(Date.parse(d.steps[0].retry_at) - Date.now()).toBeLessThanOrEqual(3_600_000);
    await ringAlarm(d.steps[0].retry_at);
    d = await waitRuns(2);
    expect(d.steps[0].runs[1].status).toBe("failed");
    expect(d.steps[0].retry_at).not.toBeNull();
    await ringAlarm(d.steps[0].retry_at);
    d = await waitForStatus(task.id, ["completed"]);
    expect(d.steps[0].runs.map((r: { status: string }) => r.status)).toEqual(["failed", "failed", "completed"]);
    expect(d.output).toBe("finally");
  });

  it("fails at once on a permanent error and stops running siblings", async () => {
    const plan = await savePlan({ name: "boom", steps: [step("bad", "@fail permanent"), step("slow", "@delay 3000\n@output late")] });
    const done = await waitForStatus((await runPlan(plan.id)).id, ["failed"]);
    expect(done.steps[0].runs).toHaveLength(1);
    expect(done.steps[1].status).toBe("cancelled");
    // the stopped sibling's run ends with it, rather than showing as running for good
    expect(done.steps[1].runs).toEqual([expect.objectContaining({ run_no: 1, status: "cancelled", finished_at: expect.any(String) })]);
    // an iteration that fails past its retries fails the loop, and no later iteration starts after it
    const loop = await savePlan({
      name: "loop boom",
      steps: [
        step("list", '@output ["ok", "bad", "later"]'),
        {
          id: "each", kind: "loop", over: "list", concurrency: 1,
          body: [step("pick", "@output {{item}}"), { id: "route", kind: "branch", on: "pick", cases: { bad: [step("boom", "@fail permanent")] }, default: [step("fine", "@output fine")] }],
        },
      ],
    });
    const looped = await waitForStatus((await runPlan(loop.id)).id, ["failed"]);
    const iterations = looped.steps[1].iterations;
    // the loop names the step that failed inside it, and why, rather than only the iteration
    expect(looped.steps[1]).toMatchObject({ status: "failed", error: "each[1].boom failed: sim: permanent failure (@fail permanent)" });
    expect(iterations[1].error).toBe(looped.steps[1].error);
    expect(iterations.map((i: { status: string }) => i.status)).toEqual(["completed", "failed", "cancelled"]);
    expect(iterations[2]).toMatchObject({ started_at: null, steps: [expect.objectContaining({ id: "each[2].pick", runs: [] }), expect.anything()] });
    // a failed task has no output of its own, even when a step completed before the failure
    const partly = await savePlan({ name: "partly", steps: [step("ok", "@output fine"), step("bad", "@fail permanent", { depends_on: ["ok"] })] });
    const failed = await waitForStatus((await runPlan(partly.id)).id, ["failed"]);
    expect(failed.steps[0]).toMatchObject({ status: "completed", output: "fine" });
    expect(failed.output).toBeNull();
  });

  it("times out a step past timeout_s", async () => {
    const plan = await savePlan({ name: "slow", steps: [step("a", "@delay 5000\n@output late", { timeout_s: 1, retry: { max_attempts: 1 } })] });
    const done = await waitForStatus((await runPlan(plan.id)).id, ["failed"], 8000);
    expect(done.steps[0].error).toContain("timed out");
  });

  it("cancel stops everything, alarms included", async () => {
    const plan = await savePlan({ name: "c", steps: [step("a", "@fail transient 5", { retry: { max_attempts: 5, backoff: { initial_ms: 60_000, max_ms: 60_000 } } })] });
    const task = await runPlan(plan.id);
    const stub = taskStub(task.id);
    for (let i = 0; i < 200 && !(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())); i++) await new Promise((r) => setTimeout(r, 10));
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
    expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("reruns from a step, reusing the outputs upstream of it", async () => {
    const plan = await savePlan({ name: "rr", steps: [step("a", "@output A"), step("b", "@fail permanent", { depends_on: ["a"] }), step("c", "@output C", { depends_on: ["b"] })] });
    const first = await waitForStatus((await runPlan(plan.id)).id, ["failed"]);
    expectError(await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "nope" } }), 422);
    expectError(await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "c" } }), 422);
    const rerun = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b" } });
    expect(rerun.status).toBe(201);
    expect(rerun.json.rerun_of).toBe(first.id);
    const again = await waitForStatus(rerun.json.id, ["failed"]);
    expect(again.steps[0]).toMatchObject({ id: "a", status: "completed", output: "A", runs: [], reused: true });
    expect(again.steps[1].runs).toHaveLength(1);
    expect(again.steps.map((s: { reused: boolean }) => s.reused)).toEqual([true, false, false]);
    expect(first.steps.some((s: { reused: boolean }) => s.reused)).toBe(false);
  });

  it("refuses a rerun whose new inputs change a param a reused step used, naming both, and starts nothing", async () => {
    const params = [{ name: "topic", required: true }, { name: "tone", default: "dry" }];
    const plan = await savePlan({ name: "rr-in", params, steps: [step("a", "@output about {{params.topic}}"), step("b", "@fail permanent\n{{params.tone}}", { depends_on: ["a"] })] });
    const first = await waitForStatus((await runPlan(plan.id, { inputs: { topic: "otters" } })).id, ["failed"]);
    const before = (await api("GET", "/tasks")).json.items.length;
    const stale = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b", inputs: { topic: "seals" } } });
    expectError(stale, 422, "unprocessable");
    expect(stale.json.error.message).toContain('step a, whose output this rerun would reuse, used {{params.topic}}, which these inputs change: rerun from a');
    expect(stale.json.error.details).toEqual([{ step: "a", param: "topic" }]);
    expect((await api("GET", "/tasks")).json.items.length).toBe(before);
    // a param only the rerun steps use may change, and so may one given its same value
    const ok = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b", inputs: { topic: "otters", tone: "warm" } } });
    expect(ok.status, ok.text).toBe(201);
    expect((await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", inputs: { topic: "seals" } } })).status).toBe(201);
  });
});

describe("rerun on another version of the plan", () => {
  const v = (params: Record<string, unknown>[], a: string, b: string) => ({ name: "rr-v", params, steps: [step("a", a), step("b", b, { depends_on: ["a"] }), step("c", "@output C {{steps.b.output}}", { depends_on: ["b"] })] });
  const topic = [{ name: "topic", required: true }];

  it("with plan_version current, runs the plan's current version, reusing the upstream steps it did not change; without, the task's own", async () => {
    const plan = await savePlan(v(topic, "@output A {{params.topic}}", "@fail permanent"));
    const first = await waitForStatus((await runPlan(plan.id, { inputs: { topic: "otters" } })).id, ["failed"]);
    expect((await api("PUT", `/plans/${plan.id}`, { body: v(topic, "@output A {{params.topic}}", "@output fixed") })).json.version).toBe(2);

    const same = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b" } });
    expect(same.json.plan_version).toBe(1);
    const res = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b", plan_version: "current" } });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ rerun_of: first.id, plan_version: 2 });
    const done = await waitForStatus(res.json.id, ["completed"]);
    expect(done).toMatchObject({ plan_version: 2, output: "C fixed", inputs: { topic: "otters" } });
    expect(done.steps[0]).toMatchObject({ id: "a", status: "completed", output: "A otters", runs: [] });
    const byNumber = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b", plan_version: 2 } });
    expect(byNumber.json.plan_version).toBe(2);
    const audit = await api("GET", "/audit?action=task.rerun&limit=1");
    expect(audit.json.items[0].details).toEqual({ rerun_of: first.id, plan_version: 2 });
  });

  it("refuses a version that changed a step it would reuse, does not declare the task's required inputs, or does not exist, and starts nothing", async () => {
    const plan = await savePlan(v(topic, "@output A {{params.topic}}", "@fail permanent"));
    const first = await waitForStatus((await runPlan(plan.id, { inputs: { topic: "otters" } })).id, ["failed"]);
    await api("PUT", `/plans/${plan.id}`, { body: v(topic, "@output A2 {{params.topic}}", "@output B") });
    const before = await count();
    const changed = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "b", plan_version: "current" } });
    expectError(changed, 422, "unprocessable");
    expect(changed.json.error.message).toBe("step a, upstream of b, is not the same in v2 as in v1, which this task ran: its output cannot be reused; rerun from a");
    expect(changed.json.error.details).toEqual([{ step: "a" }]);
    for (const [plan_version, status] of [[7, 422], [0, 400], ["latest", 400], ["2", 400]] as const) {
      expectError(await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", plan_version } }), status);
    }
    expect((await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", plan_version: "2" } })).json.error.message).toBe('invalid request: plan_version: must be "current" or a version number');
    // a version that drops a param the task had leaves it out; one that needs a new one has to be given it
    await api("PUT", `/plans/${plan.id}`, { body: v([{ name: "region", required: true, enum: ["eu", "us"] }], "@output A {{params.region}}", "@output B") });
    const missing = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", plan_version: "current" } });
    expectError(missing, 422, "unprocessable");
    expect(missing.json.error.details).toEqual([{ param: "region", message: "is required" }]);
    expectError(await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", plan_version: "current", inputs: { region: "mars" } } }), 422, "unprocessable");
    expect(await count()).toBe(before);
    const ok = await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", plan_version: "current", inputs: { region: "eu" } } });
    expect(ok.status, ok.text).toBe(201);
    expect((await waitForStatus(ok.json.id, ["completed"])).inputs).toEqual({ region: "eu" });

    // a from_step the version does not have, a task not started from a saved plan, a deleted plan
    expectError(await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "gone", plan_version: "current" } }), 422, "unprocessable");
    const single = (await api("POST", "/tasks", { body: { agent: "researcher", title: "one", description: "@output x" } })).json;
    await waitForStatus(single.id, ["completed"]);
    expect((await api("POST", `/tasks/${single.id}/rerun`, { body: { from_step: "main", plan_version: "current" } })).json.error.message).toBe("this task was not started from a saved plan: rerun it without plan_version");
    expect((await api("DELETE", `/plans/${plan.id}`)).status).toBe(204);
    expectError(await api("POST", `/tasks/${first.id}/rerun`, { body: { from_step: "a", plan_version: "current" } }), 422, "unprocessable");
    expect(await count()).toBe(before + 2);
  });
});

describe("durability", () => {
  it("resumes after the object is broken mid-run without repeating a finished tool call", async () => {
    const { http } = inject("fakeServers");
    const key = `k${crypto.randomUUID().slice(0, 8)}`;
    await api("POST", "/agents", { body: { name: "fetcher", model: "sim", tools: ["http_fetch"], max_turns: 10 } });
    const url = (what: string) => `http://127.0.0.1:${http}/count/${key}-${what}`;
    const plan = await savePlan({
      name: "durable",
      steps: [{ id: "a", agent: "fetcher", instructions: `@delay 150\n@tool http_fetch {"url": "${url("one")}"}\n@tool http_fetch {"url": "${url("two")}"}\n@output done` }],
    });
    const task = await runPlan(plan.id);
    const stub = taskStub(task.id) as DurableObjectStub<TaskRunner>;
    // wait until the first tool call's result is stored
    for (let i = 0; ; i++) {
      const stored = await runInDurableObject(stub, (_o, state) => loadTurns(state.storage.sql, "a", 1));
      if (stored.some((t) => t.tool_results.some((r) => r.result !== null))) break;
      if (i > 300) throw new Error("the first tool call never finished");
      await new Promise((r) => setTimeout(r, 10));
    }
    await abortAllDurableObjects();
    // the run's heartbeat alarm, set with its start, wakes a fresh instance, which resumes from the stored turns
    expect(await runDurableObjectAlarm(taskStub(task.id))).toBe(true);
    const done = await waitForStatus(task.id, ["completed"], 10_000);
    expect(done.output).toBe("done");
    const count = async (what: string) => (await (await fetch(`http://127.0.0.1:${http}/counts/${key}-${what}`)).json() as { count: number }).count;
    expect(await count("one")).toBe(1);
    expect(await count("two")).toBe(1);
    expect(env).toBeTruthy();
  });

  it("a task whose object restarted mid-run goes on as soon as anything reaches it, not only at the queue's next sweep", async () => {
    const plan = await savePlan({ name: "restarted", steps: [step("a", "@delay 600\n@output first"), step("b", "@output then {{steps.a.output}}", { depends_on: ["a"] })] });
    const task = await runPlan(plan.id);
    await waitForStatus(task.id, ["in_progress"]);
    // its heartbeat alarm is 30 s away, and the queue's sweep a minute
    await abortAllDurableObjects();
    const done = await waitForStatus(task.id, ["completed"], 10_000);
    expect(done.output).toBe("then first");
    expect(done.steps.map((st: { runs: unknown[] }) => st.runs.length)).toEqual([1, 1]);
  });

  it("a step whose start a restart cut off (its upstream finished, the next pass never came) starts once anything reaches the task", async () => {
    const plan = await savePlan({ name: "cut off", steps: [step("a", "@ask go?\n@output first"), step("b", "@output then {{steps.a.output}}", { depends_on: ["a"] })] });
    const task = await runPlan(plan.id);
    await waitForStatus(task.id, ["needs_input"]);
    // as storage holds it when the process stops between a's finishing commit and the pass that starts b
    await runInDurableObject(taskStub(task.id), (_o, state) => {
      state.storage.sql.exec("UPDATE nodes SET status = 'completed', output = 'first', waiting = NULL WHERE key = 'a'");
      state.storage.sql.exec("UPDATE runs SET status = 'completed' WHERE node_key = 'a'");
    });
    await abortAllDurableObjects();
    const done = await waitForStatus(task.id, ["completed"], 10_000);
    expect(done.output).toBe("then first");
  });

  it("a run sets its heartbeat alarm with its start, and the task clears it when done", async () => {
    const plan = await savePlan({ name: "long run", steps: [step("a", "@delay 1500\n@output slow")] });
    const before = Date.now();
    const task = await runPlan(plan.id);
    const stub = taskStub(task.id);
    const at = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(before + HEARTBEAT_MS);
    expect(at!).toBeLessThanOrEqual(Date.now() + HEARTBEAT_MS);
    expect((await waitForStatus(task.id, ["completed"], 10_000)).output).toBe("slow");
    expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBeNull();
  });
});
