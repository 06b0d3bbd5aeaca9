import { type Plan, planSchema } from "../task/plan-schema";
import { type PlanIssue, validatePlan } from "../task/validate";
import { issueDetails } from "../lib/zod-issues";

export type DraftCheck = { ok: true; plan: Plan } | { ok: false; issues: PlanIssue[] };

/** The rules `POST /plans` applies: the plan schema first, then the graph rules against the org's agents. */
export function checkDraft(raw: unknown, knownAgents: Set<string>): DraftCheck {
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, issues: issueDetails(parsed.error.issues).map((i) => ({ ...i, path: i.path || "plan" })) };
  }
  const issues = validatePlan(parsed.data, knownAgents);
  return issues.length ? { ok: false, issues } : { ok: true, plan: parsed.data };
}

export const describeIssues = (issues: PlanIssue[]): string =>
  issues.map((i) => `- ${i.path}${i.step ? ` (step ${i.step})` : ""}: ${i.message}`).join("\n");
