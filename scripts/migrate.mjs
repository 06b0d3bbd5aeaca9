// The D1 migrations `npm start` applies before the Worker starts, in this process, on a Miniflare that serves only
// the database: `wrangler d1 migrations apply --local` took 11 s for 30 migrations on a fresh data dir (a runtime
// per migration), and every browser test starts on one. The bookkeeping is wrangler's own (its table, its way of
// splitting a file into statements), so either may apply the next ones.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const TABLE = "d1_migrations";

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

/** Applies, in name order, each `.sql` file of `dir` the database has not recorded yet; answers their names. */
export function applyD1Migrations({ splitSqlQuery, dir, ...where }) {
  return withD1(where, async (db) => {
    await db.prepare(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`).run();
    const applied = new Set((await db.prepare(`SELECT name FROM ${TABLE}`).all()).results.map((r) => r.name));
    const pending = readdirSync(dir).filter((f) => f.endsWith(".sql") && !applied.has(f)).sort();
    for (const name of pending) {
      // one batch a migration: its statements and its record commit together, or not at all
      const statements = splitSqlQuery(readFileSync(path.join(dir, name), "utf8")).map((q) => db.prepare(q));
      await db.batch([...statements, db.prepare(`INSERT INTO ${TABLE} (name) VALUES (?)`).bind(name)]);
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
