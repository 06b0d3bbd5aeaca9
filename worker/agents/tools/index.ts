import type { Bindings } from "../../env";
import { StepError, type ToolCall, type ToolSpec } from "../types";
import { askHumanSpec, MAX_QUESTION_CHARS, spawnTaskSpec } from "./builtins";
import { maskSecrets } from "../../lib/mask";
import { capResult } from "./cap";
import type { RenamedTool, ToolHost, ToolOutcome } from "./host";
import { httpFetch, httpFetchSpec } from "./http-fetch";
import { McpClient } from "./mcp";
import { ToolError } from "./tool-error";
import { type SearchBackend, searchBackendFor, webSearchSpec } from "./web-search";

export type { RenamedTool, ToolHost, ToolOutcome, ToolResult, ToolSuspension } from "./host";
export { isSuspension } from "./host";

type Runner = (args: Record<string, unknown>, signal: AbortSignal) => Promise<ToolOutcome>;

export interface ToolHostOptions {
  env: Pick<Bindings, "HTTP_FETCH_ALLOW_PRIVATE" | "WEB_SEARCH_URL">;
  /** the agent's tools: `ask_human`, `http_fetch`, `web_search`, `spawn_task`, or `mcp:<url>` for all of a server's tools */
  names: string[];
  search?: SearchBackend;
  httpFetch?: { maxBytes?: number; timeoutMs?: number };
  mcpTimeoutMs?: number;
  mcpMaxBytes?: number;
  /** the organization's named MCP servers (`mcp:<name>`), read when the run first needs its tools */
  mcpServers?: McpServerResolver;
}

/** A named server's URL and headers; throws a StepError naming it when it does not exist (any more) or cannot be opened. */
export type McpServerResolver = (names: string[]) => Promise<Map<string, NamedMcpServer>>;
export interface NamedMcpServer {
  url: string;
  headers: Record<string, string>;
}

/** `mcp:<url>`, as against `mcp:<name>` of a server the organization configured. */
export const isMcpUrl = (server: string): boolean => /^https?:\/\//i.test(server);

/**
 * Offers and runs an agent's tools. Built-in tools keep their names; an MCP tool whose provider-safe name is taken
 * (by a built-in, or by an MCP tool listed before it) is offered under the first free `<name>_2`, `<name>_3`, …, and
 * `renamed` says so. Results are capped (see cap.ts) and tool failures go back to the model as text rather than failing the run.
 */
export function createToolHost(o: ToolHostOptions): ToolHost {
  let catalog: Promise<Catalog> | undefined;
  let renamed: RenamedTool[] = [];
  /** named servers' header values: masked wherever a server echoes them, so no trace or model sees one */
  let secrets: string[] = [];
  const mask = (text: string) => (secrets.length ? maskSecrets(text, secrets) : text);
  const load = (signal: AbortSignal) => {
    catalog ??= buildCatalog(o, signal, (values) => (secrets = values), mask).then(
      (c) => ((renamed = c.renamed), c),
      (e: unknown) => {
        catalog = undefined;
        throw e;
      },
    );
    return catalog;
  };
  return {
    specs: async (signal) => [...(await load(signal)).tools.values()].map((t) => t.spec),
    renamed: () => renamed,
    execute: async (call: ToolCall, signal: AbortSignal): Promise<ToolOutcome> => {
      const tool = (await load(signal)).tools.get(call.name);
      if (!tool) return failed(`the tool ${call.name} is not available to this agent`);
      try {
        const out = await tool.run(call.arguments, signal);
        return "suspend" in out ? out : { ...capResult(mask(out.result)), ...(out.truncated ? { truncated: true } : {}), ...(out.searches ? { searches: out.searches } : {}) };
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        return failed(mask(e instanceof Error ? e.message : String(e)));
      }
    },
  };
}

const failed = (message: string): ToolOutcome => ({ result: `error: ${message}`, error: message });

interface Catalog {
  tools: Map<string, { spec: ToolSpec; run: Runner }>;
  renamed: RenamedTool[];
}

