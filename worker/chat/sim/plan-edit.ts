import type { AgentStep, Plan, Step } from "../../task/plan-schema";
import { words } from "./text";

/** Edits on a draft plan, in place. Each agent step's "Inputs:" block is derived from its dependencies by `relink`. */

const INPUTS = "\n\nInputs:\n";

export function agentStep(o: { id: string; name: string; agent: string; text: string; tools?: string[]; approval?: boolean; deps?: string[] }): AgentStep {
  return { id: o.id, name: o.name, kind: "agent", agent: o.agent, instructions: o.text, depends_on: o.deps ?? [], tools: o.tools ?? [], approval: o.approval ?? false };
}

const children = (s: Step): Step[][] =>
  s.kind === "loop" ? [s.body] : s.kind === "branch" ? [...Object.values(s.cases), s.default ?? []] : [];

export function locate(steps: Step[], id: string): { list: Step[]; index: number; parent: Step | null } | null {
  const visit = (list: Step[], parent: Step | null): ReturnType<typeof locate> => {
    for (let i = 0; i < list.length; i++) {
      if (list[i].id === id) return { list, index: i, parent };
      for (const inner of children(list[i])) {
        const hit = visit(inner, list[i]);
        if (hit) return hit;
      }
    }
    return null;
  };
  return visit(steps, null);
}

export function everyStep(steps: Step[]): Step[] {
  return steps.flatMap((s) => [s, ...children(s).flatMap(everyStep)]);
}

export const stepIds = (plan: Plan) => new Set(everyStep(plan.steps).map((s) => s.id));

const stem = (w: string) => w.replace(/(?:ing|ers|er|ed|es|s)$/, "").slice(0, 5);

/** Steps a phrase names loosely: every one whose id or name has all its word stems, else whose agent does ("the research" finds `research_market`). */
export function findSteps(plan: Plan, phrase: string): Step[] {
  const want = words(phrase).filter((w) => w.length > 2 && !["the", "step", "steps", "and", "all", "both", "every"].includes(w)).map(stem);
  if (!want.length) return [];
  const match = (have: string[]) => {
    const set = new Set(have.map(stem));
    return want.every((w) => set.has(w));
  };
  const all = everyStep(plan.steps);
  const byName = all.filter((s) => match([...words(s.id.replace(/_/g, " ")), ...words(s.name ?? "")]));
  return byName.length ? byName : all.filter((s) => s.kind === "agent" && match(words(s.agent)));
}

