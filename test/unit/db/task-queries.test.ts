import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeCursor, ftsQuery, listTasks, searchMatch, taskSummary } from "../../../worker/db/task-queries";
import type { TaskStatus } from "../../../worker/db/schema";
import { INDEX_COLUMNS, type IndexRow } from "../../../worker/db/task-row";
import { IndexSync } from "../../../worker/task/index-sync";
import { searchText } from "../../../worker/db/search-text";
import { reindexOldText } from "../../../worker/db/search-reindex";

const terms = (q: string) => ftsQuery(q)?.map((w) => w.term).join(" ") ?? null;

describe("ftsQuery", () => {
  it("keeps only words, each a quoted prefix term", () => {
    expect(terms('market "analysis" OR NEAR(x y) -z title:q*')).toBe('"market"* "analysis"* "OR"* "NEAR"* "x"* "y"* "z"* "title"* "q"*');
    expect(ftsQuery("  ")).toBeNull();
    expect(ftsQuery('"*:^()-+')).toBeNull();
    // the index splits words at `_`: one of `_` alone holds no word, and would match nothing
    expect(ftsQuery("_ __")).toBeNull();
    expect(terms("a _ snake_case")).toBe('"a"* "snake_case"*');
    // accents off Latin, Greek and Cyrillic letters, as the index's copy has them; the word as typed too, for a row not yet copied
    expect(terms("Αθήνα ёлка Straße łódź が")).toBe('("Αθηνα"* OR "Αθήνα"*) ("елка"* OR "ёлка"*) ("Strasse"* OR "Straße"*) ("lodz"* OR "łódź"*) ("が" OR "が"*)');
    expect(terms("ﬁle Ⅻ")).toBe('"file"* "XII"*');
    expect(ftsQuery(Array.from({ length: 40 }, (_, i) => `w${i}`).join(" "))).toHaveLength(16);
  });

  it("makes a word in an unspaced script the phrase of its characters (a prefix only where it ends in another script), or a run's prefix", () => {
    expect(terms("市場 データ")).toBe('("市 場" OR "市場"*) ("デ ー タ" OR "データ"*)');
    expect(terms("東京abc x東京")).toBe('("東 京 abc"* OR "東京abc"*) ("x 東 京" OR "x東京"*)');
    expect(ftsQuery("東京abc")![0].prefixes).toEqual(["東京abc", "abc"]);
  });
});

describe("searchMatch", () => {
  it("scopes to the organization, or to its filter tags when there are filters", () => {
    expect(searchMatch("org_a", {}, ftsQuery("co"))).toBe('tags : "o6f72675f61" AND "co"*');
    const m = searchMatch("org_a", { status: "failed", agent: "writer" }, ftsQuery("x y"));
    expect(m).toBe(`tags : "s${hex("org_a failed")}" AND tags : "a${hex("org_a writer")}" AND "x"* AND "y"*`);
  });

  it("keeps words that could start a hidden tag token out of the tags", () => {
    expect(searchMatch("org_a", {}, ftsQuery("S3 o6f7 a café x_y sql"))).toBe(
      'tags : "o6f72675f61" AND {title description} : "S3"* AND {title description} : "o6f7"* AND {title description} : "a"* ' +
        'AND ("cafe"* OR "café"*) AND {title description} : "x_y"* AND "sql"*',
    );
  });
});

