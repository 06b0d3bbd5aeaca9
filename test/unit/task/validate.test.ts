import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PlanInput, planSchema } from "../../../worker/task/plan-schema";
import { MAX_PLAN_STEPS, allSteps, validatePlan } from "../../../worker/task/validate";

const agents = new Set(["writer", "critic"]);
const plan = (steps: PlanInput["steps"], extra: Partial<PlanInput> = {}) => planSchema.parse({ name: "p", steps, ...extra });
const check = (steps: PlanInput["steps"], extra: Partial<PlanInput> = {}) => validatePlan(plan(steps, extra), agents);
const a = (id: string, more: Record<string, unknown> = {}) => ({ id, agent: "writer", ...more });

describe("validatePlan: retry backoff", () => {
  it("refuses a max_ms below initial_ms (given or by default), since every wait is capped at max_ms", () => {
    expect(check([a("x", { retry: { backoff: { initial_ms: 5000, max_ms: 1000 } } })])).toEqual([
      expect.objectContaining({ step: "x", path: "steps[0].retry.backoff.max_ms", message: expect.stringContaining("at least 5000") }),
    ]);
    expect(check([a("x", { retry: { backoff: { initial_ms: 120_000 } } })])).toEqual([
      expect.objectContaining({ path: "steps[0].retry.backoff.max_ms", message: expect.stringContaining("60000 when not given") }),
    ]);
    expect(check([a("x", { retry: { backoff: { initial_ms: 5000, max_ms: 5000 } } }), a("y", { retry: { max_attempts: 2 } })])).toEqual([]);
  });
});

describe("plan schema: a step's name", () => {
  it("is refused when it is only blanks, which would show as no name at all; an empty one shows the id", () => {
    const res = planSchema.safeParse({ name: "p", steps: [a("x", { name: "   " })] });
    expect(res.success).toBe(false);
    expect(res.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["steps.0.name", "a step's name is not only blanks: write one, or leave it out"]]);
    expect(planSchema.safeParse({ name: "p", steps: [a("x", { name: "" }), a("y", { name: " Research " })] }).success).toBe(true);
  });
});

describe("validatePlan: a valid plan", () => {
  it("passes with loops, branches and templates", () => {
    const issues = check(
      [
        a("list", { instructions: "List {{params.topic}}" }),
        {
          id: "each",
          kind: "loop",
          over: "list",
          body: [
            a("draft", { instructions: "Draft {{item}} #{{index}} from {{steps.list.output}} on {{ params.topic }}" }),
            a("review", { agent: "critic", depends_on: ["draft"], instructions: "{{steps.draft.output}}" }),
          ],
        },
        a("judge", { depends_on: ["each"], instructions: "{{steps.each.output}}" }),
        {
          id: "route",
          kind: "branch",
          on: "judge",
          cases: { yes: [a("ship", { instructions: "{{steps.judge.output}} {{steps.list.output}}" })], no: [a("fix")] },
          default: [a("ask")],
        },
      ],
      { params: [{ name: "topic" }], output: "judge" },
    );
    expect(issues).toEqual([]);
  });

  it("a nested step sees what its enclosing scope depends on", () => {
    const issues = check([
      a("x"),
      a("y"),
      { id: "l", kind: "loop", over: "x", depends_on: ["y"], body: [a("b", { instructions: "{{steps.y.output}} {{steps.x.output}}" })] },
    ]);
    expect(issues).toEqual([]);
  });

  it("a body step may depend on an outer step directly", () => {
    const issues = check([a("x"), a("y"), { id: "l", kind: "loop", over: "x", body: [a("b", { depends_on: ["y"], instructions: "{{steps.y.output}}" })] }]);
    expect(issues).toEqual([]);
  });

  it("a branch inside a loop body can use {{item}}", () => {
    const issues = check([
      a("x"),
      { id: "l", kind: "loop", over: "x", body: [a("b"), { id: "br", kind: "branch", on: "b", cases: { k: [a("c", { instructions: "{{item}} {{steps.b.output}}" })] } }] },
    ]);
    expect(issues).toEqual([]);
  });
});

