import type { Context } from "hono";
import { ApiError, badRequest } from "../lib/errors";
import { jsonPath } from "../lib/json-path";

/** A plan's entity tag is its version: `"3"`. */
export const versionTag = (version: number) => `"${version}"`;

const TAG = String.raw`(?:W/)?"[\x21\x23-\x7e]*"`;
const IF_MATCH = new RegExp(String.raw`^\s*(?:\*|${TAG}(?:\s*,\s*${TAG})*)\s*$`);

const malformed = (source: string) => `an entity tag as ${source} sends in ETag (such as "3"), a list of them, or *`;

/** `ETag` as the OpenAPI document names it on every answer that holds a plan's version. */
export const ETAG_HEADER = {
  ETag: { description: 'the version, such as `"3"`: send it in `If-Match` to save over this version only', required: true, schema: { type: "string" as const } },
};

/** The routes that take `If-Match`, for the OpenAPI document. */
export const IF_MATCH_ROUTES = ["PUT /plans/{id}", "DELETE /plans/{id}", "PUT /agents/{id}", "DELETE /agents/{id}", "PUT /mcp-servers/{name}", "DELETE /mcp-servers/{name}"];
export const IF_MATCH_PARAMETER = {
  name: "if-match", in: "header" as const, required: false, schema: { type: "string" as const },
  description: 'the version the change is for, as GET sent it in `ETag` (`"3"`): 409 naming the current version when it is another',
};

/**
 * The request's `If-Match`, checked (malformed is 400 naming it). Read here rather than declared on the route,
 * so the typed client's calls that send none still type-check as they did.
 */
export function ifMatchOf(c: Context, source = "GET /plans/{id}"): string | undefined {
  const header = c.req.header("if-match");
  const message = malformed(source);
  if (header !== undefined && !IF_MATCH.test(header)) throw badRequest(`invalid request: ${jsonPath(["if-match"])}: ${message}`, [{ path: jsonPath(["if-match"]), message }]);
  return header;
}

const tagsOf = (header: string): string[] => header.match(new RegExp(TAG, "g")) ?? [];

/**
 * Whether `If-Match` lets a save over `version` go ahead: `*`, or one of its tags is the version's.
 * Weak tags never match (RFC 9110 compares If-Match strongly).
 */
export function ifMatches(header: string, version: number): boolean {
  if (header.trim() === "*") return true;
  return tagsOf(header).includes(versionTag(version));
}

/**
 * Whether `If-None-Match` names the plan's current version (`*`, or one of its tags, weak or strong: RFC 9110
 * compares it weakly), so a GET answers 304 and the client keeps what it has. A malformed one is ignored, as HTTP says.
 */
export function noneMatch(header: string | undefined, version: number): boolean {
  if (header === undefined || !IF_MATCH.test(header)) return false;
  if (header.trim() === "*") return true;
  return tagsOf(header).some((t) => t.replace(/^W\//, "") === versionTag(version));
}

/** On a PUT that adds or replaces (`PUT /mcp-servers/{name}`): `*` adds only. */
export const ADD_ONLY_PARAMETER = {
  name: "if-none-match", in: "header" as const, required: false, schema: { type: "string" as const, enum: ["*"] },
  description: "`*`: add only, never replace; 409 naming the version when one exists by that name",
};

export const IF_NONE_MATCH_PARAMETER = {
  name: "if-none-match", in: "header" as const, required: false, schema: { type: "string" as const },
  description: 'the `ETag` a client holds (`"3"`): 304 with no body while the plan is still at that version',
};

/** The version an `If-Match` names, when it names exactly one. */
export function baseVersion(header: string): number | null {
  const tags = tagsOf(header);
  const m = tags.length === 1 ? /^"([1-9]\d{0,8})"$/.exec(tags[0]) : null;
  return m ? Number(m[1]) : null;
}

/** A save built on version `from` (a chat's draft, an edit), or a delete sent for it, when the plan is at `version` meanwhile. */
export const newerVersion = (planId: string, version: number, from: number | null, what: "draft" | "edit" | "delete", retry: string) =>
  new ApiError(
    "conflict",
    from !== null && from > version
      ? `plan ${planId} is at version ${version} and has had no version ${from}: look at version ${version}, then ${retry} to ${what === "delete" ? "delete" : "replace"} it`
      : what === "delete"
      ? `plan ${planId} is at version ${version}, not the version${from === null ? "" : ` ${from}`} this delete was sent for: look at version ${version}, then ${retry} to delete it`
      : `plan ${planId} is at version ${version}, not the version${from === null ? "" : ` ${from}`} this ${what} builds on: saving would undo what changed since. Look at version ${version}, then ${retry} to replace it`,
    { plan_id: planId, version, from_version: from },
    { etag: versionTag(version) },
  );
