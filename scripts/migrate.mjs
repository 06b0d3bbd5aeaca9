// The D1 migrations `npm start` applies before the Worker starts, in this process, on a Miniflare that serves only
// the database: `wrangler d1 migrations apply --local` took 11 s for 30 migrations on a fresh data dir (a runtime
// per migration), and every browser test starts on one. The bookkeeping is wrangler's own (its table, its way of
// splitting a file into statements), so either may apply the next ones.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const TABLE = "d1_migrations";
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`;

/**
 * Migrations that were renumbered after commits that ran them had shipped (two branches took one number), each the same
 * file under its former name (`git log -m --diff-filter=R -- migrations`: `-m`, as some were renamed in merges). A database that recorded a former name ran the
 * file already: it is recorded under its current name too, before anything is applied, or it would run again (a column
 * or table added twice) and the instance would not start. Former name → current name.
 */
export const RENAMED_MIGRATIONS = {
  "0011_spawn_call.sql": "0012_spawn_call.sql",
  "0012_tasks_cache_write.sql": "0013_tasks_cache_write.sql",
  "0014_api_idempotency_content_type.sql": "0015_idempotency_content_type.sql",
  "0014_eng_spend_cache_write.sql": "0014_spend_cache_write.sql",
  "0016_trig2_tasks_trigger.sql": "0016_tasks_trigger.sql",
  "0017_access_token_expiry.sql": "0018_access_token_expiry.sql",
  "0018_access_audit_org_seq.sql": "0019_access_audit_org_seq.sql",
  "0017_cron2_cron_fires.sql": "0020_cron2_cron_fires.sql",
  "0021_authhard_session_expiry.sql": "0023_authhard_session_expiry.sql",
  "0024_search3_reindex_old_text.sql": "0025_search3_reindex_old_text.sql",
  "0027_secrets_previous_secret.sql": "0028_secrets_previous_secret.sql",
  "0028_secrets_agent_tool_calls.sql": "0029_secrets_agent_tool_calls.sql",
  "0027_chat_spend_source.sql": "0030_chat_spend_source.sql",
  "0028_chat_spend_source.sql": "0030_chat_spend_source.sql",
  "0031_cost_spend_plan.sql": "0032_cost_spend_plan.sql",
  "0034_mcp_servers.sql": "0035_mcp_servers.sql",
  "0034_status_input_needed_in.sql": "0036_status_input_needed_in.sql",
};

/** SQL that records each renamed migration under its current name where its former one is recorded (wrangler's table, made if missing). */
export function recordRenamedSql(renamed = RENAMED_MIGRATIONS) {
  const q = (s) => `'${s.replaceAll("'", "''")}'`;
  return [
    `${CREATE_TABLE};`,
    ...Object.entries(renamed).map(
      ([former, current]) => `INSERT OR IGNORE INTO ${TABLE} (name) SELECT ${q(current)} WHERE EXISTS (SELECT 1 FROM ${TABLE} WHERE name = ${q(former)});`,
    ),
  ].join("\n");
}

/** The database `binding` names, on a Miniflare that serves nothing else, for the span of `use`. */
async function withD1({ Miniflare, persistRoot, d1Databases, binding }, use) {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch: () => new Response(null, { status: 404 }) }",
    d1Databases,
    defaultPersistRoot: persistRoot,
  });
  try {
    return await use(await mf.getD1Database(binding));
  } finally {
    await mf.dispose();
  }
}

/**
 * Applies, in name order, each `.sql` file of `dir` the database has not recorded yet (under its name, or under a former
 * one `renamed` maps to it); answers their names.
 */
export function applyD1Migrations({ splitSqlQuery, dir, renamed = {}, ...where }) {
  return withD1(where, async (db) => {
    await db.batch(splitSqlQuery(recordRenamedSql(renamed)).map((q) => db.prepare(q)));
    const applied = new Set((await db.prepare(`SELECT name FROM ${TABLE}`).all()).results.map((r) => r.name));
    const pending = readdirSync(dir).filter((f) => f.endsWith(".sql") && !applied.has(f)).sort();
    for (const name of pending) {
      // one batch a migration: its statements and its record commit together, or not at all
      const statements = splitSqlQuery(readFileSync(path.join(dir, name), "utf8")).map((q) => db.prepare(q));
      await db.batch([...statements, db.prepare(`INSERT INTO ${TABLE} (name) VALUES (?)`).bind(name)]).catch((e) => {
        throw new Error(`migration ${name} failed, and nothing of it was applied: ${e.message}`, { cause: e });
      });
    }
    return pending;
  });
}

/** Runs `sql` (statements as a migration file holds them) on the database in one batch, as `wrangler d1 execute --local --file` would. */
export function executeD1Sql({ splitSqlQuery, sql, ...where }) {
  return withD1(where, async (db) => {
    await db.batch(splitSqlQuery(sql).map((q) => db.prepare(q)));
  });
}
