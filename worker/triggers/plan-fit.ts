import { declaredNames, type ParamIssue, resolveInputs } from "../task/params";
import type { Param } from "../task/plan-schema";
import type { TriggerRow } from "./fire";

export interface TriggerGaps {
  trigger_id: string;
  kind: TriggerRow["kind"];
  issues: ParamIssue[];
}

/**
 * Why every fire of the trigger would be refused by a plan with these params, known before any fire: a cron
 * trigger's saved inputs must satisfy them; a webhook's deliveries add params, but with an input_map only the
 * mapped ones, so a required param that is neither saved, mapped nor defaulted is missing from every delivery.
 */
export function triggerGaps(params: Param[], t: Pick<TriggerRow, "kind" | "inputs" | "input_map">): ParamIssue[] {
  const inputs = JSON.parse(t.inputs) as Record<string, unknown>;
  const resolved = resolveInputs(params, inputs, { partial: t.kind === "webhook" });
  const issues = resolved.ok ? [] : [...resolved.issues];
  if (t.kind !== "webhook" || t.input_map === null) return issues;
  const map = JSON.parse(t.input_map) as Record<string, string>;
  for (const name of unknownParams(params, map)) issues.push({ param: name, message: `unknown param${declaredNames(params)}` });
  for (const p of params) {
    const saved = Object.hasOwn(inputs, p.name) && inputs[p.name] != null && inputs[p.name] !== "";
    if (p.required && !saved && !p.default && !Object.hasOwn(map, p.name)) issues.push({ param: p.name, message: "is required: neither the trigger's inputs nor its input_map give it" });
  }
  return issues;
}

/** The names an input_map maps that the plan does not declare. */
export const unknownParams = (params: Param[], inputMap: Record<string, string>) => Object.keys(inputMap).filter((name) => !params.some((p) => p.name === name));

/** The triggers among `triggers` that the params would break, with what each lacks. */
export function brokenTriggers(params: Param[], triggers: TriggerRow[]): TriggerGaps[] {
  return triggers.map((t) => ({ trigger_id: t.id, kind: t.kind, issues: triggerGaps(params, t) })).filter((g) => g.issues.length);
}

export const describeGaps = (issues: ParamIssue[]) => issues.map((i) => `${i.param}: ${i.message}`).join("; ");
