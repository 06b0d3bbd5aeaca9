import { env, runInDurableObject } from "cloudflare:test";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { describe, expect, it } from "vitest";
import migrations from "../../worker/task/migrations/migrations.js";
import { createStore, openStore } from "../../worker/task/store";

const object = (name: string) => env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(`store-test-${name}-${crypto.randomUUID()}`));

const schemaOf = (storage: DurableObjectStorage) =>
  storage.sql
    .exec<{ type: string; name: string; sql: string | null }>("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name")
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
    expect(await new Response(await stub.events(0)).text()).toBe("");
    await runInDurableObject(stub, async (_o, state) => {
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('task', 'events', '__drizzle_migrations')").one().n).toBe(0);
      expect(state.storage.kv.get("schema")).toBeUndefined();
    });
  });
});
