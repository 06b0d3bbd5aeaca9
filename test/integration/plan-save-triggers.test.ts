import { describe, expect, it } from "vitest";
import { api, expectError } from "../helpers";

const step = (instructions: string) => [{ id: "s", agent: "researcher", instructions: `${instructions}\n@output ok` }];
const v1 = { name: "Digest", params: [{ name: "topic", required: true }], steps: step("{{params.topic}}") };
const needsRegion = { ...v1, params: [...v1.params, { name: "region", required: true }], steps: step("{{params.topic}} {{params.region}}") };

async function planWith(body: Record<string, unknown>[]) {
  const plan = (await api("POST", "/plans", { body: v1 })).json;
  const triggers = [];
  for (const t of body) {
    const res = await api("POST", "/triggers", { body: { plan_id: plan.id, ...t } });
    expect(res.status, res.text).toBe(201);
    triggers.push(res.json);
  }
  return { plan, triggers };
}

describe("saving a plan its triggers start", () => {
  it("is 409 naming each trigger and what it lacks when the new version would refuse their fires, and saves nothing", async () => {
    const { plan, triggers } = await planWith([
      { kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" }, title: "Nightly" },
      { kind: "webhook", input_map: { topic: "repository.full_name" } },
      { kind: "webhook" },
    ]);
    const [cron, mapped, plain] = triggers;
    const res = await api("PUT", `/plans/${plan.id}`, { body: needsRegion });
    expectError(res, 409, "conflict");
    expect(res.json.error.message).toContain(cron.id);
    expect(res.json.error.message).toContain(mapped.id);
    expect(res.json.error.message).toContain("region");
    expect(res.json.error.message).toContain("?triggers=pause");
    // a webhook with no input_map takes any param from its deliveries' bodies: it is not broken
    expect(res.json.error.message).not.toContain(plain.id);
    expect(res.json.error.details).toEqual([
      { trigger_id: cron.id, kind: "cron", issues: [{ param: "region", message: "is required" }] },
      { trigger_id: mapped.id, kind: "webhook", issues: [{ param: "region", message: "is required: neither the trigger's inputs nor its input_map give it" }] },
    ]);
    expect((await api("GET", `/plans/${plan.id}`)).json.version).toBe(1);

    // a removed param that saved inputs or an input_map still name breaks them too
    const renamed = { ...v1, params: [{ name: "subject" }], steps: step("{{params.subject}}") };
    const gone = await api("PUT", `/plans/${plan.id}`, { body: renamed });
    expectError(gone, 409, "conflict");
    expect(gone.json.error.details.map((d: { trigger_id: string }) => d.trigger_id)).toEqual([cron.id, mapped.id]);
    expect(gone.json.error.details[1].issues).toEqual([{ param: "topic", message: "unknown param; the plan declares subject" }]);

    // what keeps every trigger working saves: a default, or an optional param
    const withDefault = { ...needsRegion, params: [v1.params[0], { name: "region", required: true, default: "eu" }] };
    expect((await api("PUT", `/plans/${plan.id}`, { body: withDefault })).json.version).toBe(2);
  });

  it("with ?triggers=pause saves and pauses the triggers it breaks, saying why; fixing their inputs resumes them", async () => {
    const { plan, triggers } = await planWith([
      { kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } },
      { kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } },
    ]);
    const [broken, paused] = triggers;
    await api("PATCH", `/triggers/${paused.id}`, { body: { paused: true } });
    const saved = await api("PUT", `/plans/${plan.id}?triggers=pause`, { body: needsRegion });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.json.version).toBe(2);
    const t = (await api("GET", `/triggers/${broken.id}`)).json;
    expect(t).toMatchObject({ paused: true, next_fire_at: null });
    expect(t.last_error).toContain("v2");
    expect(t.last_error).toContain("region: is required");
    // a paused trigger fires nothing meanwhile: it is checked when it resumes
    expect((await api("GET", `/triggers/${paused.id}`)).json).toMatchObject({ paused: true, last_error: null });
    const audit = (await api("GET", `/audit?action=trigger.pause&limit=5`)).json.items;
    expect(audit.find((a: { target: { id: string } }) => a.target.id === broken.id)).toMatchObject({ details: { plan_id: plan.id, plan_version: 2 } });

    // resuming it as it is would only fail every fire: 422, and it stays paused
    expectError(await api("POST", `/triggers/${broken.id}/resume`), 422, "unprocessable");
    expectError(await api("PATCH", `/triggers/${broken.id}`, { body: { paused: false } }), 422, "unprocessable");
    expect((await api("GET", `/triggers/${broken.id}`)).json.paused).toBe(true);
    const fixed = await api("PATCH", `/triggers/${broken.id}`, { body: { inputs: { topic: "a", region: "eu" }, paused: false } });
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.json).toMatchObject({ paused: false, last_error: null });
    expect(fixed.json.next_fire_at).toBeTruthy();
    expect((await api("POST", `/triggers/${broken.id}/run`)).status).toBe(201);
  });

  it("checks a chat's Save as PUT does: 409 naming the trigger it would break, or ?triggers=pause", async () => {
    const { plan, triggers } = await planWith([{ kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } }]);
    const conv = (await api("POST", "/chat", { body: { plan_id: plan.id } })).json;
    // starting over drops the plan's params: the trigger's `topic` would be refused at every fire
    expect((await api("POST", `/chat/${conv.id}/messages`, { body: { content: "start over: research the market. write a memo" } })).status).toBe(200);
    const res = await api("POST", `/chat/${conv.id}/save`);
    expectError(res, 409, "conflict");
    expect(res.json.error.message).toContain(triggers[0].id);
    expect(res.json.error.details).toEqual([{ trigger_id: triggers[0].id, kind: "cron", issues: [{ param: "topic", message: "unknown param; the plan declares none" }] }]);
    expect((await api("GET", `/plans/${plan.id}`)).json.version).toBe(1);
    expect((await api("GET", `/chat/${conv.id}`)).json.plan_version).toBe(1);
    const saved = await api("POST", `/chat/${conv.id}/save?triggers=pause`);
    expect(saved.status, saved.text).toBe(200);
    expect(saved.json.version).toBe(2);
    expect((await api("GET", `/triggers/${triggers[0].id}`)).json).toMatchObject({ paused: true, last_error: expect.stringContaining("topic: unknown param") });
  });

  it("saves over triggers that are paused: they fire nothing, and are checked when they resume", async () => {
    const { plan, triggers } = await planWith([{ kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } }]);
    await api("POST", `/triggers/${triggers[0].id}/pause`);
    expect((await api("PUT", `/plans/${plan.id}`, { body: needsRegion })).status).toBe(200);
    const refused = await api("POST", `/triggers/${triggers[0].id}/resume`);
    expectError(refused, 422, "unprocessable");
    expect(refused.json.error.message).toContain("region: is required");
  });

  it("never leaves a trigger whose inputs the plan's new version refuses when a save races its create, change or resume", async () => {
    const fits = async (triggerId: string) => (await api("POST", `/triggers/${triggerId}/run`)).status === 201;
    for (let i = 0; i < 8; i++) {
      const { plan } = await planWith([]);
      const [made] = await Promise.all([
        api("POST", "/triggers", { body: { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } } }),
        api("PUT", `/plans/${plan.id}`, { body: needsRegion }),
      ]);
      if (made.status === 201 && !made.json.paused) expect(await fits(made.json.id), `create ${i}`).toBe(true);

      const { plan: p2, triggers } = await planWith([{ kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } }]);
      await api("PUT", `/plans/${p2.id}`, { body: { ...v1, params: [...v1.params, { name: "extra" }] } });
      const [changed] = await Promise.all([
        api("PATCH", `/triggers/${triggers[0].id}`, { body: { inputs: { topic: "b", extra: "z" } } }),
        api("PUT", `/plans/${p2.id}`, { body: v1 }),
      ]);
      const t = (await api("GET", `/triggers/${triggers[0].id}`)).json;
      if (changed.status === 200 && !t.paused) expect(await fits(t.id), `change ${i}: ${JSON.stringify(t)}`).toBe(true);
    }
  });

  it("resumes a paused trigger whose plan is saved meanwhile, checked against the version saved: never a 409 a client could not avoid", async () => {
    for (let i = 0; i < 6; i++) {
      const { plan, triggers } = await planWith([{ kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } }]);
      const [t] = triggers;
      expect((await api("POST", `/triggers/${t.id}/pause`)).status).toBe(200);
      // a save its inputs still fit, then one they do not: the resume answers 200 or 422 by the version it lands on
      const [resumed, saved] = await Promise.all([
        api("POST", `/triggers/${t.id}/resume`),
        api("PUT", `/plans/${plan.id}`, { body: { ...v1, params: [...v1.params, { name: `extra${i}` }] } }),
      ]);
      expect(saved.status, saved.text).toBe(200);
      expect(resumed.status, `resume ${i}: ${resumed.text}`).toBe(200);
      expect((await api("GET", `/triggers/${t.id}`)).json.paused).toBe(false);
      expect((await api("POST", `/triggers/${t.id}/pause`)).status).toBe(200);
      const [again] = await Promise.all([api("POST", `/triggers/${t.id}/resume`), api("PUT", `/plans/${plan.id}`, { body: needsRegion })]);
      // resumed against a version its inputs fit (the save then refused), or 422 against the one saved
      expect([200, 422], `resume ${i}: ${again.text}`).toContain(again.status);
      const after = (await api("GET", `/triggers/${t.id}`)).json;
      expect(after.paused, `resume ${i}: ${again.text}`).toBe(again.status === 422);
      if (!after.paused) expect((await api("POST", `/triggers/${t.id}/run`)).status, `resume ${i}`).toBe(201);
    }
  });

  it("refuses a webhook whose input_map and inputs leave a required param out, on create and change alike, as a save that would", async () => {
    const { plan } = await planWith([]);
    const made = await api("POST", "/triggers", { body: { plan_id: plan.id, kind: "webhook", input_map: { nope: "x" }, inputs: {} } });
    expectError(made, 422, "unprocessable");
    const mapped = await api("POST", "/triggers", { body: { plan_id: plan.id, kind: "webhook", input_map: {} } });
    expectError(mapped, 422, "unprocessable");
    expect(mapped.json.error.message).toContain("topic: is required: neither the trigger's inputs nor its input_map give it");
    expect((await api("POST", "/triggers", { body: { plan_id: plan.id, kind: "webhook", input_map: {}, inputs: { topic: "t" } } })).status).toBe(201);
    const hook = (await api("POST", "/triggers", { body: { plan_id: plan.id, kind: "webhook", input_map: { topic: "repository.name" } } })).json;
    expectError(await api("PATCH", `/triggers/${hook.id}`, { body: { input_map: { } } }), 422, "unprocessable");
    expect((await api("GET", `/triggers/${hook.id}`)).json.input_map).toEqual({ topic: "repository.name" });
    expect((await api("PATCH", `/triggers/${hook.id}`, { body: { input_map: null } })).status).toBe(200);
  });

  it("refuses a triggers value other than pause, and changes nothing", async () => {
    const { plan } = await planWith([{ kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } }]);
    expectError(await api("PUT", `/plans/${plan.id}?triggers=ignore`, { body: needsRegion }), 400, "bad_request");
    expect((await api("GET", `/plans/${plan.id}`)).json.version).toBe(1);
  });
});
