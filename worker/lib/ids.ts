const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Random id with a readable prefix, e.g. `tsk_3k9x…`. 16 chars of base36 ≈ 82 bits. */
export function newId(prefix: string, length = 16): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += alphabet[b % 36];
  return `${prefix}_${out}`;
}

/** Time-ordered id: sortable by creation, so "newest first" is an index scan. */
export function newSortableId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, "0")}${newId("", 10).slice(1)}`;
}