describe("validatePlan: ids and agents", () => {
  it("reports duplicate ids across nesting levels, at the second occurrence", () => {
    const issues = check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("x")] }]);
    expect(issues).toEqual([{ step: "x", path: "steps[1].body[0].id", message: expect.stringContaining("steps[0]") }]);
  });

  it("reports duplicates inside branch cases and default", () => {
    const issues = check([a("x"), { id: "b", kind: "branch", on: "x", cases: { p: [a("y")], "two words": [a("y")] }, default: [a("y")] }]);
    expect(issues.map((i) => i.path)).toEqual(['steps[1].cases["two words"][0].id', "steps[1].default[0].id"]);
  });

  it("reports unknown agents", () => {
    const issues = check([a("x", { agent: "ghost" })]);
    expect(issues).toEqual([{ step: "x", path: "steps[0].agent", message: 'unknown agent "ghost"' }]);
  });
});

describe("validatePlan: depends_on and scopes", () => {
  it("reports a missing dependency with the exact path", () => {
    const issues = check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b"), a("c", { depends_on: ["b", "nope"] })] }]);
    expect(issues).toEqual([{ step: "c", path: "steps[1].body[1].depends_on[1]", message: expect.stringContaining('"nope" is not a step') }]);
  });

  it("a top-level step cannot see inside a loop body", () => {
    const issues = check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b")] }, a("after", { depends_on: ["b"] })]);
    expect(issues).toEqual([{ step: "after", path: "steps[2].depends_on[0]", message: expect.stringContaining("not visible") }]);
  });

  it("a case step cannot see another case's steps", () => {
    const issues = check([a("x"), { id: "br", kind: "branch", on: "x", cases: { p: [a("p1")], q: [a("q1", { depends_on: ["p1"] })] } }]);
    expect(issues.map((i) => i.path)).toEqual(["steps[1].cases.q[0].depends_on[0]"]);
  });

  it("a step cannot depend on itself or an enclosing step", () => {
    const issues = check([a("x", { depends_on: ["x"] }), { id: "l", kind: "loop", over: "x", body: [a("b", { depends_on: ["l"] })] }]);
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ["steps[0].depends_on[0]", 'depends_on "x" is the step itself'],
      ["steps[1].body[0].depends_on[0]", 'depends_on "l" encloses this step'],
    ]);
  });

  it("reports a dependency listed twice", () => {
    const issues = check([a("x"), a("y", { depends_on: ["x", "x"] })]);
    expect(issues.map((i) => i.path)).toEqual(["steps[1].depends_on[1]"]);
  });
});

describe("validatePlan: over and on", () => {
  it("loop over must name a visible upstream step", () => {
    expect(check([{ id: "l", kind: "loop", over: "nope", body: [a("b")] }])[0]).toMatchObject({ step: "l", path: "steps[0].over" });
    expect(check([{ id: "l", kind: "loop", over: "l", body: [a("b")] }])[0].message).toContain("the step itself");
    expect(check([{ id: "l", kind: "loop", over: "b", body: [a("b")] }])[0]).toMatchObject({ path: "steps[0].over", message: expect.stringContaining("not visible") });
  });

  it("branch on must name a visible upstream step", () => {
    expect(check([{ id: "br", kind: "branch", on: "c", cases: { y: [a("c")] } }])[0]).toMatchObject({ path: "steps[0].on" });
    expect(check([{ id: "br", kind: "branch", on: "br", cases: {} }])[0]).toMatchObject({ path: "steps[0].on" });
  });

  it("reports branch cases that collide once trimmed and lowercased", () => {
    const issues = check([a("x"), { id: "br", kind: "branch", on: "x", cases: { Yes: [], " yes ": [] } }]);
    expect(issues).toEqual([{ step: "br", path: 'steps[1].cases[" yes "]', message: expect.stringContaining("case-insensitively") }]);
  });
});

