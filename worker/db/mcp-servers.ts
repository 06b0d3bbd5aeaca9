import type { McpServerResolver, NamedMcpServer } from "../agents/tools";
import { StepError } from "../agents/types";
import type { Bindings } from "../env";
import { open, SecretsKeyMissing } from "../lib/secret-box";

/** What an `mcp:<name>` names: never a URL, so the two forms cannot be mistaken for each other. */
export const MCP_SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The additional data a server's headers are sealed with: they open only for this organization, name and URL. */
export const sealContext = (orgId: string, name: string, url: string) => `mcp_servers\n${orgId}\n${name}\n${url}`;

export interface McpServerRow {
  name: string;
  url: string;
  headers: string | null;
  header_names: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
  version: number;
}

/** How long a task object trusts servers it read; PUT and DELETE answer this long after their write. */
export const MCP_SERVER_CACHE_MS = 1_000;

/**
 * The named servers of an organization, read and opened when a run first lists its tools. A reading is shared for
 * MCP_SERVER_CACHE_MS by the runs that start meanwhile (a loop's fan-out is one D1 read, not one per item), and
 * PUT/DELETE answer after that long, so a rotation or deletion holds for every run that starts after the answer.
 */
export function cachedMcpServerResolver(env: Pick<Bindings, "DB" | "SECRETS_KEY">, orgId: () => string, now = () => Date.now()): McpServerResolver {
  const cache = new Map<string, { servers: Promise<Map<string, NamedMcpServer>>; at: number }>();
  return (names) => {
    const key = [...new Set(names)].sort().join("\n");
    const hit = cache.get(key);
    if (hit && now() - hit.at < MCP_SERVER_CACHE_MS) return hit.servers;
    const servers = mcpServerResolver(env, orgId())(names);
    cache.set(key, { servers, at: now() });
    servers.catch(() => cache.delete(key));
    return servers;
  };
}

/** One server that is gone fails the run at once, naming it: a retry would not bring it back. */
export function mcpServerResolver(env: Pick<Bindings, "DB" | "SECRETS_KEY">, orgId: string): McpServerResolver {
  return async (names) => {
    const wanted = [...new Set(names)];
    const { results } = await env.DB.prepare(`SELECT name, url, headers FROM mcp_servers WHERE org_id = ? AND name IN (${wanted.map(() => "?").join(", ")})`)
      .bind(orgId, ...wanted)
      .all<Pick<McpServerRow, "name" | "url" | "headers">>();
    const found = new Map(results.map((r) => [r.name, r]));
    const out = new Map<string, NamedMcpServer>();
    for (const name of wanted) {
      const row = found.get(name);
      if (!row) throw new StepError(`MCP server ${name} is not configured in this organization (it was deleted, or never added): an admin adds it under Settings → MCP servers`, false);
      out.set(name, { url: row.url, headers: await openHeaders(env, orgId, row) });
    }
    return out;
  };
}

async function openHeaders(env: Pick<Bindings, "SECRETS_KEY">, orgId: string, row: Pick<McpServerRow, "name" | "url" | "headers">): Promise<Record<string, string>> {
  if (row.headers == null) return {};
  let plain: string | null;
  try {
    plain = await open(env.SECRETS_KEY, row.headers, sealContext(orgId, row.name, row.url));
  } catch (e) {
    if (e instanceof SecretsKeyMissing) throw new StepError(`MCP server ${row.name} has credentials, but ${e.message}`, false);
    throw e;
  }
  if (plain == null) throw new StepError(`MCP server ${row.name}'s credentials cannot be opened with this instance's SECRETS_KEY (was it changed?): an admin sets them again under Settings → MCP servers`, false);
  return JSON.parse(plain) as Record<string, string>;
}

/** The servers that tools name as `mcp:<name>` and the organization has not configured. */
export async function unknownMcpServers(d1: D1Database, orgId: string, tools: readonly string[]): Promise<string[]> {
  const named = [...new Set(tools.filter((t) => t.startsWith("mcp:") && MCP_SERVER_NAME.test(t.slice(4))).map((t) => t.slice(4)))];
  if (!named.length) return [];
  const { results } = await d1.prepare(`SELECT name FROM mcp_servers WHERE org_id = ? AND name IN (${named.map(() => "?").join(", ")})`).bind(orgId, ...named).all<{ name: string }>();
  const known = new Set(results.map((r) => r.name));
  return named.filter((n) => !known.has(n));
}