async function buildCatalog(o: ToolHostOptions, signal: AbortSignal, onSecrets: (values: string[]) => void, mask: (text: string) => string): Promise<Catalog> {
  const tools = new Map<string, { spec: ToolSpec; run: Runner }>();
  /** what holds each name: a built-in's own, or an MCP tool's name and server */
  const holders = new Map<string, string>();
  const renamed: RenamedTool[] = [];
  const add = (spec: ToolSpec, run: Runner, holder = `the built-in ${spec.name}`) => {
    if (tools.has(spec.name)) return;
    tools.set(spec.name, { spec, run });
    holders.set(spec.name, holder);
  };
  const search = o.search ?? searchBackendFor(o.env);
  // built-ins first: their names are the product's, so an MCP tool never takes one
  for (const name of o.names) {
    if (name.startsWith("mcp:")) continue;
    switch (name) {
      case "ask_human":
        add(askHumanSpec, async (args) => {
          const question = requireString(args, "question");
          if (question.length > MAX_QUESTION_CHARS) throw new ToolError(`"question" is at most ${MAX_QUESTION_CHARS} characters; this one has ${question.length}: ask a shorter one`);
          return { suspend: "ask", question };
        });
        break;
      case "spawn_task":
        add(spawnTaskSpec, async (args) => {
          for (const key of ["title", "description", "agent"]) requireString(args, key);
          return { suspend: "spawn", args };
        });
        break;
      case "http_fetch":
        add(httpFetchSpec, (args, s) => httpFetch(args, { allowPrivate: o.env.HTTP_FETCH_ALLOW_PRIVATE === "true", ...o.httpFetch }, s));
        break;
      case "web_search":
        add(webSearchSpec, async (args, s) => ({ result: JSON.stringify(await search.search(requireString(args, "query"), s)), searches: 1 }));
        break;
      default:
        throw new StepError(`unknown tool "${name}": use ask_human, http_fetch, web_search, spawn_task, mcp:<url> or mcp:<server name>`, false);
    }
  }
  const named = o.names.filter((n) => n.startsWith("mcp:") && !isMcpUrl(n.slice(4))).map((n) => n.slice(4));
  if (named.length && !o.mcpServers) throw new StepError(`MCP server ${named[0]} cannot be reached from here: named servers need their organization`, false);
  const configured = named.length ? await o.mcpServers!(named) : new Map<string, NamedMcpServer>();
  onSecrets([...configured.values()].flatMap((s) => Object.values(s.headers).flatMap(secretParts)));
  for (const name of o.names) {
    if (!name.startsWith("mcp:")) continue;
    const server = name.slice(4);
    const entry = isMcpUrl(server) ? { url: server, headers: {} } : configured.get(server)!;
    const client = new McpClient(entry.url, o.mcpTimeoutMs, o.mcpMaxBytes, o.env.HTTP_FETCH_ALLOW_PRIVATE === "true", entry.headers);
    let specs: ToolSpec[];
    try {
      specs = await client.listTools(signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw new StepError(mask(`MCP server ${server} could not list its tools: ${e instanceof Error ? e.message : String(e)}`), true);
    }
    for (const spec of specs) {
      const safe = modelToolName(spec.name);
      const offered = freeName(safe, tools);
      if (offered !== safe) renamed.push({ name: spec.name, server, offered_as: offered, taken_by: holders.get(safe)! });
      add({ ...spec, name: offered }, async (args, s) => ({ result: await client.callTool(spec.name, args, s) }), `${spec.name} of ${server}`);
    }
  }
  return { tools, renamed };
}

/**
 * A header value, and its credential alone when a scheme leads it (`Bearer <token>`): a server may echo either. A
 * value saved before values had to be ASCII went out as UTF-8 bytes, which a server echoes read one byte a character.
 */
export const secretParts = (value: string): string[] => {
  const last = value.trim().split(/\s+/).at(-1) ?? "";
  const parts = last && last !== value ? [value, last] : [value];
  return parts.flatMap((p) => (/^[\x00-\x7f]*$/.test(p) ? [p] : [p, String.fromCharCode(...new TextEncoder().encode(p))]));
};

/** `safe`, or when a tool has it the first of `safe_2`, `safe_3`, … that none has, kept to 64 characters. */
function freeName(safe: string, taken: ReadonlyMap<string, unknown>): string {
  let name = safe;
  for (let n = 2; taken.has(name); n++) name = `${safe.slice(0, 64 - `_${n}`.length)}_${n}`;
  return name;
}

/**
 * MCP allows tool names (`files.read`, `repo/search`) that OpenAI and Anthropic refuse with a 400 for the whole
 * request (`^[a-zA-Z0-9_-]{1,64}$`); the model is offered such a tool under a name made of those characters.
 */
export const modelToolName = (name: string): string => name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "tool";

function requireString(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== "string" || !v.trim()) throw new ToolError(`"${key}" must be a non-empty string`);
  return v;
}
