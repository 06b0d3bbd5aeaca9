import { ApiError } from "../lib/errors";
import { versionTag } from "./plan-etag";

/** A PUT or DELETE sent for version `from` of a server that is at `version` meanwhile: 409 with the current ETag. */
export const mcpServerMoved = (name: string, version: number, from: number | null, what: "edit" | "delete") =>
  new ApiError(
    "conflict",
    `MCP server ${name} is at version ${version}, not the version${from === null ? "" : ` ${from}`} this ${what} was sent for${what === "edit" ? ": saving would undo what changed since (a URL, a rotated credential)" : ""}. Look at version ${version}, then send If-Match: ${versionTag(version)} to ${what === "edit" ? "replace" : "delete"} it`,
    { name, version, from_version: from },
    { etag: versionTag(version) },
  );

/** A PUT with `If-None-Match: *` (add, never replace) for a name a server has. */
export const mcpServerExists = (name: string, version: number) =>
  new ApiError(
    "conflict",
    `an MCP server named ${name} exists already (version ${version}): adding would replace its URL and credentials. Pick another name, or edit it with If-Match: ${versionTag(version)}`,
    { name, version },
    { etag: versionTag(version) },
  );