/** Steps a phrase names exactly: by id (`research_market`, or "research market"), else by name, case aside. */
export function exactSteps(plan: Plan, phrase: string): Step[] {
  const p = phrase.toLowerCase().replace(/["“”'`]/g, "").replace(/^(?:the|a|an)\s+/, "").replace(/\s+steps?$/, "").trim();
  const all = everyStep(plan.steps);
  const byId = all.filter((s) => s.id.toLowerCase() === p || s.id.toLowerCase() === p.replace(/[\s-]+/g, "_"));
  return byId.length ? byId : all.filter((s) => (s.name ?? "").toLowerCase().trim() === p);
}

/** Wording that means every step it matches ("the research steps", "all the emails", "both"). */
export const meansSeveral = (text: string) => /\b(?:steps|all|both|every)\b/i.test(text);

/**
 * The steps a phrase names, of those the edit `fits`: an exact id or name first, else its loose matches. Several
 * matches are the answer only when `several` says the person meant several; otherwise they are `ambiguous`, to be asked about.
 */
export function resolveSteps(plan: Plan, phrase: string, several = false, fits: (s: Step) => boolean = () => true): { steps: Step[]; ambiguous: boolean } {
  const exact = exactSteps(plan, phrase).filter(fits);
  const steps = exact.length ? exact : findSteps(plan, phrase).filter(fits);
  return { steps, ambiguous: steps.length > 1 && !several };
}

/** The question for a phrase that names more than one step: which, listing them. */
export function whichStep(phrase: string, steps: Step[]): string {
  const listed = steps.map((s) => `${s.id} (${s.name ?? s.kind})`);
  const choices = listed.length > 1 ? `${listed.slice(0, -1).join(", ")} or ${listed.at(-1)}` : listed[0];
  return `Which step do you mean by "${phrase}": ${choices}? Nothing was changed for it: say it again with the step's id or full name (or "the … steps" for all of them).`;
}

/** Steps of a list nothing else in it waits for: where new work is appended. */
export function sinks(list: Step[]): string[] {
  const used = new Set<string>();
  for (const s of list) {
    for (const d of s.depends_on) used.add(d);
    if (s.kind === "loop") used.add(s.over);
    if (s.kind === "branch") used.add(s.on);
  }
  return list.filter((s) => !used.has(s.id)).map((s) => s.id);
}

export function insertBefore(plan: Plan, targetId: string, step: Step): boolean {
  const at = locate(plan.steps, targetId);
  if (!at) return false;
  const target = at.list[at.index];
  step.depends_on = [...target.depends_on];
  target.depends_on = [step.id];
  at.list.splice(at.index, 0, step);
  return true;
}

export function insertAfter(plan: Plan, anchorId: string, step: Step): boolean {
  const at = locate(plan.steps, anchorId);
  if (!at) return false;
  for (const s of at.list) if (s.depends_on.includes(anchorId)) s.depends_on = s.depends_on.map((d) => (d === anchorId ? step.id : d));
  step.depends_on = [anchorId];
  at.list.splice(at.index + 1, 0, step);
  return true;
}

/** Removes a step; whatever waited for it waits for its inputs instead. A loop's list or a branch's input cannot go. */
export function removeStep(plan: Plan, id: string): boolean {
  const at = locate(plan.steps, id);
  if (!at || (at.list.length === 1 && at.parent) || (at.list === plan.steps && plan.steps.length === 1)) return false;
  const gone = at.list[at.index];
  for (const s of at.list) {
    if ((s.kind === "loop" && s.over === id) || (s.kind === "branch" && s.on === id)) return false;
  }
  at.list.splice(at.index, 1);
  // a loop's list and a branch's input are what it read too
  const inputs = [...gone.depends_on, ...(gone.kind === "loop" ? [gone.over] : gone.kind === "branch" ? [gone.on] : [])];
  for (const s of at.list) {
    if (s.depends_on.includes(id)) s.depends_on = [...new Set(s.depends_on.flatMap((d) => (d === id ? inputs : [d])))];
  }
  if (plan.output === id) delete plan.output;
  return true;
}

/** Ids in `list` downstream of any of `from` (through dependencies, a loop's list or a branch's input). */
function downstream(list: Step[], from: Set<string>): Set<string> {
  const out = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of list) {
      if (out.has(s.id)) continue;
      const ins = [...s.depends_on, ...(s.kind === "loop" ? [s.over] : s.kind === "branch" ? [s.on] : [])];
      if (ins.some((d) => from.has(d) || out.has(d))) (out.add(s.id), (grew = true));
    }
  }
  return out;
}

/**
 * The steps run side by side: each waits only for what the group waited for (never for something
 * downstream of a member, which would close a cycle); what waited for any of them waits for all.
 */
export function parallelize(plan: Plan, ids: string[]): boolean {
  const at = locate(plan.steps, ids[0]);
  if (!at) return false;
  const group = new Set(ids.filter((id) => at.list.some((s) => s.id === id)));
  const members = at.list.filter((s) => group.has(s.id));
  const below = downstream(at.list, group);
  const outside = [...new Set(members.flatMap((s) => s.depends_on).filter((d) => !group.has(d) && !below.has(d)))];
  for (const s of members) s.depends_on = [...outside];
  for (const s of at.list) {
    if (!group.has(s.id) && s.depends_on.some((d) => group.has(d))) s.depends_on = [...new Set([...s.depends_on.filter((d) => !group.has(d)), ...group])];
  }
  return true;
}

/** Rewrites every agent step's "Inputs:" block from its dependencies (or, first in a body, its container's). */
export function relink(plan: Plan): Plan {
  const visit = (list: Step[], inherited: string[]) => {
    for (const s of list) {
      if (s.kind === "agent") {
        const base = s.instructions.split(INPUTS)[0];
        const refs = s.depends_on.length ? s.depends_on : inherited;
        s.instructions = refs.length ? `${base}${INPUTS}${refs.map((r) => `- {{steps.${r}.output}}`).join("\n")}` : base;
      }
      const deps = s.kind === "branch" ? [...s.depends_on, s.on] : s.depends_on;
      for (const inner of children(s)) visit(inner, deps);
    }
  };
  visit(plan.steps, []);
  return plan;
}
