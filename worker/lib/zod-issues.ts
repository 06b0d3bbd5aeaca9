import type { z } from "zod";

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
  return issues.flatMap((i) => spread(i, []));
}

function spread(issue: Issue, at: PropertyKey[]): IssueDetail[] {
  const path = [...at, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length) {
    const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
    return closest.flatMap((i) => spread(i, path));
  }
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...path, key].join("."), message: "unknown key" }));
  return [{ path: path.join("."), message: issue.message }];
}
