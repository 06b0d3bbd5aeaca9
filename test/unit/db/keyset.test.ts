import { describe, expect, it } from "vitest";
import { decodeKeyCursor, encodeKeyCursor, type Keyset, keysetSql, pageInMemory } from "../../../worker/db/keyset";

const newest: Keyset = { columns: ["created_at", "id"], types: ["number", "string"], order: "DESC" };
const byName: Keyset = { columns: ["name"], types: ["string"], order: "ASC" };

describe("keyset cursors", () => {
  it("round-trips a key, unicode included, and refuses one of another shape", () => {
    expect(decodeKeyCursor(newest, encodeKeyCursor([1733400000000, "pln_ü/+"]))).toEqual([1733400000000, "pln_ü/+"]);
    expect(encodeKeyCursor([1, "a?b"])).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const bad of ["garbage", "", encodeKeyCursor([1]), encodeKeyCursor(["1", "a"]), encodeKeyCursor([1, 2]), btoa("{}")]) expect(decodeKeyCursor(newest, bad), bad).toBeNull();
    expect(decodeKeyCursor(byName, encodeKeyCursor(["writer"]))).toEqual(["writer"]);
  });

  it("reads after the cursor in the list's order, one row more than the page", () => {
    expect(keysetSql(newest, null, 20)).toEqual({ where: "", tail: "ORDER BY created_at DESC, id DESC LIMIT ?", args: [21] });
    expect(keysetSql(newest, [5, "x"], 2)).toEqual({ where: "AND (created_at, id) < (?, ?)", tail: "ORDER BY created_at DESC, id DESC LIMIT ?", args: [5, "x", 3] });
    expect(keysetSql(byName, ["m"], 2).where).toBe("AND (name) > (?)");
  });

  it("pages a sorted list held in memory the same way", () => {
    const models = ["a", "b", "c", "d", "e"].map((model) => ({ model }));
    const key = (p: { model: string }) => [p.model];
    const first = pageInMemory(byName, models, null, 2, key, (p) => p.model);
    expect(first.items).toEqual(["a", "b"]);
    const second = pageInMemory(byName, models, decodeKeyCursor(byName, first.next_cursor!), 2, key, (p) => p.model);
    expect(second.items).toEqual(["c", "d"]);
    const last = pageInMemory(byName, models, decodeKeyCursor(byName, second.next_cursor!), 2, key, (p) => p.model);
    expect(last).toEqual({ items: ["e"], next_cursor: null });
  });
});
