import type { LoopStep, Plan, Step } from "../../task/plan-schema";
import type { OrgAgent } from "../types";
import { matchAgent, needsApproval } from "./agents";
import { SimDrafter, draftFromRequest } from "./draft";
import {
  agentStep, everyStep, findSteps, insertAfter, insertBefore, locate, meansSeveral, parallelize, relink, removeStep, resolveSteps, sinks, stepIds, whichStep,
} from "./plan-edit";
import { segments, sentenceCase, slug, uniqueId } from "./text";

/** What was done, for the reply; null: the words were not an edit after all (new work, appended). */
type Edit = (plan: Plan, m: RegExpExecArray, ctx: Ctx) => string | null;
interface Ctx {
  agents: OrgAgent[];
  taken: Set<string>;
}

/** Edits that only an agent step takes (its agent, its approval) look for agent steps only. */
const isAgent = (s: Step) => s.kind === "agent";
const names = (steps: Step[]) => steps.map((s) => s.id).join(", ");
const missing = (what: string) => `I found no step matching "${what}".`;

/**
 * The steps a phrase names (see resolveSteps), else "sending"/"publishing"-style words find the risky step; a string
 * when it names none, or several and the person did not say they meant several: what to answer instead.
 */
function targets(plan: Plan, phrase: string, several = false, fits?: (s: Step) => boolean): Step[] | string {
  let { steps, ambiguous } = resolveSteps(plan, phrase, several, fits);
  // "the brief and the comparison": each named on its own
  const parts = phrase.split(/\s*,\s*(?:and\s+)?|\s+and\s+/i).map((p) => p.replace(/^(?:the|a|an)\s+/i, "")).filter(Boolean);
  if (!steps.length && parts.length > 1) {
    const each = parts.map((p) => targets(plan, p, several, fits));
    return each.find((e) => typeof e === "string") ?? [...new Set(each.flat() as Step[])];
  }
  if (!steps.length && needsApproval(phrase)) {
    steps = everyStep(plan.steps).filter((s) => s.kind === "agent" && needsApproval(s.name ?? s.instructions));
    ambiguous = steps.length > 1 && !several;
  }
  if (!steps.length) return missing(phrase);
  return ambiguous ? whichStep(phrase, steps) : steps;
}

