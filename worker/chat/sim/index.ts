import type { Plan, Step } from "../../task/plan-schema";
import type { OrgAgent } from "../types";
import { draftFromRequest } from "./draft";
import { refineDraft } from "./refine";
import { scheduleOf } from "./text";

function outline(steps: Step[], depth = 0): string[] {
  const pad = "  ".repeat(depth);
  return steps.flatMap((s) => {
    const after = s.depends_on.length ? ` — after ${s.depends_on.join(", ")}` : "";
    if (s.kind === "agent") return [`${pad}- ${s.id} (${s.agent}${s.approval ? ", needs approval" : ""})${after}`];
    if (s.kind === "loop") return [`${pad}- ${s.id}: for each item of ${s.over}${after}`, ...outline(s.body, depth + 1)];
    return [
      `${pad}- ${s.id}: branch on ${s.on}${after}`,
      ...Object.entries(s.cases).flatMap(([v, body]) => [`${pad}  when "${v}":`, ...outline(body, depth + 2)]),
      ...(s.default?.length ? [`${pad}  otherwise:`, ...outline(s.default, depth + 2)] : []),
    ];
  });
}

/** The reply to words with no work in them ("every morning"): the plan it comes with has no steps and is not kept. */
export const NO_WORK = 'I found no work to plan in that: say what should be done, one sentence or line per step (e.g. "Research the top competitors. Write a summary of their pricing.").';

/**
 * The offline planner: a first message drafts one step per sentence or line; later
 * messages refine the draft. Deterministic, so the chat panel works with no key.
 */
export function simPlanner(message: string, draft: Plan | null, agents: OrgAgent[]): { plan: Plan; reply: string } {
  const when = scheduleOf(message);
  const schedule = when ? [`A plan runs once each time it is started: to run it ${when}, save it and add a cron trigger on it.`] : [];
  if (!draft) {
    const plan = draftFromRequest(message, agents);
    if (!plan.steps.length) return { plan, reply: [NO_WORK, ...schedule].join(" ") };
    return { plan, reply: [`Here is a draft with ${plan.steps.length} top-level step${plan.steps.length === 1 ? "" : "s"}:`, ...outline(plan.steps), ...(when ? ["", ...schedule] : [])].join("\n") };
  }
  const { plan, notes } = refineDraft(draft, message, agents);
  if (!plan.steps.length) return { plan, reply: [NO_WORK, ...schedule, "The draft is unchanged."].join(" ") };
  return { plan, reply: [...notes, ...schedule, "", "The draft now reads:", ...outline(plan.steps)].join("\n") };
}
