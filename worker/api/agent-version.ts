import { ApiError } from "../lib/errors";
import { versionTag } from "./plan-etag";

/** A PUT or DELETE sent for version `from` of an agent that is at `version` meanwhile: 409 with the current ETag. */
export const agentMoved = (agentId: string, version: number, from: number | null, what: "edit" | "delete") =>
  new ApiError(
    "conflict",
    `agent ${agentId} is at version ${version}, not the version${from === null ? "" : ` ${from}`} this ${what} was sent for${what === "edit" ? ": saving would undo what changed since" : ""}. Look at version ${version}, then send If-Match: ${versionTag(version)} to ${what === "edit" ? "replace" : "delete"} it`,
    { agent_id: agentId, version, from_version: from },
    { etag: versionTag(version) },
  );