const EDITS: [RegExp, Edit][] = [
  [/^(?:undo|revert|go back)\b(?:\s+(?:it|that|this|the last (?:change|edit|reply)))?[.!]?$/i, () => `The offline planner cannot undo: say the change to make instead (e.g. "remove the … step"), or "start over: …".`],
  [/^(?:rename|call)\s+(?:the plan|it|this)\s+(?:to\s+)?["“]?(.+?)["”]?$/i, (plan, m) => ((plan.name = m[1].slice(0, 200)), `Renamed the plan to "${plan.name}".`)],
  [
    /^rename\s+(?:the\s+)?(.+?)(?:\s+step)?\s+(?:to|as)\s+["“]?(.+?)["”]?$/i,
    (plan, m) => {
      const found = targets(plan, m[1]);
      if (typeof found === "string") return found;
      const name = m[2].trim().slice(0, 200);
      for (const s of found) s.name = name;
      return `Renamed ${names(found)} to "${name}" (its id stays).`;
    },
  ],
  [
    /^move\s+(?:the\s+)?(.+?)(?:\s+step)?\s+(before|after)\s+(?:the\s+)?(.+?)(?:\s+step)?$/i,
    (plan, m) => {
      const moved = targets(plan, m[1]);
      const anchor = targets(plan, m[3]);
      // "move the meeting after lunch" names no step: it is work to do. One that says "step", or moves next to a step
      // there is, means a step: not found, it is said so rather than added as work
      if (typeof moved === "string") return resolveSteps(plan, m[1]).steps.length || typeof anchor !== "string" || /\bstep\b/i.test(m[0]) ? moved : null;
      if (typeof anchor === "string") return anchor;
      const [step, at] = [moved[0], anchor[0]];
      if (step.id === at.id) return `${step.id} cannot move ${m[2].toLowerCase()} itself.`;
      if (locate(step.kind === "agent" ? [] : [step], at.id)) return `${at.id} is inside ${step.id}: it cannot move ${m[2].toLowerCase()} it.`;
      if (!removeStep(plan, step.id)) return `I kept ${step.id} where it is: other steps need it.`;
      const before = m[2].toLowerCase() === "before";
      if (before) insertBefore(plan, at.id, step);
      else insertAfter(plan, at.id, step);
      return `Moved ${step.id} ${before ? "before" : "after"} ${at.id}.`;
    },
  ],
  [
    /^(?:(?:no|without|remove|drop|skip)\s+(?:the\s+)?approval|(?:don'?t|do not|no need to)\s+(?:require|need|ask for)\s+(?:an?\s+)?approval)\s+(?:for|on|from|of)\s+(?:the\s+)?(.+?)(?:\s+step)?$/i,
    (plan, m) => setApproval(plan, m[1], false),
  ],
  [
    /^(?:require|add|ask for|needs?)\s+(?:an?\s+)?approval\s+(?:for|on|of|before)\s+(?:the\s+)?(.+)$|^(?:let me|i want to|i'll)\s+approve\s+(?:the\s+)?(.+)$/i,
    (plan, m) => setApproval(plan, m[1] ?? m[2], true),
  ],
  // after the approval edits: "remove approval from the email" keeps the step
  [
    /^(?:remove|delete|drop)\s+(?:the\s+)?(.+?)(?:\s+steps?)?$/i,
    (plan, m) => {
      const hits = targets(plan, m[1], meansSeveral(m[0]));
      if (typeof hits === "string") return hits;
      const gone = hits.filter((s) => removeStep(plan, s.id));
      return gone.length ? `Removed ${names(gone)}.` : `I kept ${names(hits)}: other steps need it.`;
    },
  ],
  [
    /^add\s+(?:an?\s+)?(.+?)\s+step\s+(before|after)\s+(?:the\s+)?(.+)$/i,
    (plan, m, ctx) => {
      const found = targets(plan, m[3]);
      if (typeof found === "string") return found;
      const anchor = found[0];
      const text = `${sentenceCase(m[1])} ${m[2].toLowerCase() === "before" ? "the work before" : "the result of"}: ${anchor.name ?? anchor.id}`;
      const step = agentStep({ id: uniqueId(slug(`${m[1]} ${m[2]} ${m[3]}`, 4), ctx.taken), name: sentenceCase(`${m[1]} ${m[2]} ${m[3]}`), agent: matchAgent(m[1], ctx.agents), text });
      const ok = m[2].toLowerCase() === "before" ? insertBefore(plan, anchor.id, step) : insertAfter(plan, anchor.id, step);
      return ok ? `Added ${step.id} ${m[2].toLowerCase()} ${anchor.id}.` : missing(m[3]);
    },
  ],
  [
    /^(?:make|let|have|limit|set)?\s*(?:the\s+)?(.*?)\s*(?:run|runs|process|handle|do|to)?\s*(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:\w+\s+)?(?:at a time|at once|in parallel|concurrently)$/i,
    (plan, m) => setConcurrency(plan, m[1], m[2]),
  ],
  [
    /^(?:run|do|make)\s+(?:the\s+|all\s+(?:the\s+)?)?(.+?)\s+(?:steps?\s+)?(?:in parallel|at the same time|concurrently)$/i,
    (plan, m) => {
      const all = /^(?:everything|them|it all|all|steps)$/i.test(m[1]);
      const hits = all ? plan.steps : resolveSteps(plan, m[1], true).steps;
      if (!hits.length) return missing(m[1]);
      const first = locate(plan.steps, hits[0].id);
      const same = hits.filter((s) => first?.list.some((x) => x.id === s.id));
      if (same.length === 1) {
        const s = same[0];
        if (s.kind === "loop") return ((s.concurrency = Math.max(s.concurrency, 25)), `${s.id} now runs up to ${s.concurrency} items at once.`);
        const before = s.depends_on.filter((d) => first?.list.some((x) => x.id === d));
        if (!before.length) return `${s.id} already waits for nothing.`;
        parallelize(plan, [...before, s.id]);
        return `${s.id} now runs beside ${before.join(", ")}.`;
      }
      parallelize(plan, same.map((s) => s.id));
      return `${names(same)} now run in parallel.`;
    },
  ],
  [
    /^(?:use|have|let)\s+(?:the\s+)?([\w-]+)(?:\s+agent)?\s+(?:for|do|handle|write|run)\s+(?:the\s+)?(.+)$/i,
    (plan, m, ctx) => {
      const agent = ctx.agents.find((a) => a.name.toLowerCase() === m[1].toLowerCase());
      if (!agent) return `There is no agent named "${m[1]}".`;
      const found = targets(plan, m[2], meansSeveral(m[2]), isAgent);
      if (typeof found === "string") return found;
      const hits = found.filter((s) => s.kind === "agent");
      for (const s of hits) if (s.kind === "agent") s.agent = agent.name;
      return hits.length ? `${names(hits)} → ${agent.name}.` : missing(m[2]);
    },
  ],
];

const NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

/** "make the loop run 3 at a time": the loops the phrase names (a step inside one names it too), else every loop. */
function setConcurrency(plan: Plan, phrase: string, count: string): string {
  const n = NUMBERS.includes(count.toLowerCase()) ? NUMBERS.indexOf(count.toLowerCase()) + 1 : Math.min(Number(count), 1000);
  if (n < 1) return "A loop runs at least 1 item at a time.";
  const named = phrase.replace(/\b(?:loops?|the|it|them|each|every|all|items?)\b/gi, " ").trim();
  const isLoop = (s: Step | null | undefined): s is LoopStep => s?.kind === "loop";
  const all = everyStep(plan.steps).filter(isLoop);
  const hits = named ? [...new Set(findSteps(plan, named).map((s) => (isLoop(s) ? s : locate(plan.steps, s.id)?.parent)))].filter(isLoop) : all;
  if (!all.length) return `There is no loop to run ${n} at a time: a loop comes from "for each …".`;
  if (!hits.length) return `I found no loop matching "${named}".`;
  for (const s of hits) s.concurrency = n;
  return hits.map((s) => `${s.id} now runs up to ${n} item${n === 1 ? "" : "s"} at a time.`).join(" ");
}

function setApproval(plan: Plan, phrase: string, on: boolean): string {
  const found = targets(plan, phrase, meansSeveral(phrase), isAgent);
  if (typeof found === "string") return found;
  const hits = found.filter((s) => s.kind === "agent");
  for (const s of hits) if (s.kind === "agent") s.approval = on;
  return hits.length ? `${names(hits)}: ${on ? "waits for your approval" : "no approval needed"}.` : missing(phrase);
}

/** Applies a reply to the draft: known edits ("add a review step before sending", "run the research in parallel"…), else new steps at the end. */
export function refineDraft(draft: Plan, message: string, agents: OrgAgent[]): { plan: Plan; notes: string[] } {
  const restart = /^(?:start over|start again|instead|redo it)\b[:,.]?\s*(.*)$/is.exec(message.trim());
  if (restart) return { plan: draftFromRequest(restart[1] || draft.description, agents), notes: ["Started over with a new draft."] };
  const plan = structuredClone(draft);
  const ctx: Ctx = { agents, taken: stepIds(plan) };
  const notes: string[] = [];
  const appended: string[] = [];
  for (const part of segments(message)) {
    const edit = EDITS.find(([re]) => re.test(part));
    const note = edit ? edit[1](plan, edit[0].exec(part)!, ctx) : null;
    if (note !== null) {
      notes.push(note);
      continue;
    }
    appended.push(part.replace(/^(?:also|and|please)\s+|^add\s+(?:an?\s+)?step\s+(?:to|that)\s+/i, ""));
  }
  if (appended.length) {
    const d = new SimDrafter(agents, plan.steps, ctx.taken, sinks(plan.steps));
    const before = plan.steps.length;
    for (const part of appended) d.add(part);
    const added = plan.steps.slice(before).map((s) => s.id);
    if (added.length) notes.push(`Added ${added.join(", ")} at the end.`);
  }
  return { plan: relink(plan), notes };
}
