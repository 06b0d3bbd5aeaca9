import type { Bindings } from "../env";
import { searchIndexKeeper } from "../db/search-index-keeper";
import { sha256Hex } from "./crypto";
import { log } from "./log";

export const DEFAULT_ORG_ID = "org_default";
export const BOOTSTRAP_TOKEN_ID = "tok_bootstrap";

const DEFAULT_AGENTS = [
  {
    name: "researcher",
    system_prompt: "You are a careful researcher. Find facts, cite sources, and say what you could not verify.",
    tools: ["web_search", "http_fetch", "ask_human"],
  },
  {
    name: "writer",
    system_prompt: "You write clear, concise prose for busy readers.",
    tools: ["ask_human"],
  },
  {
    name: "reviewer",
    system_prompt: "You review work for correctness and clarity and list concrete fixes.",
    tools: ["ask_human"],
  },
  {
    name: "planner",
    system_prompt: "You break work into steps and delegate them to other agents.",
    tools: ["spawn_task", "ask_human"],
  },
];

/**
 * Makes a fresh install usable: the default organization, its admin token from
 * FLIGHTDECK_ADMIN_TOKEN, and ready `sim` agents. Idempotent; agents are seeded
 * only when the organization is first created, so deleting one sticks.
 */
export async function bootstrap(env: Bindings): Promise<void> {
  const now = Date.now();
  const created = await env.DB.prepare("INSERT OR IGNORE INTO orgs (id, name, settings, created_at) VALUES (?, ?, '{}', ?)")
    .bind(DEFAULT_ORG_ID, "Default", now)
    .run();
  const stmts: D1PreparedStatement[] = [];
  if (env.FLIGHTDECK_ADMIN_TOKEN) {
    const hash = await sha256Hex(env.FLIGHTDECK_ADMIN_TOKEN);
    stmts.push(
      env.DB.prepare(
        `INSERT INTO api_tokens (id, org_id, name, role, token_hash, instance_admin, created_at)
         VALUES (?, ?, 'bootstrap admin', 'admin', ?, 1, ?)
         ON CONFLICT(id) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = NULL`,
      ).bind(BOOTSTRAP_TOKEN_ID, DEFAULT_ORG_ID, hash, now),
    );
  }
  if (created.meta.changes === 1) stmts.push(...seedOrgStatements(env.DB, DEFAULT_ORG_ID, now));
  if (stmts.length) await env.DB.batch(stmts);
}

export function seedOrgStatements(d1: D1Database, orgId: string, now: number): D1PreparedStatement[] {
  return DEFAULT_AGENTS.map((a) =>
    d1
      .prepare(
        `INSERT OR IGNORE INTO agents (id, org_id, name, model, system_prompt, tools, max_turns, created_at, updated_at)
         VALUES (?, ?, ?, 'sim', ?, ?, 20, ?, ?)`,
      )
      .bind(`agt_${orgId}_${a.name}`, orgId, a.name, a.system_prompt, JSON.stringify(a.tools), now, now),
  );
}

let ready: Promise<void> | undefined;

/** The keeper of the search index runs wherever the app serves; a failure to reach it is logged, and the next isolate tries again. */
async function armSearchIndexKeeper(env: Bindings): Promise<void> {
  await searchIndexKeeper(env)
    .arm()
    .catch((e: unknown) => log("warn", "search index keeper not armed", { error: String(e) }));
}

/** Once per isolate; a failure is retried on the next request. */
export function ensureBootstrapped(env: Bindings): Promise<void> {
  ready ??= bootstrap(env).then(() => armSearchIndexKeeper(env)).catch((e) => {
    ready = undefined;
    throw e;
  });
  return ready;
}
