import { conflict } from "../lib/errors";

/**
 * The organization's (?1) triggers whose plan, as it is now, names the agent ?2 at any depth. An agent they
 * use is kept (deleting or renaming it is 409), as their plan is: a trigger fires with no one watching.
 */
export const TRIGGERS_USING_AGENT = `SELECT t.id, t.kind, t.plan_id FROM triggers t
  JOIN plans p ON p.id = t.plan_id JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
  WHERE t.org_id = ?1 AND EXISTS (SELECT 1 FROM json_tree(v.definition) j WHERE j.key = 'agent' AND j.type = 'text' AND j.value = ?2)
  ORDER BY t.created_at`;

/** The agents the plan ?1 of the organization ?2 names, as it is now, that the organization has not: a trigger on it is 422. */
export const PLAN_AGENTS_MISSING = `SELECT DISTINCT j.value AS name FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version,
  json_tree(v.definition) j
  WHERE p.id = ?1 AND p.org_id = ?2 AND j.key = 'agent' AND j.type = 'text' AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.org_id = ?2 AND a.name = j.value)`;

export interface TriggerUse {
  id: string;
  kind: string;
  plan_id: string;
}

export function usedByTriggers(doing: "delete" | "rename", agent: string, uses: TriggerUse[]) {
  const ids = uses.map((t) => t.id);
  const plans = [...new Set(uses.map((t) => t.plan_id))];
  const [plan, trigger] = [plans.length === 1 ? "plan" : "plans", ids.length === 1 ? "trigger" : "triggers"];
  return conflict(
    `cannot ${doing} agent ${agent}: the ${plan} ${plans.join(", ")} of ${trigger} ${ids.join(", ")} name it; have the ${plan} use another agent, or delete the ${trigger} first`,
    uses.map((t) => ({ trigger_id: t.id, kind: t.kind, plan_id: t.plan_id })),
  );
}
