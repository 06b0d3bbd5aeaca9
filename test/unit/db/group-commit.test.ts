import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { GroupCommit, GroupCommitStalled } from "../../../worker/db/group-commit";
import { asStatements, type SqlStatement } from "../../../worker/db/sql";

/** The real D1, counting the batches it is sent. */
function countingDb() {
  const counts = { batches: 0, statements: [] as number[] };
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counts.batches++;
          counts.statements.push(statements.length);
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, counts };
}

/** Callers' statements in arrival order, each caller's together. */
const flat = (items: SqlStatement[][]) => items.flat();
const put = (k: string, v: string) => asStatements.prepare("INSERT INTO gc_test (k, v) VALUES (?, ?)").bind(k, v);
const stored = async (k: string) => (await env.DB.prepare("SELECT v FROM gc_test WHERE k = ?").bind(k).first<{ v: string }>())?.v ?? null;

describe("GroupCommit", () => {
  beforeAll(async () => {
    await env.DB.prepare("CREATE TABLE IF NOT EXISTS gc_test (k TEXT PRIMARY KEY, v TEXT NOT NULL)").run();
  });

  it("sends the first caller at once and the callers that arrive meanwhile together", async () => {
    const { db, counts } = countingDb();
    const group = new GroupCommit(() => db, flat);
    await Promise.all(Array.from({ length: 6 }, (_, i) => group.run([put(`a${i}`, `v${i}`), put(`a${i}-2`, `w${i}`)])));
    expect(counts.batches).toBe(2);
    expect(counts.statements).toEqual([2, 10]);
    expect([await stored("a0"), await stored("a5"), await stored("a5-2")]).toEqual(["v0", "v5", "w5"]);
  });

  it("builds a batch's statements from all its callers' items at once", async () => {
    const { db, counts } = countingDb();
    // one statement for every caller of a batch
    const together = (items: [string, string][]) => [asStatements.prepare(`INSERT INTO gc_test (k, v) VALUES ${items.map(() => "(?, ?)").join(", ")}`).bind(...items.flat())];
    const group = new GroupCommit<[string, string]>(() => db, together);
    await Promise.all(["e0", "e1", "e2", "e3"].map((k) => group.run([k, k.toUpperCase()])));
    expect(counts.statements).toEqual([1, 1]);
    expect([await stored("e0"), await stored("e3")]).toEqual(["E0", "E3"]);
  });

  it("keeps a caller's statements together, so changes() sees the caller's own previous statement", async () => {
    const group = new GroupCommit(() => env.DB, flat);
    const ifWritten = (k: string) => asStatements.prepare("INSERT INTO gc_test (k, v) SELECT ?, 'audit' WHERE changes() > 0").bind(k);
    const skipped = asStatements.prepare("INSERT OR IGNORE INTO gc_test (k, v) VALUES ('b0', 'again')").bind();
    await group.run([put("b0", "first")]);
    await Promise.all([group.run([put("b1", "x"), ifWritten("b1-audit")]), group.run([skipped, ifWritten("b0-audit")])]);
    expect(await stored("b1-audit")).toBe("audit");
    expect(await stored("b0-audit")).toBeNull();
  });

  it("fails only the caller whose statement fails; the others' writes land", async () => {
    const { db, counts } = countingDb();
    const group = new GroupCommit(() => db, flat);
    await group.run([put("c0", "taken")]);
    const [first, bad, good] = await Promise.allSettled([group.run([put("c1", "one")]), group.run([put("c0", "duplicate")]), group.run([put("c2", "two")])]);
    expect(first.status).toBe("fulfilled");
    expect(bad.status).toBe("rejected");
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(good.status).toBe("fulfilled");
    expect([await stored("c0"), await stored("c1"), await stored("c2")]).toEqual(["taken", "one", "two"]);
    // the shared batch failed whole (nothing of it landed), then each of its callers went alone
    expect(counts.statements).toEqual([1, 1, 2, 1, 1]);
  });

  it("under load, gathers the callers of a settle window after a batch into the next one; a caller that finds it idle goes at once", async () => {
    const { db, counts } = countingDb();
    const group = new GroupCommit(() => db, flat, 200);
    const sentAt: number[] = [];
    const timed = (k: string) => group.run([put(k, k)]).then(() => sentAt.push(Date.now()));
    await timed("d0");
    // arrivals spread over the window after the first batch ended share the next batch
    const spread = ["d1", "d2", "d3"].map((k, i) => new Promise((r) => setTimeout(r, 40 * i)).then(() => timed(k)));
    await Promise.all(spread);
    expect(counts.statements).toEqual([1, 3]);
    expect(sentAt[1] - sentAt[0]).toBeGreaterThanOrEqual(150);
    // idle for longer than the window: goes at once
    await new Promise((r) => setTimeout(r, 250));
    const t1 = Date.now();
    await timed("d4");
    expect(counts.statements).toEqual([1, 3, 1]);
    expect(Date.now() - t1).toBeLessThan(150);
    expect([await stored("d1"), await stored("d4")]).toEqual(["d1", "d4"]);
  });

  it("gives callers of a lost drain their writes back, and the next call starts a new drain", async () => {
    // the first batch never answers, as when the call that started the drain is cancelled with its I/O
    let lose = true;
    const db = new Proxy(env.DB, {
      get(target, key) {
        if (key === "batch") return (statements: D1PreparedStatement[]) => (lose ? ((lose = false), new Promise(() => {})) : target.batch(statements));
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const group = new GroupCommit(() => db, flat, 0, 200);
    const lost = group.run([put("f0", "lost")]);
    const behind = group.run([put("f1", "behind")]);
    await expect(lost).rejects.toBeInstanceOf(GroupCommitStalled);
    await expect(behind).rejects.toBeInstanceOf(GroupCommitStalled);
    // sent again, they go through a new drain
    await Promise.all([group.run([put("f0", "again")]), group.run([put("f1", "again")])]);
    expect([await stored("f0"), await stored("f1")]).toEqual(["again", "again"]);
  });

  it("answers a call with nothing to write without a batch", async () => {
    const { db, counts } = countingDb();
    await new GroupCommit(() => db, flat).run([]);
    expect(counts.batches).toBe(0);
  });
});
