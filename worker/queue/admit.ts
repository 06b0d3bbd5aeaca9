export interface Caps {
  org: number;
  /** per agent id; an agent missing here has no cap of its own */
  agents: Record<string, number>;
}

export interface Entry {
  task_id: string;
  /** the ids of the agents the task uses */
  agents: string[];
}

export function agentCounts(running: Iterable<Entry>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of running) for (const a of r.agents) counts.set(a, (counts.get(a) ?? 0) + 1);
  return counts;
}

export function fullAgents(caps: Caps, counts: Map<string, number>): string[] {
  return Object.entries(caps.agents)
    .filter(([name, cap]) => (counts.get(name) ?? 0) >= cap)
    .map(([name]) => name);
}

/**
 * Which of `waiting` (in arrival order) start now: each one that fits the
 * organization's cap and the cap of every agent it uses. A task whose agent is
 * full is skipped, not waited on, so one busy agent does not hold back the
 * others; tasks of the same agent still start in arrival order, since its
 * count only grows while this runs.
 */
export function admissible(caps: Caps, running: Entry[], waiting: Entry[]): string[] {
  const counts = agentCounts(running);
  let total = running.length;
  const out: string[] = [];
  for (const w of waiting) {
    if (total >= caps.org) break;
    if (w.agents.some((a) => caps.agents[a] !== undefined && (counts.get(a) ?? 0) >= caps.agents[a])) continue;
    out.push(w.task_id);
    total++;
    for (const a of w.agents) counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  return out;
}

export type Holding = { reason: "agent_cap"; agent: string; cap: number } | { reason: "org_cap"; cap: number };

/**
 * Which cap holds a waiting task back: one of its agents (by id) at its own cap (that line is the one it waits in),
 * else the organization's. With neither full it is about to start, or its caps changed a moment ago: the
 * organization's line is still the one it stands in.
 */
export function holdingCap(caps: Caps, counts: Map<string, number>, agents: string[]): Holding {
  const agent = agents.find((a) => caps.agents[a] !== undefined && (counts.get(a) ?? 0) >= caps.agents[a]);
  return agent === undefined ? { reason: "org_cap", cap: caps.org } : { reason: "agent_cap", agent, cap: caps.agents[agent] };
}
