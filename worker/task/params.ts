import { listOf, type Param, type Plan } from "./plan-schema";
import { templateRefs } from "./template";
import { allSteps } from "./validate";

/**
 * Turns a run's `inputs` into the string values templates see.
 *
 * - strings pass as they are; numbers, booleans and bigints are stringified;
 *   objects and arrays become JSON;
 * - `null` and `undefined` count as not given, so the default applies;
 * - a required param needs a value (a blank string is not one, and its default applies) unless it has a default;
 * - a param with an `enum` takes only one of its values (an optional one may be left empty);
 * - an optional param with neither value nor default is the empty string, so every
 *   declared param is defined for templates;
 * - inputs the plan does not declare are refused, since a typo would otherwise
 *   silently fall back to the default.
 */

export const MAX_PARAM_VALUE_CHARS = 100_000;

export interface ParamIssue {
  param: string;
  message: string;
}

export type ResolvedInputs = { ok: true; values: Record<string, string> } | { ok: false; issues: ParamIssue[] };

/** What an unknown param's message adds: the names the plan does declare. */
export const declaredNames = (params: Param[]) => (params.length ? `; the plan declares ${params.map((p) => p.name).join(", ")}` : "; the plan declares none");

/** `partial`: some inputs come later (a webhook trigger's saved inputs, which each delivery's body completes), so a required param may be missing. */
export function resolveInputs(params: Param[], inputs: Record<string, unknown>, o: { partial?: boolean } = {}): ResolvedInputs {
  const issues: ParamIssue[] = [];
  const declared = new Set(params.map((p) => p.name));
  const values: Record<string, string> = {};

  for (const name of Object.keys(inputs)) {
    if (!declared.has(name)) issues.push({ param: name, message: `unknown param${declaredNames(params)}` });
  }

  for (const p of params) {
    const raw = Object.hasOwn(inputs, p.name) ? inputs[p.name] : undefined;
    const given = stringify(raw);
    if (given.ok === false) {
      issues.push({ param: p.name, message: given.message });
      continue;
    }
    // a blank value is none for a required param: "   " would otherwise pass for the value it insists on
    const blank = given.value !== undefined && p.required && given.value.trim() === "";
    const value = (blank ? undefined : given.value) ?? p.default;
    if (p.required && (value === undefined || value.trim() === "") && !o.partial) {
      issues.push({ param: p.name, message: "is required" });
      continue;
    }
    if (value !== undefined && value.length > MAX_PARAM_VALUE_CHARS) {
      issues.push({ param: p.name, message: `is longer than ${MAX_PARAM_VALUE_CHARS} characters` });
      continue;
    }
    if (p.enum && value !== undefined && value !== "" && !p.enum.includes(value)) {
      issues.push({ param: p.name, message: `must be one of ${listOf(p.enum)}; got ${JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)}` });
      continue;
    }
    // defineProperty keeps a param named like an Object.prototype member an own, plain value
    Object.defineProperty(values, p.name, { value: value ?? "", enumerable: true, writable: true, configurable: true });
  }

  return issues.length ? { ok: false, issues } : { ok: true, values };
}

function stringify(v: unknown): { ok: true; value: string | undefined } | { ok: false; message: string } {
  switch (typeof v) {
    case "undefined":
      return { ok: true, value: undefined };
    case "string":
      return { ok: true, value: v };
    case "number":
      return Number.isFinite(v) ? { ok: true, value: String(v) } : { ok: false, message: "must be a finite number" };
    case "boolean":
    case "bigint":
      return { ok: true, value: String(v) };
    case "object":
      if (v === null) return { ok: true, value: undefined };
      try {
        return { ok: true, value: JSON.stringify(v) };
      } catch {
        return { ok: false, message: "is not JSON-serializable" };
      }
    default:
      return { ok: false, message: `a ${typeof v} is not a valid value` };
  }
}

/**
 * The params a rerun's new inputs change that a reused step (or one nested in it) used: its output was
 * made from the old value, so reusing it would mix two sets of inputs in one task.
 */
export function staleReuse(plan: Plan, reused: string[], before: Record<string, string>, after: Record<string, string>): { step: string; param: string }[] {
  const changed = new Set(Object.keys(after).filter((name) => before[name] !== after[name]));
  if (!changed.size) return [];
  const out: { step: string; param: string }[] = [];
  for (const { step, ancestors } of allSteps(plan)) {
    const top = ancestors[0] ?? step.id;
    if (step.kind !== "agent" || !reused.includes(top)) continue;
    for (const ref of templateRefs(step.instructions)) {
      if (ref.kind === "param" && changed.has(ref.name) && !out.some((o) => o.step === top && o.param === ref.name)) out.push({ step: top, param: ref.name });
    }
  }
  return out;
}