describe("validatePlan: cycles", () => {
  it("reports a two-step cycle on a step of the cycle", () => {
    const issues = check([a("x", { depends_on: ["y"] }), a("y", { depends_on: ["x"] })]);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/^dependency cycle: (x → y → x|y → x → y)$/);
    expect(["x", "y"]).toContain(issues[0].step);
    expect(issues[0].path).toMatch(/^steps\[[01]\]\.depends_on\[0\]$/);
  });

  it("reports a cycle through over", () => {
    const issues = check([a("x", { depends_on: ["l"] }), { id: "l", kind: "loop", over: "x", body: [a("b")] }]);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toContain("dependency cycle");
  });

  it("reports a cycle through a container waiting for its body", () => {
    const issues = check([a("x"), a("y", { depends_on: ["l"] }), { id: "l", kind: "loop", over: "x", body: [a("b", { depends_on: ["y"] })] }]);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toContain("waits for the steps inside it");
  });

  it("reports a cycle among loop body steps", () => {
    const issues = check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b", { depends_on: ["c"] }), a("c", { depends_on: ["b"] })] }]);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toMatch(/^steps\[1\]\.body\[[01]\]\.depends_on\[0\]$/);
  });

  it("handles a long chain without a stack overflow", () => {
    const steps = Array.from({ length: MAX_PLAN_STEPS }, (_, i) => a(`s${i}`, { depends_on: i ? [`s${i - 1}`] : [`s${MAX_PLAN_STEPS - 1}`] }));
    const issues = check(steps);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toContain("dependency cycle");
  });
});

describe("validatePlan: templates", () => {
  it("rejects undeclared params", () => {
    expect(check([a("x", { instructions: "{{params.nope}}" })])).toEqual([
      { step: "x", path: "steps[0].instructions", message: '{{params.nope}}: no param "nope" is declared' },
    ]);
  });

  it("rejects steps that exist but are not upstream", () => {
    const issues = check([a("x"), a("y", { instructions: "{{steps.x.output}}" })]);
    expect(issues).toEqual([{ step: "y", path: "steps[1].instructions", message: expect.stringContaining("not upstream") }]);
  });

  it("accepts transitive upstream steps", () => {
    expect(check([a("x"), a("y", { depends_on: ["x"] }), a("z", { depends_on: ["y"], instructions: "{{steps.x.output}}" })])).toEqual([]);
  });

  it("rejects unknown steps and a step's own output", () => {
    expect(check([a("x", { instructions: "{{steps.nope.output}}" })])[0].message).toContain("not a step");
    expect(check([a("x", { instructions: "{{steps.x.output}}" })])).toEqual([
      { step: "x", path: "steps[0].instructions", message: '{{steps.x.output}}: "x" is this step: its output is what it is writing' },
    ]);
    // not "add it to depends_on": a step cannot wait for its own loop
    expect(check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b", { instructions: "{{steps.l.output}}" })] }])).toEqual([
      { step: "b", path: "steps[1].body[0].instructions", message: '{{steps.l.output}}: "l" encloses this step, so its output comes only after this step\'s' },
    ]);
  });

  it("rejects a param declared twice, at the second", () => {
    expect(check([a("x", { instructions: "{{params.topic}}" })], { params: [{ name: "topic" }, { name: "topic", required: true }] })).toEqual([
      { path: "params[1].name", message: 'duplicate param "topic" (first declared at params[0])' },
    ]);
  });

  it("rejects a body step's output outside the loop", () => {
    const issues = check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b")] }, a("after", { depends_on: ["l"], instructions: "{{steps.b.output}}" })]);
    expect(issues.map((i) => i.path)).toEqual(["steps[2].instructions"]);
  });

  it("rejects {{item}} and {{index}} outside loop bodies, including in branches", () => {
    const issues = check([a("x", { instructions: "{{item}} {{index}}" }), { id: "br", kind: "branch", on: "x", cases: { a: [a("c", { instructions: "{{ item }}" })] } }]);
    expect(issues.map((i) => i.path)).toEqual(["steps[0].instructions", "steps[0].instructions", "steps[1].cases.a[0].instructions"]);
  });

  it("rejects malformed references", () => {
    expect(check([a("x", { instructions: "{{steps.x.outptu}}" })])[0].message).toContain("not a valid reference");
  });

  it.each(["{{param.topic}}", "{{Params.topic}}", "{{step.x.output}}", "{{STEPS.x.output}}", "{{ITEM}}", "{{ Items }}", "{{Index}}", "{{item_name}}", "{{item-name}}"])("rejects %s, a reference's slip that would reach the model as written", (ref) => {
    const issues = check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b", { instructions: `about ${ref}` })] }]);
    expect(issues.map((i) => i.message)).toEqual([`${ref}: not a valid reference; use {{params.<name>}}, {{steps.<id>.output}}, {{item}} or {{index}}`]);
  });

  it("rejects a declared param or a step named bare, which would reach the model as written", () => {
    const issues = check([a("gather"), a("x", { depends_on: ["gather"], instructions: "About {{topic}}, from {{ gather }} and {{gather.output}}" })], { params: [{ name: "topic" }] });
    expect(issues).toEqual([
      { step: "x", path: "steps[1].instructions", message: "{{topic}}: not a valid reference; a param is written {{params.topic}}" },
      { step: "x", path: "steps[1].instructions", message: "{{ gather }}: not a valid reference; a step's output is written {{steps.gather.output}}" },
      { step: "x", path: "steps[1].instructions", message: "{{gather.output}}: not a valid reference; a step's output is written {{steps.gather.output}}" },
    ]);
    // a name that is neither may be text meant for the model (a template it is to fill in)
    expect(check([a("x", { instructions: "Fill in {{name}} and {{topic}}" })])).toEqual([]);
  });

  it("leaves braces that start like no reference alone", () => {
    expect(check([a("x", { instructions: "{{ stepfunction }} {{itemized}} {{ name }} {{json}} {{stepsister}} {{Paramedic}}" })])).toEqual([]);
  });
});

