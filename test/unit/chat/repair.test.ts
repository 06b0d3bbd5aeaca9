import { describe, expect, it } from "vitest";
import type { ModelRequest, ModelResponse, Provider } from "../../../worker/agents/types";
import { zeroUsage } from "../../../worker/agents/types";
import { checkDraft } from "../../../worker/chat/check";
import { diffPlans } from "../../../worker/task/plan-diff";
import { modelProposer } from "../../../worker/chat/model-planner";
import { draftWithRepair } from "../../../worker/chat/repair";
import { planSchema } from "../../../worker/task/plan-schema";

const KNOWN = new Set(["researcher", "writer"]);
const GOOD = { name: "p", steps: [{ id: "a", agent: "researcher", instructions: "x" }] };
const BAD = { name: "p", steps: [{ id: "a", agent: "ghost", instructions: "x" }] };

describe("the repair loop", () => {
  it("feeds each invalid proposal's issues to the next, and keeps the first valid one", async () => {
    const seen: unknown[] = [];
    const out = await draftWithRepair({
      maxAttempts: 3,
      check: (raw) => checkDraft(raw, KNOWN),
      propose: async (attempt, issues) => (seen.push(issues), { raw: attempt === 1 ? BAD : GOOD, reply: `try ${attempt}` }),
    });
    expect(out).toMatchObject({ ok: true, attempts: 2, reply: "try 2" });
    expect(seen[0]).toBeNull();
    expect(seen[1]).toEqual([{ step: "a", path: "steps[0].agent", message: 'unknown agent "ghost"' }]);
  });

  it("stops after maxAttempts with the last issues", async () => {
    let calls = 0;
    const out = await draftWithRepair({ maxAttempts: 2, check: (raw) => checkDraft(raw, KNOWN), propose: async () => (calls++, { raw: { name: "" }, reply: "" }) });
    expect(calls).toBe(2);
    expect(out).toMatchObject({ ok: false, attempts: 2 });
    if (!out.ok) expect(out.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["name", "steps"]));
  });

  it("names schema and graph issues with the same JSON path style as POST /plans", () => {
    const schema = checkDraft({ name: "p", steps: [GOOD.steps[0], { id: "b", agent: "writer", tools: ["bogus"], depend_on: ["a"] }] }, KNOWN);
    expect(schema.ok).toBe(false);
    if (!schema.ok) expect(schema.issues.map((i) => i.path)).toEqual(["steps[1].tools[0]", "steps[1].depend_on"]);
    const graph = checkDraft({ name: "p", steps: [GOOD.steps[0], { id: "b", agent: "writer", depends_on: ["a", "zz"] }] }, KNOWN);
    if (!graph.ok) expect(graph.issues.map((i) => i.path)).toEqual(["steps[1].depends_on[1]"]);
  });
});

function scripted(answers: Partial<ModelResponse>[]): Provider & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    requests,
    call: async (req) => {
      requests.push(structuredClone({ ...req, signal: undefined, onText: undefined }) as unknown as ModelRequest);
      return { content: "", tool_calls: [], usage: zeroUsage(), searches: [], ...answers[requests.length - 1] };
    },
  };
}

describe("the model proposer", () => {
  const ctx = (provider: Provider) => ({
    provider, model: "m", systemPrompt: "Plan well.", agents: [{ name: "researcher", model: "sim", system_prompt: "Research.", tools: [] }],
    history: [], message: "do it", draft: null, signal: new AbortController().signal,
  });

  it("asks for submit_plan and returns the issues as that call's tool result", async () => {
    const provider = scripted([
      { tool_calls: [{ id: "c1", name: "submit_plan", arguments: { reply: "v1", plan: BAD } }] },
      { tool_calls: [{ id: "c2", name: "submit_plan", arguments: { reply: "v2", plan: JSON.stringify(GOOD) } }] },
    ]);
    const p = modelProposer(ctx(provider));
    expect(await p.propose(1, null)).toEqual({ raw: BAD, reply: "v1" });
    expect(await p.propose(2, [{ path: "steps[0].agent", message: 'unknown agent "ghost"' }])).toEqual({ raw: GOOD, reply: "v2" });
    const [first, second] = provider.requests;
    expect(first.tools.map((t) => t.name)).toEqual(["submit_plan"]);
    expect(first.messages[0].content).toContain("- researcher (tools: none): Research.");
    expect(first.messages[0].content).toContain("Plan well.");
    expect(second.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "c1", name: "submit_plan" });
    expect(second.messages.at(-1)!.content).toContain('unknown agent "ghost"');
  });

  it("reads a plan from JSON in the text when the model does not call the tool", async () => {
    const p = modelProposer(ctx(scripted([{ content: "Here:\n```json\n" + JSON.stringify({ plan: GOOD }) + "\n```" }])));
    expect((await p.propose(1, null)).raw).toEqual(GOOD);
  });
});

describe("what changed between drafts", () => {
  it("lists added, removed and changed steps and plan fields", () => {
    const a = planSchema.parse({ name: "p", steps: [{ id: "a", agent: "researcher" }, { id: "b", agent: "writer", depends_on: ["a"] }] });
    const b = planSchema.parse({ name: "q", steps: [{ id: "a", agent: "researcher" }, { id: "b", agent: "writer" }, { id: "c", agent: "writer", approval: true }] });
    const d = diffPlans(a, b, 1);
    expect(d).toMatchObject({ from_version: 1, added: [{ id: "c", name: "c" }], removed: [], changed: [{ id: "b", fields: ["depends_on"] }], plan_fields: ["name"] });
    expect(d.summary).toEqual(["added c (c)", "changed b: depends_on", "changed the plan's name"]);
    expect(diffPlans(null, a, null).added.map((s) => s.id)).toEqual(["a", "b"]);
  });

  it("says a step moved only when it left its loop or branch, not when a step before its container went", () => {
    const branch = { id: "route", kind: "branch", on: "a", cases: { yes: [{ id: "fix", agent: "writer" }] }, default: [{ id: "reply", agent: "writer" }] };
    const a = planSchema.parse({ name: "p", steps: [{ id: "x", agent: "researcher" }, { id: "a", agent: "researcher" }, branch] });
    const b = planSchema.parse({ name: "p", steps: [{ id: "a", agent: "researcher" }, branch] });
    expect(diffPlans(a, b, 1)).toMatchObject({ removed: [{ id: "x" }], changed: [] });
    const c = planSchema.parse({ name: "p", steps: [{ id: "a", agent: "researcher" }, { ...branch, cases: { yes: [] }, default: [{ id: "fix", agent: "writer" }, { id: "reply", agent: "writer" }] }] });
    expect(diffPlans(b, c, 2).changed).toEqual([{ id: "fix", name: "fix", fields: ["position"] }]);
  });
});
