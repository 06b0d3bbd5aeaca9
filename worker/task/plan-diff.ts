import { z } from "@hono/zod-openapi";
import type { Plan, Step } from "./plan-schema";
import { allSteps, type FlatStep } from "./validate";

const StepChange = z.object({
  id: z.string(), name: z.string(),
  fields: z.array(z.string()).optional().openapi({ description: "fields that differ from the plan before, e.g. `depends_on`, `approval`" }),
});
type StepChange = z.infer<typeof StepChange>;

/** What changed from one plan to the next (a chat draft from the draft before, a plan's version from the version before), step by step. */
export const PlanChanges = z.object({
  from_version: z.number().int().nullable().openapi({ description: "the version these changes are measured from; null for the first" }),
  added: z.array(StepChange), removed: z.array(StepChange), changed: z.array(StepChange),
  plan_fields: z.array(z.string()).openapi({ description: "plan-level fields that changed: name, description, params, output" }),
  summary: z.array(z.string()).openapi({ description: "one line per change, for people" }),
});
export type PlanChanges = z.infer<typeof PlanChanges>;

const label = (s: Step) => s.name || s.id;

/** Comparable fields of a step, nested bodies left out (their steps are compared on their own). */
function fieldsOf(step: Step, scope: string): Record<string, unknown> {
  const { id: _id, ...rest } = step;
  const own: Record<string, unknown> = { ...rest, scope };
  delete own.body;
  delete own.cases;
  delete own.default;
  if (step.kind === "branch") own.case_values = Object.keys(step.cases);
  return own;
}

/** The list a step is in, named by its loop or branch rather than by indexes that shift when a step before it goes. */
const container = (f: FlatStep) => `${f.ancestors.join("/")}:${f.scope.replace(/\[\d+\]/g, "")}`;

/** What changed from one plan to the next, step by step (matched by id, nested steps included). */
export function diffPlans(prev: Plan | null, next: Plan, fromVersion: number | null): PlanChanges {
  const before = new Map(prev ? allSteps(prev).map((f) => [f.step.id, f]) : []);
  const after = new Map(allSteps(next).map((f) => [f.step.id, f]));
  const added: StepChange[] = [];
  const removed: StepChange[] = [];
  const changed: StepChange[] = [];
  for (const [id, f] of after) {
    const old = before.get(id);
    if (!old) {
      added.push({ id, name: label(f.step) });
      continue;
    }
    const a = fieldsOf(old.step, container(old));
    const b = fieldsOf(f.step, container(f));
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
    if (fields.length) changed.push({ id, name: label(f.step), fields: fields.map((k) => (k === "scope" ? "position" : k)) });
  }
  for (const [id, f] of before) if (!after.has(id)) removed.push({ id, name: label(f.step) });
  const plan_fields = prev
    ? (["name", "description", "params", "output"] as const).filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]))
    : [];
  const summary = [
    ...added.map((s) => `added ${s.id} (${s.name})`),
    ...removed.map((s) => `removed ${s.id} (${s.name})`),
    ...changed.map((s) => `changed ${s.id}: ${(s.fields ?? []).join(", ")}`),
    ...plan_fields.map((k) => `changed the plan's ${k}`),
  ];
  return { from_version: fromVersion, added, removed, changed, plan_fields: [...plan_fields], summary };
}
