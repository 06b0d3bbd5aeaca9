import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_splitSqlQuery } from "wrangler";
import { applyD1Migrations, executeD1Sql, RENAMED_MIGRATIONS } from "../../scripts/migrate.mjs";
import { nextLogNumber } from "../../worker/db/log-numbers";

/** `npm start`'s migrations (scripts/migrate.mjs) and wrangler's own, taking turns on one data dir. */

/** Rows `query` reads on the database `where` names, on a Miniflare of its own. */
async function withRows(where: { persistRoot: string; d1Databases: Record<string, string>; binding: string }, query: string) {
  const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: where.d1Databases, defaultPersistRoot: where.persistRoot });
  try {
    return await (await mf.getD1Database(where.binding)).prepare(query).all();
  } finally {
    await mf.dispose();
  }
}
const { Miniflare } = createRequire(import.meta.resolve("wrangler"))("miniflare");
const dir = mkdtempSync(path.join(tmpdir(), "flightdeck-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const wrangler = path.resolve("node_modules/wrangler/bin/wrangler.js");
const ID = "11111111-1111-1111-1111-111111111111";
const persistTo = path.join(dir, "state");
const run = (...args: string[]) =>
  execFileSync(process.execPath, [wrangler, ...args, "--config", path.join(dir, "wrangler.toml")], { cwd: dir, env: { ...process.env, CI: "true" }, encoding: "utf8" });
const ours = (renamed: Record<string, string> = {}) =>
  applyD1Migrations({ Miniflare, splitSqlQuery: unstable_splitSqlQuery, persistRoot: path.join(persistTo, "v3"), d1Databases: { DB: ID }, binding: "DB", dir: path.join(dir, "migrations"), renamed });

describe("npm start's D1 migrations", () => {
  it("applies what wrangler has not, where wrangler keeps it, so wrangler then finds nothing to apply", async () => {
    writeFileSync(path.join(dir, "wrangler.toml"), `name = "m"\nmain = "w.js"\ncompatibility_date = "2026-04-20"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "m"\ndatabase_id = "${ID}"\nmigrations_dir = "migrations"\n`);
    writeFileSync(path.join(dir, "w.js"), "export default {}");
    mkdirSync(path.join(dir, "migrations"), { recursive: true });
    writeFileSync(path.join(dir, "migrations/0000_first.sql"), "CREATE TABLE a (x text);");
    run("d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo);
    // a trigger's body holds semicolons of its own: split as wrangler splits it
    writeFileSync(
      path.join(dir, "migrations/0001_second.sql"),
      "CREATE TABLE b (x text);--> statement-breakpoint\nCREATE TRIGGER a_to_b AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x); INSERT INTO b VALUES (new.x || '!'); END;\nINSERT INTO a VALUES ('hi');",
    );
    expect(await ours()).toEqual(["0001_second.sql"]);
    expect(await ours()).toEqual([]);
    expect(run("d1", "migrations", "list", "DB", "--local", "--persist-to", persistTo)).toMatch(/No migrations to apply/);
    const rows = JSON.parse(run("d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", "SELECT x FROM b ORDER BY x"));
    expect(rows[0].results).toEqual([{ x: "hi" }, { x: "hi!" }]);
  });

  it("takes a migration renumbered after a database ran it under its former name as applied, where it would fail again", async () => {
    writeFileSync(path.join(dir, "migrations/0002_column.sql"), "ALTER TABLE a ADD y text;");
    expect(await ours()).toEqual(["0002_column.sql"]);
    // another branch took 0002: the same file is 0003 now
    renameSync(path.join(dir, "migrations/0002_column.sql"), path.join(dir, "migrations/0003_column.sql"));
    writeFileSync(path.join(dir, "migrations/0002_other.sql"), "CREATE TABLE c (x text);");
    await expect(ours()).rejects.toThrow(/migration 0003_column\.sql failed, and nothing of it was applied: .*duplicate column name: y/);
    expect(await ours({ "0002_column.sql": "0003_column.sql" })).toEqual([]);
    expect(run("d1", "migrations", "list", "DB", "--local", "--persist-to", persistTo)).toMatch(/No migrations to apply/);
    const tables = JSON.parse(run("d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", "SELECT name FROM sqlite_master WHERE name = 'c'"));
    expect(tables[0].results).toEqual([{ name: "c" }]);
  });

  it("maps former names of this project's migrations to files it has, under names it no longer has", () => {
    const files = new Set(readdirSync(path.resolve("migrations")));
    for (const [former, current] of Object.entries(RENAMED_MIGRATIONS)) {
      expect(files.has(current), current).toBe(true);
      expect(files.has(former), former).toBe(false);
    }
    // and names every rename the history holds (merges' too), so that no data dir an earlier version made fails to start
    const log = execFileSync("git", ["log", "-m", "--diff-filter=R", "--name-status", "--format=", "--", "migrations"], { encoding: "utf8" });
    const renames = [...log.matchAll(/^R\d*\tmigrations\/(\S+)\tmigrations\/(\S+)$/gm)].map(([, from, to]) => [from, to]);
    for (const [from, to] of renames) {
      // a file renamed twice maps its first name to its last
      let last = to;
      while (!files.has(last) && renames.some(([f]) => f === last)) last = renames.find(([f]) => f === last)![1];
      expect(RENAMED_MIGRATIONS[from as keyof typeof RENAMED_MIGRATIONS], from).toBe(last);
    }
  });

  /** A database migrated as a version that had the project's migrations up to (not including) `before` left it, and on. */
  function olderDatabase(name: string) {
    const real = path.resolve("migrations");
    const migrations = path.join(dir, name, "migrations");
    mkdirSync(migrations, { recursive: true });
    const where = { Miniflare, splitSqlQuery: unstable_splitSqlQuery, persistRoot: path.join(dir, name, "state"), d1Databases: { DB: ID }, binding: "DB" };
    return {
      upTo: async (before: string) => {
        for (const f of readdirSync(real).filter((f) => f.endsWith(".sql") && f < before)) copyFileSync(path.join(real, f), path.join(migrations, f));
        await applyD1Migrations({ ...where, dir: migrations, renamed: RENAMED_MIGRATIONS });
      },
      sql: (text: string) => executeD1Sql({ ...where, sql: text }),
      rows: (query: string) => withRows(where, query),
    };
  }

  it("keeps the ids of audit entries and delivery attempts written before they were numbered per organization", async () => {
    const { upTo, sql, rows } = olderDatabase("numbered");
    await upTo("0019");
    // two organizations' entries interleaved, under one table-wide counter: ids a1 a2 a3 a4 (a1 and a3 org A's)
    for (const org of ["org_a", "org_b", "org_a", "org_b"]) await sql(`INSERT INTO audit_log (org_id, at, actor_type, actor_id, actor_name, action, target_type, target_id) VALUES ('${org}', 1, 'token', 't', 'x', 'task.create', 'task', 'tsk')`);
    await upTo("0039");
    for (const org of ["org_b", "org_a", "org_b"]) await sql(`INSERT INTO notification_deliveries (org_id, subscription_id, message_id, event_type, task_id, attempt, outcome, duration_ms, created_at) VALUES ('${org}', 's', 'm${Math.random()}', 'task.completed', 't', 1, 'delivered', 1, 1)`);
    await upTo("9999");
    const { results } = await rows("SELECT 'audit' AS log, org_id, seq, org_seq FROM audit_log UNION ALL SELECT 'deliveries', org_id, seq, org_seq FROM notification_deliveries ORDER BY 1, 3");
    expect(results).toEqual([
      { log: "audit", org_id: "org_a", seq: 1, org_seq: 1 },
      { log: "audit", org_id: "org_b", seq: 2, org_seq: 2 },
      { log: "audit", org_id: "org_a", seq: 3, org_seq: 3 },
      { log: "audit", org_id: "org_b", seq: 4, org_seq: 4 },
      { log: "deliveries", org_id: "org_b", seq: 1, org_seq: 1 },
      { log: "deliveries", org_id: "org_a", seq: 2, org_seq: 2 },
      { log: "deliveries", org_id: "org_b", seq: 3, org_seq: 3 },
    ]);
    // and each organization's next entry goes on from its own highest
    const next = await rows(`SELECT ${nextLogNumber("audit").replaceAll("?1", "'org_a'")} AS audit, ${nextLogNumber("deliveries").replaceAll("?1", "'org_a'")} AS deliveries`);
    expect(next.results).toEqual([{ audit: 4, deliveries: 3 }]);
  });

  it("answers a replayed task create stored before Location was kept with its Location", async () => {
    const { upTo, sql, rows } = olderDatabase("located");
    await upTo("0026");
    await sql("INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, owner, status, response, created_at, task_id) VALUES ('o', 't', 'k', 'f', 'w', 201, '{}', 1, 'tsk_1')");
    await sql("INSERT INTO idempotency_keys (org_id, token_id, key, fingerprint, owner, status, response, created_at) VALUES ('o', 't', 'k2', 'f', 'w', 201, '{}', 1)");
    await upTo("9999");
    expect((await rows("SELECT key, location FROM idempotency_keys ORDER BY key")).results).toEqual([
      { key: "k", location: "/api/v1/tasks/tsk_1" },
      { key: "k2", location: null },
    ]);
  });
});
