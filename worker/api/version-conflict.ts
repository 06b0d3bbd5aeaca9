import { ApiError } from "../lib/errors";
import { versionTag } from "./plan-etag";

/**
 * A PUT or DELETE sent for version `from` of `subject` ("agent agt_…", "MCP server notes") that is at `version`
 * meanwhile: 409 with the current ETag; `lost` says what an edit saved over it would undo.
 */
function movedOn(subject: string, ids: Record<string, string>, version: number, from: number | null, what: "edit" | "delete", lost = "") {
  return new ApiError(
    "conflict",
    `${subject} is at version ${version}, not the version${from === null ? "" : ` ${from}`} this ${what} was sent for${what === "edit" ? `: saving would undo what changed since${lost}` : ""}. Look at version ${version}, then send If-Match: ${versionTag(version)} to ${what === "edit" ? "replace" : "delete"} it`,
    { ...ids, version, from_version: from },
    { etag: versionTag(version) },
  );
}

export const agentMoved = (agentId: string, version: number, from: number | null, what: "edit" | "delete") =>
  movedOn(`agent ${agentId}`, { agent_id: agentId }, version, from, what);

export const mcpServerMoved = (name: string, version: number, from: number | null, what: "edit" | "delete") =>
  movedOn(`MCP server ${name}`, { name }, version, from, what, " (a URL, a rotated credential)");

/** A PUT with `If-None-Match: *` (add, never replace) for a name a server has. */
export const mcpServerExists = (name: string, version: number) =>
  new ApiError(
    "conflict",
    `an MCP server named ${name} exists already (version ${version}): adding would replace its URL and credentials. Pick another name, or edit it with If-Match: ${versionTag(version)}`,
    { name, version },
    { etag: versionTag(version) },
  );
