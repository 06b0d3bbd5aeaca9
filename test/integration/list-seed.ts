import { env } from "cloudflare:test";

export interface Seed {
  title: string;
  status?: string;
  cost_nanos?: number;
  created_at: number;
  started_at?: number | null;
  finished_at?: number | null;
}

/** Index rows straight in D1, so costs, durations and dates are exactly what the test says. */
export async function seed(orgId: string, rows: Seed[]): Promise<string[]> {
  const ids = rows.map(() => `tsk_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`);
  const stmts = rows.map((r, i) =>
    env.DB.prepare(
      `INSERT INTO tasks (id, org_id, title, description, status, source, agent, agents, created_by, session_id, cost_nanos, created_at, started_at, finished_at)
       VALUES (?, ?, ?, '', ?, 'api', 'researcher', '["researcher"]', ?, ?, ?, ?, ?, ?)`,
    ).bind(
      ids[i], orgId, r.title, r.status ?? (r.finished_at ? "completed" : "in_progress"), JSON.stringify({ type: "token", id: "tok_seed", name: "seed" }),
      `ses_${ids[i]}`, r.cost_nanos ?? 0, r.created_at, r.started_at ?? null, r.finished_at ?? null,
    ),
  );
  for (let i = 0; i < stmts.length; i += 100) await env.DB.batch(stmts.slice(i, i + 100));
  return ids;
}