const hex = (s: string) => [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function insertTask(org: string, id: string, title: string, status: TaskStatus = "pending") {
  await env.DB.prepare(
    "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, ?, 'some description', ?, 'api', 'researcher', '{}', ?, ?)",
  )
    .bind(id, org, title, status, `ses_${id}`, Date.now())
    .run();
  return (await env.DB.prepare(`SELECT ${INDEX_COLUMNS.join(", ")} FROM tasks WHERE id = ?`).bind(id).first<IndexRow>())!;
}

describe("the search index follows the task index", () => {
  it("indexes inserts, status and agent changes, and deletes", async () => {
    const org = `org_trg_${crypto.randomUUID().slice(0, 8)}`;
    const id = `tsk_trg_${crypto.randomUUID()}`;
    await insertTask(org, id, "zebra crossing");
    const found = async (f: Parameters<typeof listTasks>[2]) => (await listTasks(env.DB, org, f, null, 10)).items.map((t) => t.id);
    expect(await found({ q: "zeb" })).toEqual([id]);
    expect(await found({ q: "zeb", status: "pending" })).toEqual([id]);
    await env.DB.prepare("UPDATE tasks SET status = 'failed', agent = 'writer', progress_done = 3 WHERE id = ?").bind(id).run();
    expect(await found({ q: "zeb", status: "pending" })).toEqual([]);
    expect(await found({ q: "zeb", status: "failed", agent: "writer" })).toEqual([id]);
    expect(await found({ q: "zeb", agent: "researcher" })).toEqual([]);
    await env.DB.prepare("UPDATE tasks SET title = 'yak shaving' WHERE id = ?").bind(id).run();
    expect(await found({ q: "zeb" })).toEqual([]);
    expect(await found({ q: "yak" })).toEqual([id]);
    await env.DB.prepare("DELETE FROM tasks WHERE id = ?").bind(id).run();
    expect(await found({ q: "yak" })).toEqual([]);
    expect((await taskSummary(env.DB, org, { q: "yak" })).counts.failed).toBe(0);
  });
});

describe("titles in an unspaced script written before migration 0017", () => {
  it("are set apart by its last statement, found by a word inside them, and leave no term behind once deleted", async () => {
    const org = `org_cjk_${crypto.randomUUID().slice(0, 8)}`;
    const id = `tsk_cjk_${crypto.randomUUID()}`;
    await insertTask(org, id, "東京の市場調査 report");
    const found = async (q: string) => (await listTasks(env.DB, org, { q }, null, 10)).items.map((t) => t.id);
    await env.DB.prepare("UPDATE tasks SET search_title = NULL WHERE id = ?").bind(id).run();
    expect(await found("市場")).toEqual([]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0017_"))!;
    await env.DB.prepare(migration.queries[migration.queries.length - 1]).run();
    expect(await env.DB.prepare("SELECT search_title FROM tasks WHERE id = ?").bind(id).first("search_title")).toBe(searchText("東京の市場調査 report"));
    expect(await found("市場")).toEqual([id]);
    expect(await found("東京 rep")).toEqual([id]);
    const older = `tsk_cjk_${crypto.randomUUID()}`;
    await env.DB.prepare(
      "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, 'x', '北京的客户 分析', 'pending', 'api', 'researcher', '{}', ?, ?)",
    )
      .bind(older, org, `ses_${older}`, Date.now())
      .run();
    expect(await found("北京"), "a description indexed before the migration, by the start of its runs").toEqual([older]);
    expect(await found("分析")).toEqual([older]);
    await env.DB.batch([env.DB.prepare("DELETE FROM tasks WHERE id = ?").bind(id), env.DB.prepare("DELETE FROM tasks WHERE id = ?").bind(older)]);
    expect(await found("市場")).toEqual([]);
    const ghosts = await env.DB.prepare("SELECT count(*) AS n FROM tasks_search WHERE tasks_search MATCH ?").bind(`tags : "o${hex(org)}"`).first("n");
    expect(ghosts).toBe(0);
  });
});

describe("text written before migration 0017", () => {
  it("is queued by migration 0025 and given its search copy, so a word inside a description and text in any width are found", async () => {
    const org = `org_old_${crypto.randomUUID().slice(0, 8)}`;
    const insertOld = async (title: string, description: string) => {
      const id = `tsk_old_${crypto.randomUUID()}`;
      // as a create wrote a row then: no search copy
      await env.DB.prepare(
        "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, ?, ?, 'pending', 'api', 'researcher', '{}', ?, ?)",
      )
        .bind(id, org, title, description, `ses_${id}`, Date.now())
        .run();
      return id;
    };
    const cjk = await insertOld("Quarterly churn", "北京的客户流失分析");
    const wide = await insertOld("ＡＢＣ商事 review", "ｲﾝﾎﾞｲｽ and ﬁnance checks");
    const plain = await insertOld("plain ascii", "nothing to set apart");
    const found = async (q: string) => (await listTasks(env.DB, org, { q }, null, 10)).items.map((t) => t.id);
    expect(await found("客户")).toEqual([]);
    expect(await found("インボイス")).toEqual([]);
    expect(await found("ABC")).toEqual([]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("_reindex_old_text"))!;
    await env.DB.prepare(migration.queries[migration.queries.length - 1]).run();
    const queued = await env.DB.prepare("SELECT t.id FROM tasks_reindex JOIN tasks AS t USING (seq) WHERE t.org_id = ?").bind(org).all<{ id: string }>();
    expect(queued.results.map((r) => r.id).sort()).toEqual([cjk, wide].sort());
    while ((await reindexOldText(env.DB, 7)) > 0);
    expect(await found("客户")).toEqual([cjk]);
    expect(await found("流失分析")).toEqual([cjk]);
    expect(await found("北京")).toEqual([cjk]);
    expect(await found("インボイス finance")).toEqual([wide]);
    expect(await found("ＡＢＣ")).toEqual([wide]);
    expect(await found("abc 商事")).toEqual([wide]);
    expect(await found("ascii")).toEqual([plain]);
    expect((await taskSummary(env.DB, org, { q: "客户" })).counts.pending).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks_reindex").first("n")).toBe(0);
    // once deleted, nothing of the old terms or the new stays in the index
    await env.DB.batch([cjk, wide, plain].map((id) => env.DB.prepare("DELETE FROM tasks WHERE id = ?").bind(id)));
    const ghosts = await env.DB.prepare("SELECT count(*) AS n FROM tasks_search WHERE tasks_search MATCH ?").bind(`tags : "o${hex(org)}"`).first("n");
    expect(ghosts).toBe(0);
  });
});

describe("text written before the index folded accents off Greek and Cyrillic letters", () => {
  it("is found by its words as typed, and by their folded forms once migration 0042 has it copied again", async () => {
    const org = `org_fold_${crypto.randomUUID().slice(0, 8)}`;
    const id = `tsk_fold_${crypto.randomUUID()}`;
    // as a create wrote it then: the text had no copy of its own, the index read it as written
    await env.DB.prepare(
      "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, 'Αθήνα report', 'for Straße', 'pending', 'api', 'researcher', '{}', ?, ?)",
    )
      .bind(id, org, `ses_${id}`, Date.now())
      .run();
    const found = async (q: string) => (await listTasks(env.DB, org, { q }, null, 10)).items.map((t) => t.id);
    expect(await found("Αθήνα")).toEqual([id]);
    expect(await found("Straße")).toEqual([id]);
    expect(await found("αθηνα")).toEqual([]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("_search_fold_accents"))!;
    await env.DB.prepare(migration.queries[migration.queries.length - 1]).run();
    while ((await reindexOldText(env.DB, 7)) > 0);
    for (const q of ["αθηνα", "Αθήνα", "strasse", "Straße"]) expect(await found(q), q).toEqual([id]);
    await env.DB.prepare("DELETE FROM tasks WHERE id = ?").bind(id).run();
  });
});

describe("concurrent writers to the index", () => {
  it("the highest index_version wins, whatever order the writes land in", async () => {
    const org = `org_race_${crypto.randomUUID().slice(0, 8)}`;
    const id = `tsk_race_${crypto.randomUUID()}`;
    const base = await insertTask(org, id, "racing writers");
    const statuses: TaskStatus[] = ["pending", "in_progress", "needs_input", "in_progress"];
    const versions = Array.from({ length: 24 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const writers = versions.map((v) => {
      const row: IndexRow = { ...base, index_version: v, progress_done: v, status: v === 24 ? "completed" : statuses[v % statuses.length] };
      return new IndexSync(env, () => row);
    });
    writers.forEach((w) => w.now());
    await Promise.all(writers.map((w) => w.flushed()));
    const row = await env.DB.prepare("SELECT status, index_version, progress_done FROM tasks WHERE id = ?").bind(id).first();
    expect(row).toEqual({ status: "completed", index_version: 24, progress_done: 24 });
    // A late, older write after the newest changes nothing.
    const late = new IndexSync(env, () => ({ ...base, index_version: 3, status: "pending" }));
    late.now();
    await late.flushed();
    expect((await env.DB.prepare("SELECT status, index_version FROM tasks WHERE id = ?").bind(id).first())).toEqual({ status: "completed", index_version: 24 });
    const s = await taskSummary(env.DB, org, { q: "racing" });
    expect(s.counts).toEqual({ pending: 0, in_progress: 0, needs_input: 0, failed: 0, completed: 1, cancelled: 0 });
  });
});

describe("words longer than the prefix indexes", () => {
  it("match every term they start, and only those, in lists and summaries", async () => {
    const org = `org_long_${crypto.randomUUID().slice(0, 8)}`;
    const id = () => `tsk_long_${crypto.randomUUID()}`;
    const exact = await insertTask(org, id(), "Pricing review");
    const longer = await insertTask(org, id(), "pricingmodel draft", "failed");
    await insertTask(org, id(), "pricinx typo");
    await insertTask(org, id(), "pricin stub");
    const ids = async (q: string) => (await listTasks(env.DB, org, { q }, null, 10)).items.map((t) => t.id);
    expect(await ids("pricing")).toEqual([longer.id, exact.id]);
    expect(await ids("PRICINGM")).toEqual([longer.id]);
    expect(await ids("pricingmodels")).toEqual([]);
    expect(await ids("pricing review")).toEqual([exact.id]);
    const s = await taskSummary(env.DB, org, { q: "pricing" });
    expect(s.counts).toEqual({ pending: 1, in_progress: 0, needs_input: 0, failed: 1, completed: 0, cancelled: 0 });
    expect(s.groups.failed.items.map((t) => t.id)).toEqual([longer.id]);
  });

  it("stay a prefix when they start more terms than the query takes", async () => {
    const org = `org_many_${crypto.randomUUID().slice(0, 8)}`;
    const rows = await Promise.all(Array.from({ length: 40 }, (_, i) => insertTask(org, `tsk_many_${crypto.randomUUID()}`, `manyterms${i.toString(36)}x`)));
    const found = (await listTasks(env.DB, org, { q: "manyterms" }, null, 100)).items.map((t) => t.id);
    expect(found.sort()).toEqual(rows.map((r) => r.id).sort());
    expect((await taskSummary(env.DB, org, { q: "MANYTERMS" })).counts.pending).toBe(40);
  });

  it("fit in one statement, as many as a query takes", async () => {
    const org = `org_words_${crypto.randomUUID().slice(0, 8)}`;
    const words = Array.from({ length: 16 }, (_, i) => `longerword${i.toString(36)}`);
    const row = await insertTask(org, `tsk_words_${crypto.randomUUID()}`, words.join(" "));
    const q = words.map((w) => w.slice(0, 9)).join(" ");
    expect((await listTasks(env.DB, org, { q, status: "pending", agent: "researcher" }, null, 5)).items.map((t) => t.id)).toEqual([row.id]);
    expect((await taskSummary(env.DB, org, { q, source: "api" })).counts.pending).toBe(1);
  });
});

describe("two filters and more without words", () => {
  it("intersect the filter tags, in lists and summaries", async () => {
    const org = `org_filters_${crypto.randomUUID().slice(0, 8)}`;
    const id = () => `tsk_filters_${crypto.randomUUID()}`;
    const a = await insertTask(org, id(), "one", "failed");
    await insertTask(org, id(), "two", "pending");
    const c = await insertTask(org, id(), "three", "failed");
    await env.DB.prepare("UPDATE tasks SET agent = 'writer' WHERE id IN (?, ?)").bind(a.id, c.id).run();
    const d = await insertTask(org, id(), "four", "failed");
    const ids = async (f: Parameters<typeof listTasks>[2], cursor: number | null = null) => listTasks(env.DB, org, f, cursor, 1);
    const first = await ids({ status: "failed", agent: "writer" });
    expect(first.items.map((t) => t.id)).toEqual([c.id]);
    const second = await ids({ status: "failed", agent: "writer" }, decodeCursor(first.next_cursor!));
    expect(second.items.map((t) => t.id)).toEqual([a.id]);
    expect(second.next_cursor).toBeNull();
    expect((await ids({ status: "failed", source: "api", agent: "researcher" })).items.map((t) => t.id)).toEqual([d.id]);
    expect((await ids({ status: "failed", agent: "" })).items.map((t) => t.id)).toEqual([d.id]);
    const s = await taskSummary(env.DB, org, { agent: "writer", source: "api" });
    expect(s.counts).toEqual({ pending: 0, in_progress: 0, needs_input: 0, failed: 2, completed: 0, cancelled: 0 });
    expect(s.groups.failed.items.map((t) => t.id)).toEqual([c.id, a.id]);
  });
});
