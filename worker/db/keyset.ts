/**
 * Keyset pages for the lists that are not tasks (agents, plans, triggers, tokens, organizations, prices,
 * subscriptions): the cursor is the last item's sort key, so a page never repeats or skips an item
 * while others are added or removed, and reading page n costs what page 1 does.
 */

export type KeyType = "number" | "string";

export interface Keyset {
  /** the sort key's columns, most significant first; together they are unique */
  columns: readonly string[];
  types: readonly KeyType[];
  order: "ASC" | "DESC";
}

type Key = (number | string)[];

const toBase64Url = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64Url = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));

export const encodeKeyCursor = (key: Key): string => toBase64Url(JSON.stringify(key));

/** The key a cursor holds, or null when it is not one of this list's cursors. */
export function decodeKeyCursor(k: Keyset, cursor: string): Key | null {
  let key: unknown;
  try {
    key = JSON.parse(fromBase64Url(cursor));
  } catch {
    return null;
  }
  if (!Array.isArray(key) || key.length !== k.types.length) return null;
  return key.every((v, i) => typeof v === k.types[i] && (typeof v !== "number" || Number.isFinite(v))) ? (key as Key) : null;
}

/** `AND (cols) < (?, …)` after the cursor (`>` ascending), the ORDER BY and the LIMIT, with their arguments. */
export function keysetSql(k: Keyset, after: Key | null, limit: number): { where: string; tail: string; args: unknown[] } {
  const cols = k.columns.join(", ");
  const where = after ? `AND (${cols}) ${k.order === "DESC" ? "<" : ">"} (${after.map(() => "?").join(", ")})` : "";
  return { where, tail: `ORDER BY ${k.columns.map((c) => `${c} ${k.order}`).join(", ")} LIMIT ?`, args: [...(after ?? []), limit + 1] };
}

/** A page from rows read with one more than `limit`: the extra row says whether there is a next page. */
export function pageOf<R, V>(rows: R[], limit: number, keyOf: (r: R) => Key, view: (r: R) => V): { items: V[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  return { items: page.map(view), next_cursor: rows.length > limit ? encodeKeyCursor(keyOf(page[page.length - 1])) : null };
}

/** The same page over a list held in memory, sorted by `keyOf` in `k.order`. */
export function pageInMemory<R, V>(k: Keyset, sorted: R[], after: Key | null, limit: number, keyOf: (r: R) => Key, view: (r: R) => V) {
  const past = (r: R) => {
    if (!after) return true;
    const key = keyOf(r);
    for (let i = 0; i < key.length; i++) {
      if (key[i] === after[i]) continue;
      return k.order === "ASC" ? key[i] > after[i] : key[i] < after[i];
    }
    return false;
  };
  return pageOf(sorted.filter(past).slice(0, limit + 1), limit, keyOf, view);
}
