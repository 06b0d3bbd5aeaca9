import type { z } from "zod";
import { jsonPath, segment } from "./json-path";

export interface IssueDetail {
  path: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

/**
 * zod's issues as an error's details, each at the path of what is wrong: an unknown key at its own path (zod
 * puts it at its object's, one issue for all of them), and a body that matches no shape of a union
 * (`{agent, title, …}` or `{plan_id, inputs, …}`) told what is wrong with the shape it came closest to.
 */
export function issueDetails(issues: readonly Issue[]): IssueDetail[] {
  const flat = issues.flatMap((i) => spread(i, []));
  // `.int()` adds a safe-integer bound of its own: a number past it is also past the field's, which is the one to name
  const safeBound = (i: Issue) => i.code === "too_big" && i.maximum === Number.MAX_SAFE_INTEGER;
  // zod goes on checking a value of the wrong type against the field's bounds (a string against a list's length): the type is what is wrong
  const mistyped = new Set(flat.filter(([i]) => i.code === "invalid_type").map(([, path]) => path));
  const bound = (i: Issue) => i.code === "too_big" || i.code === "too_small";
  const kept = flat.filter(([i, path]) => !(safeBound(i) && flat.some(([o, at]) => o !== i && at === path)) && !(bound(i) && mistyped.has(path)));
  return kept.flatMap(([i, path]) =>
    i.code === "unrecognized_keys" ? i.keys.map((key) => ({ path: path + segment(key, path === ""), message: "unknown key" })) : [{ path, message: i.message }],
  );
}

function spread(issue: Issue, at: PropertyKey[]): [Issue, string][] {
  const path = [...at, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length) {
    const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
    return closest.flatMap((i) => spread(i, path));
  }
  return [[issue, jsonPath(path)]];
}
