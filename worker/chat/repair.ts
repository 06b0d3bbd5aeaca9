import type { PlanIssue } from "../task/validate";
import type { DraftCheck } from "./check";
import type { Plan } from "../task/plan-schema";

export interface Proposal {
  raw: unknown;
  reply: string;
}

export type RepairOutcome =
  | { ok: true; plan: Plan; reply: string; attempts: number }
  | { ok: false; issues: PlanIssue[]; reply: string; attempts: number };

/**
 * The bounded repair loop: a proposal that fails validation goes back to the proposer with its
 * issues, at most `maxAttempts` proposals in all; then the last issues are the answer.
 */
export async function draftWithRepair(o: {
  maxAttempts: number;
  propose: (attempt: number, issues: PlanIssue[] | null) => Promise<Proposal>;
  check: (raw: unknown) => DraftCheck;
  onAttempt?: (attempt: number) => void;
  onInvalid?: (attempt: number, issues: PlanIssue[]) => void;
}): Promise<RepairOutcome> {
  let issues: PlanIssue[] | null = null;
  let reply = "";
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    o.onAttempt?.(attempt);
    const proposal = await o.propose(attempt, issues);
    reply = proposal.reply;
    const checked = o.check(proposal.raw);
    if (checked.ok) return { ok: true, plan: checked.plan, reply, attempts: attempt };
    issues = checked.issues;
    o.onInvalid?.(attempt, issues);
  }
  return { ok: false, issues: issues ?? [], reply, attempts: o.maxAttempts };
}
