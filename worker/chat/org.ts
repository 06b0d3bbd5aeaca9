import { unprocessable } from "../lib/errors";
import type { OrgAgent, PlannerInfo } from "./types";

export async function loadOrgAgents(d1: D1Database, orgId: string): Promise<OrgAgent[]> {
  const { results } = await d1
    .prepare("SELECT name, model, system_prompt, tools FROM agents WHERE org_id = ? ORDER BY created_at, name")
    .bind(orgId)
    .all<{ name: string; model: string; system_prompt: string; tools: string }>();
  return results.map((r) => ({ ...r, tools: JSON.parse(r.tools) as string[] }));
}

/**
 * The planner of a new conversation: the agent asked for, else the organization's `planner_agent`
 * setting, else an agent named `planner`; with none of them, the built-in offline planner.
 */
export async function resolvePlanner(d1: D1Database, orgId: string, requested: string | undefined): Promise<{ planner: PlannerInfo; prompt: string }> {
  const agents = await loadOrgAgents(d1, orgId);
  const org = await d1.prepare("SELECT settings FROM orgs WHERE id = ?").bind(orgId).first<{ settings: string }>();
  const settings = org ? (JSON.parse(org.settings || "{}") as Record<string, unknown>) : {};
  const name = requested ?? (typeof settings.planner_agent === "string" ? settings.planner_agent : "planner");
  const agent = agents.find((a) => a.name === name);
  if (!agent && requested) throw unprocessable(`unknown agent "${requested}"`, { agent: requested });
  return agent ? { planner: { agent: agent.name, model: agent.model }, prompt: agent.system_prompt } : { planner: { agent: null, model: "sim" }, prompt: "" };
}
