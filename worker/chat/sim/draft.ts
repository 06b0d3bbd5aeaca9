import type { Plan, Step } from "../../task/plan-schema";
import type { OrgAgent } from "../types";
import { agentFor, needsApproval, pickTools } from "./agents";
import { agentStep, relink } from "./plan-edit";
import { ACTION, clauses, listItems, segments, sentenceCase, slug, uniqueId, unscheduled } from "./text";

const PARALLEL = /\s*,?\s*\b(?:in parallel|at the same time|simultaneously|concurrently)\b\s*,?/i;
const LOOP_LEAD = /^(?:for (?:each|every)|per)\s+(.+?)\s*[,:]\s*(.+)$/i;
/** "for each lead write an intro": with no comma, the action starts at its verb */
const LOOP_VERB = new RegExp(`^(?:for (?:each|every)|per)\\s+(.+?)\\s+(${ACTION}.*)$`, "i");
/** "run it" once "every Monday" is gone: the schedule was the whole request, and it is a cron trigger's */
const RUN_IT = /^(?:please\s+)?(?:run|do|repeat|execute|schedule)(?:\s+(?:it|this|that|them|the plan|this plan|everything|all of it))?$/i;
/** "get my approval", "let me review it": the step before waits for review, no step of its own */
const APPROVAL_ONLY = /^(?:(?:get|ask for|wait for|request|with|needs?|requires?)\s+(?:my|an?|the|your)?\s*(?:approval|sign[- ]off|go-ahead|ok)|let me (?:review|approve|check|see)(?:\s+(?:it|that|this|them))?)(?:\s+(?:first|before(?:\s+\w+)?))?$/i;
const LOOP_TAIL = /^(.+?)\s+for (?:each|every)\s+(.+)$/i;
const BRANCH = /^if\s+(.+?)\s*,\s*(?:then\s+)?(.+?)(?:\s*[,;]?\s*(?:otherwise|else)\s*,?\s*(.+))?$/i;

/** Builds steps one segment at a time, chaining each to what came before unless asked to run in parallel. */
export class SimDrafter {
  readonly taken: Set<string>;
  /** what the next sequential step waits for */
  private frontier: string[];
  /** the dependencies of the current parallel group */
  private groupDeps: string[] = [];

  constructor(
    private readonly agents: OrgAgent[],
    readonly steps: Step[],
    taken: Set<string>,
    frontier: string[],
  ) {
    this.taken = taken;
    this.frontier = frontier;
  }

  add(text: string): void {
    for (const clause of clauses(unscheduled(text))) if (!RUN_IT.test(clause)) this.addClause(clause);
  }

  private addClause(text: string): void {
    if (APPROVAL_ONLY.test(text) && this.frontier.length) {
      for (const s of this.steps) if (s.kind === "agent" && this.frontier.includes(s.id)) s.approval = true;
      return;
    }
    const parallel = PARALLEL.test(text);
    const clean = text.replace(PARALLEL, " ").replace(/\s+/g, " ").trim().replace(/^,\s*/, "");
    const fan = parallel ? fanOut(clean) : null;
    // "Research A, B and C in parallel": the items run side by side; a lone "… in parallel" runs beside the step before it
    if (parallel && !fan) {
      this.frontier = [...this.frontier, ...this.build(clean, this.groupDeps, null)];
      return;
    }
    const made = this.build(clean, this.frontier, fan);
    this.groupDeps = this.frontier;
    this.frontier = made;
  }

  private agentStep(text: string, deps: string[], idText = text) {
    const agent = agentFor(text, this.agents);
    return agentStep({
      id: uniqueId(slug(idText), this.taken), name: sentenceCase(text), agent: agent.name, text: sentenceCase(text, 2000),
      tools: pickTools(text, agent.info), approval: needsApproval(text), deps,
    });
  }

  /** The steps this segment adds at top level (ids the next step waits for). */
  private build(text: string, deps: string[], fan: string[] | null): string[] {
    const loop = LOOP_LEAD.exec(text) ?? LOOP_VERB.exec(text) ?? swap(LOOP_TAIL.exec(text));
    if (loop) return [this.loop(loop[1], loop[2], deps)];
    const branch = BRANCH.exec(text);
    if (branch) return this.branch(branch[1], branch[2], branch[3], deps);
    const made = (fan ?? [text]).map((t) => this.agentStep(t, [...deps]));
    this.steps.push(...made);
    return made.map((s) => s.id);
  }

  private loop(what: string, action: string, deps: string[]): string {
    const items = what.replace(/^of\s+(?:these|those|the|our|my|all)\s+/i, "");
    let over: string;
    let rest = deps;
    if (deps.length === 1) [over, rest] = [deps[0], []];
    else {
      const list = this.agentStep(`List the ${items} to work on, one per line`, [...deps], `list ${items}`);
      this.steps.push(list);
      [over, rest] = [list.id, []];
    }
    const body = this.agentStep(`${action} for this ${singular(items)}: {{item}}`, [], action);
    const id = uniqueId(`each_${slug(items, 2).replace(/^step_/, "")}`, this.taken);
    this.steps.push({ id, name: sentenceCase(`For each ${items}: ${action}`), kind: "loop", over, concurrency: 10, depends_on: rest, body: [body] });
    return id;
  }

  private branch(condition: string, then: string, otherwise: string | undefined, deps: string[]): string[] {
    const check = this.agentStep(`Decide whether ${condition}. Answer only yes or no`, [...deps], `check ${condition}`);
    check.tools = [];
    this.steps.push(check);
    const yes = this.agentStep(then, [], then);
    const no = otherwise ? [this.agentStep(otherwise, [], otherwise)] : [];
    const id = uniqueId(slug(`if ${condition}`, 3), this.taken);
    this.steps.push({ id, name: sentenceCase(`If ${condition}`), kind: "branch", on: check.id, depends_on: [], cases: { yes: [yes] }, default: no });
    return [id];
  }
}

const swap = (m: RegExpExecArray | null): [string, string, string] | null => (m ? [m[0], m[2], m[1]] : null);

const singular = (s: string) => s.replace(/^(?:(?:the|our|my|all|\d+)\s+)+/i, "").replace(/ies$/i, "y").replace(/(?<!s)s$/i, "");

/**
 * "Research the market, competitors and pricing" → one step per item, each with the verb; "Translate the notes
 * into French, German and Spanish" → each later item takes the words the first has before its own.
 */
function fanOut(text: string): string[] | null {
  const m = /^(\S+)\s+(.+)$/.exec(text);
  if (!m) return null;
  const items = listItems(m[2]);
  if (items.length < 2) return null;
  const first = items[0].split(/\s+/);
  const own = Math.max(...items.slice(1).map((i) => i.split(/\s+/).length));
  const lead = first.length > own ? `${first.slice(0, first.length - own).join(" ")} ` : "";
  return items.map((i, k) => `${m[1]} ${k === 0 ? i : lead + i}`);
}

/** A first draft from a plain-language request: one step per sentence or line. */
export function draftFromRequest(request: string, agents: OrgAgent[]): Plan {
  const parts = segments(request);
  const d = new SimDrafter(agents, [], new Set(), []);
  for (const part of parts.length ? parts : [request.trim() || "Do the work"]) d.add(part);
  return relink({ name: sentenceCase(parts[0] ?? "New plan", 60), description: request.trim().slice(0, 2000), params: [], steps: d.steps });
}
