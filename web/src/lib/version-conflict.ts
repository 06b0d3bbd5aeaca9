import { ApiError } from "../api";

/** The version an agent or MCP server is at when a save or delete was refused for naming an older one (409 `{…, version}`), else null. */
export function movedTo(e: unknown): number | null {
  if (!(e instanceof ApiError) || e.status !== 409) return null;
  const d = e.details as { version?: unknown } | undefined;
  return d && !Array.isArray(d) && typeof d.version === "number" ? d.version : null;
}
