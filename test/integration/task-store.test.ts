import { env, runInDurableObject } from "cloudflare:test";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { describe, expect, it } from "vitest";
import migrations from "../../worker/task/migrations/migrations.js";
import { streamRequest } from "../../worker/live/stream-fetch";
import { createStore, openStore } from "../../worker/task/store";

const object = (name: string) => env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(`store-test-${name}-${crypto.randomUUID()}`));

const schemaOf = (storage: DurableObjectStorage) =>
  storage.sql
    .exec<{ type: string; name: string; sql: string | null }>("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .toArray()
    .map((r) => ({ ...r, sql: r.sql?.replace(/\s+/g, " ").replace(/\( /g, "(").replace(/ \)/g, ")").replace(/IF NOT EXISTS /g, "") ?? null }));

const bookkeeping = (storage: DurableObjectStorage) => storage.sql.exec("SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at").toArray();

describe("a task object's storage schema", () => {
  it("is made for a new object in one go, exactly as the migrator makes it, with the migrator's bookkeeping", async () => {
    let migrated: unknown;
    let migratedBooks: unknown;
    await runInDurableObject(object("migrator"), async (_o, state) => {
      // from nothing, whatever the object holds
      for (const { name } of state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name != 'sqlite_sequence'").toArray()) {
        state.storage.sql.exec(`DROP TABLE "${name}"`);
      }
      migrate(drizzle(state.storage), migrations);
      migrated = schemaOf(state.storage);
      migratedBooks = bookkeeping(state.storage);
    });
    await runInDurableObject(object("fresh"), async (_o, state) => {
      // a new object stores nothing until its start, which makes the schema in its own commit
      expect(schemaOf(state.storage).filter((t) => t.name !== "__miniflare_do_name")).toEqual([]);
      expect(openStore(state.storage)).toBe("new");
      createStore(state.storage);
      expect(schemaOf(state.storage)).toEqual(migrated);
      expect(bookkeeping(state.storage)).toEqual(migratedBooks);
      expect(migratedBooks).toHaveLength(migrations.journal.entries.length);
    });
  });

  it("brings an object made under the first migration up to date, keeping what it stored", async () => {
    const first = { journal: { ...migrations.journal, entries: migrations.journal.entries.slice(0, 1) }, migrations: migrations.migrations };
    let fresh: unknown;
    await runInDurableObject(object("lean-fresh"), async (_o, state) => {
      createStore(state.storage);
      fresh = schemaOf(state.storage);
    });
    await runInDurableObject(object("lean-old"), async (_o, state) => {
      migrate(drizzle(state.storage), first);
      state.storage.kv.put("schema", first.journal.entries[0].tag);
      state.storage.sql.exec("INSERT INTO task (id, org_id, meta, status, created_at) VALUES ('tsk_old', 'org', '{}', 'completed', 1)");
      state.storage.sql.exec("INSERT INTO nodes (key, step_id, kind, deps, status, seq) VALUES ('a', 'a', 'agent', '[]', 'completed', 0)");
      state.storage.sql.exec("INSERT INTO runs (node_key, run_no, status, started_at, price) VALUES ('a', 1, 'completed', 1, '{}')");
      state.storage.sql.exec("INSERT INTO turns (node_key, run_no, turn_no, data) VALUES ('a', 1, 0, '{}')");
      state.storage.sql.exec("INSERT INTO events (type, data, at) VALUES ('task.updated', '{}', 1), ('task.updated', '{}', 2)");
      expect(openStore(state.storage)).toBe("open");
      expect(schemaOf(state.storage)).toEqual(fresh);
      expect(state.storage.sql.exec("SELECT id FROM events ORDER BY id").toArray()).toEqual([{ id: 1 }, { id: 2 }]);
      const counts = state.storage.sql.exec("SELECT (SELECT count(*) FROM task) AS t, (SELECT count(*) FROM nodes) AS n, (SELECT count(*) FROM runs) AS r, (SELECT count(*) FROM turns) AS u").one();
      expect(counts).toEqual({ t: 1, n: 1, r: 1, u: 1 });
      // no table of ours keeps a second b-tree for its key
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name != '__drizzle_migrations'").toArray()).toEqual([]);
    });
  });

  it("opens an object made before the schema tag (tables, no tag) without making its tables again", async () => {
    await runInDurableObject(object("untagged"), async (_o, state) => {
      createStore(state.storage);
      state.storage.sql.exec("INSERT INTO events (type, data, at) VALUES ('task.updated', '{}', 1)");
      state.storage.kv.delete("schema");
      expect(openStore(state.storage)).toBe("open");
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM events").one().n).toBe(1);
      expect(state.storage.kv.get("schema")).toBe(migrations.journal.entries.at(-1)!.tag);
    });
  });

  it("stores nothing for an object never started, which answers as an unknown task", async () => {
    const stub = object("unstarted");
    expect(await stub.detail()).toBeNull();
    expect(await stub.respond("call_x", ["yes"])).toMatchObject({ ok: false, code: "not_found" });
    expect(await (await stub.fetch(streamRequest({ last_event_id: 0 }))).text()).toBe("");
    await runInDurableObject(stub, async (_o, state) => {
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('task', 'events', '__drizzle_migrations')").one().n).toBe(0);
      expect(state.storage.kv.get("schema")).toBeUndefined();
    });
  });
});