describe("validatePlan: scale", () => {
  it("checks a dense 1,000-step plan (every step depends on all earlier ones)", () => {
    const steps = Array.from({ length: MAX_PLAN_STEPS }, (_, i) =>
      a(`s${i}`, { depends_on: Array.from({ length: i }, (_, j) => `s${j}`), instructions: i ? `{{steps.s0.output}} {{steps.s${i - 1}.output}}` : "" }),
    );
    expect(check(steps)).toEqual([]);
  });

  it("sees upstream through a 1,000-step chain", () => {
    const steps = Array.from({ length: MAX_PLAN_STEPS }, (_, i) => a(`s${i}`, { depends_on: i ? [`s${i - 1}`] : [] }));
    steps[MAX_PLAN_STEPS - 1] = a("last", { depends_on: [`s${MAX_PLAN_STEPS - 2}`], instructions: "{{steps.s0.output}}" });
    expect(check(steps)).toEqual([]);
  });
});

describe("validatePlan: output and limits", () => {
  it("output must name an existing step outside loop bodies", () => {
    expect(check([a("x")], { output: "nope" })).toEqual([{ path: "output", message: expect.stringContaining("not a step") }]);
    expect(check([a("x"), { id: "l", kind: "loop", over: "x", body: [a("b")] }], { output: "b" })[0].message).toContain("inside a loop");
    // a path not taken left a completed task's output null
    expect(check([a("x"), { id: "br", kind: "branch", on: "x", cases: { k: [a("c")] } }], { output: "c" })).toEqual([
      { path: "output", message: 'output "c" is on a path of branch "br", which may not be taken; name the branch instead (its output is its path\'s)' },
    ]);
    expect(check([a("x"), { id: "br", kind: "branch", on: "x", cases: { k: [a("c")] } }], { output: "br" })).toEqual([]);
  });

  it("counts nested steps against MAX_PLAN_STEPS", () => {
    const body = Array.from({ length: 100 }, (_, i) => a(`b${i}`));
    const loops = Array.from({ length: 10 }, (_, i) => ({ id: `l${i}`, kind: "loop" as const, over: "x", body: body.map((b) => ({ ...b, id: `${b.id}_${i}` })) }));
    const issues = check([a("x"), ...loops]);
    expect(issues).toEqual([{ path: "steps", message: expect.stringContaining("1011") }]);
    expect(check([a("x"), ...loops.slice(0, 9), ...Array.from({ length: 90 }, (_, i) => a(`t${i}`))])).toEqual([]);
  });
});

