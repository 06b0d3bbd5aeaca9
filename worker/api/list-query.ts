import { z } from "@hono/zod-openapi";
import { decodeKeyCursor, type Keyset } from "../db/keyset";
import { badRequest } from "../lib/errors";
import { limitParam } from "./schemas";

/** `limit` and `cursor` of every list but the tasks' and the audit log's (which have their own sorts and defaults). */
export const ListQuery = z.object({
  limit: limitParam(100),
  cursor: z.string().max(400).optional().openapi({ description: "the previous page's next_cursor" }),
});

/** A filter matched as given (a name, an id): spaces around it would match nothing, in silence. */
export const filterValue = (max: number) => z.string().max(max).refine((s) => s.trim() === s, { message: "spaces around the value: give it without them" });

/** Where a page starts: after the cursor's key, or at the top; 400 for a cursor that is not a key of this list's shape. */
export function cursorAfter(k: Keyset, cursor: string | undefined) {
  if (cursor === undefined) return null;
  const key = decodeKeyCursor(k, cursor);
  if (!key) throw invalidCursor();
  return key;
}

/** Every list's answer to a cursor it did not give out: 400 with the cursor's path, as any invalid parameter's. */
export const invalidCursor = (message = "invalid cursor", detail = "not a cursor of this list's shape") => badRequest(message, [{ path: "cursor", message: detail }]);