describe("allSteps", () => {
  it("flattens with paths, scopes, ancestors, loops and parent index", () => {
    const p = plan([a("x"), { id: "l", kind: "loop", over: "x", body: [{ id: "br", kind: "branch", on: "x", cases: { k: [a("c")] }, default: [a("d")] }] }]);
    expect(allSteps(p).map(({ step, ...f }) => ({ id: step.id, ...f }))).toEqual([
      { id: "x", path: "steps[0]", scope: "steps", ancestors: [], loops: [], parent: null },
      { id: "l", path: "steps[1]", scope: "steps", ancestors: [], loops: [], parent: null },
      { id: "br", path: "steps[1].body[0]", scope: "steps[1].body", ancestors: ["l"], loops: ["l"], parent: 1 },
      { id: "c", path: "steps[1].body[0].cases.k[0]", scope: "steps[1].body[0].cases.k", ancestors: ["l", "br"], loops: ["l"], parent: 2 },
      { id: "d", path: "steps[1].body[0].default[0]", scope: "steps[1].body[0].default", ancestors: ["l", "br"], loops: ["l"], parent: 2 },
    ]);
  });
});

describe("validatePlan: properties", () => {
  // Random DAGs: each step depends only on earlier ones, so they are acyclic by construction.
  const dag = fc.integer({ min: 1, max: 40 }).chain((n) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.nat({ max: Math.max(0, i - 1) }), { maxLength: i ? Math.min(i, 4) : 0 }))),
  );

  it("accepts every acyclic plan whose templates reference dependencies", () => {
    fc.assert(
      fc.property(dag, (deps) => {
        const steps = deps.map((ds, i) =>
          a(`s${i}`, { depends_on: ds.map((d) => `s${d}`), instructions: ds.map((d) => `{{steps.s${d}.output}}`).join(" ") }),
        );
        expect(check(steps)).toEqual([]);
      }),
    );
  });

  it("finds a cycle when a back edge is added", () => {
    fc.assert(
      fc.property(dag, fc.nat(), fc.nat(), (deps, x, y) => {
        const n = deps.length;
        const [from, to] = [x % n, y % n].sort((p, q) => p - q);
        if (from === to) return;
        const dependsOn = deps.map((ds) => new Set(ds.map((d) => `s${d}`)));
        dependsOn[to].add(`s${from}`);
        dependsOn[from].add(`s${to}`);
        const issues = check(dependsOn.map((ds, i) => a(`s${i}`, { depends_on: [...ds] })));
        expect(issues.length).toBeGreaterThan(0);
        expect(issues.every((i) => i.message.startsWith("dependency cycle"))).toBe(true);
      }),
    );
  });

  it("every reported path points into the plan", () => {
    fc.assert(
      fc.property(dag, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }), (deps, extra) => {
        const n = deps.length;
        const dependsOn = deps.map((ds) => new Set(ds.map((d) => `s${d}`)));
        for (const [x, y] of extra) dependsOn[x % n].add(`s${y % (n + 2)}`);
        const p = plan(dependsOn.map((ds, i) => a(`s${i}`, { depends_on: [...ds], instructions: "{{steps.s0.output}}" })));
        for (const issue of validatePlan(p, agents)) expect(resolve(p, issue.path)).not.toBeUndefined();
      }),
    );
  });
});

function resolve(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const m of path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    const k = m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string));
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}
