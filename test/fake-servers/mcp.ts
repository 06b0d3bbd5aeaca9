import type { ServerResponse } from "node:http";
import { type FakeServer, type Json, listen, sendJson } from "./listen";

const TOOLS = [
  { name: "add", description: "Add two numbers", inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } },
  { name: "echo", description: "Echo text", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
  { name: "fail", description: "Always fails", inputSchema: { type: "object", properties: {} } },
  { name: "fail_silently", description: "Fails and says nothing", inputSchema: { type: "object", properties: {} } },
  { name: "forget_session", description: "Ends the caller's session", inputSchema: { type: "object", properties: {} } },
  { name: "files", description: "Returns a text and a binary resource", inputSchema: { type: "object", properties: {} } },
  { name: "notes.read", description: "A dotted name, as MCP allows", inputSchema: { type: "object", properties: {} } },
  { name: "notes_read", description: "The name notes.read is offered under", inputSchema: { type: "object", properties: {} } },
  { name: "web.search", description: "The name of a built-in once made safe", inputSchema: { type: "object", properties: {} } },
  { name: "slow", description: "Never answers", inputSchema: { type: "object", properties: {} } },
  { name: "huge", description: "Answers with `kb` KB of text", inputSchema: { type: "object", properties: { kb: { type: "number" } } } },
  { name: "whoami", description: "Echoes the credential the call came with, as a careless server might", inputSchema: { type: "object", properties: {} } },
  { name: "odd_shape", description: "Answers with a result that is not an object", inputSchema: { type: "object", properties: {} } },
];

/**
 * A Streamable HTTP MCP server: `/mcp` answers with JSON, `/mcp-sse` with an event stream that sends a log
 * notification before each response (`/mcp-moved` redirects to `/mcp`). Tools are listed over two pages. `/stats`
 * reports how many sessions began. `/mcp-auth` answers 401 to a request without an `Authorization` header;
 * `/seen?tag=<t>` lists the `Authorization` and `X-Api-Key` each request whose URL held `tag=<t>` came with.
 */
export function startMcp(): Promise<FakeServer> {
  const sessions = new Set<string>();
  const seen: { tag: string; path: string; authorization: string | null; x_api_key: string | null }[] = [];
  let started = 0;
  return listen((req, raw, res) => {
    if (req.url === "/stats") return sendJson(res, 200, { sessions_started: started });
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/seen") return sendJson(res, 200, { requests: seen.filter((s) => s.tag === url.searchParams.get("tag")) });
    const tag = url.searchParams.get("tag");
    const authorization = req.headers.authorization ?? null;
    if (tag) seen.push({ tag, path: url.pathname, authorization, x_api_key: (req.headers["x-api-key"] as string | undefined) ?? null });
    if (url.pathname === "/mcp-auth") {
      if (!authorization) return sendJson(res, 401, { error: "an Authorization header is required" });
      req.url = "/mcp";
    } else if (tag) req.url = url.pathname;
    if (req.url === "/mcp-moved") {
      res.writeHead(307, { location: `/mcp${url.search}` });
      return void res.end();
    }
    const sse = req.url === "/mcp-sse";
    if (req.method !== "POST" || (req.url !== "/mcp" && !sse)) return sendJson(res, 404, { error: "not found" });
    const accept = req.headers.accept ?? "";
    if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return sendJson(res, 406, { error: "Accept must list application/json and text/event-stream" });
    const msg = JSON.parse(raw) as Json;
    const reply = (result: unknown, headers: Record<string, string> = {}) => respond(res, sse, { jsonrpc: "2.0", id: msg.id, result }, headers);
    const fail = (code: number, message: string) => respond(res, sse, { jsonrpc: "2.0", id: msg.id, error: { code, message } });
    if (msg.method === "initialize") {
      const id = `sess-${++started}`;
      sessions.add(id);
      return reply({ protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "fake-mcp", version: "1.0.0" } }, { "mcp-session-id": id });
    }
    const session = String(req.headers["mcp-session-id"] ?? "");
    if (!session) return sendJson(res, 400, { jsonrpc: "2.0", id: msg.id ?? null, error: { code: -32000, message: "Mcp-Session-Id header is required" } });
    if (!sessions.has(session)) return sendJson(res, 404, { jsonrpc: "2.0", id: msg.id ?? null, error: { code: -32001, message: "Session not found" } });
    if (msg.method === "notifications/initialized") {
      res.writeHead(202);
      return void res.end();
    }
    const params = (msg.params ?? {}) as Json;
    if (msg.method === "tools/list") {
      return params.cursor === "page-2" ? reply({ tools: TOOLS.slice(2) }) : reply({ tools: TOOLS.slice(0, 2), nextCursor: "page-2" });
    }
    if (msg.method === "tools/call") {
      const args = (params.arguments ?? {}) as Json;
      switch (params.name) {
        case "add":
          return reply({ content: [{ type: "text", text: String(Number(args.a) + Number(args.b)) }] });
        case "echo":
          return reply({ content: [{ type: "text", text: String(args.text) }] });
        case "fail":
          return reply({ content: [{ type: "text", text: "boom" }], isError: true });
        case "fail_silently":
          return reply({ content: [], isError: true });
        case "files":
          return reply({
            content: [
              { type: "resource", resource: { uri: "file:///notes.txt", mimeType: "text/plain", text: "the notes" } },
              { type: "resource", resource: { uri: "file:///logo.png", mimeType: "image/png", blob: "iVBORw0KGgo".repeat(1000) } },
            ],
          });
        case "notes.read":
          return reply({ content: [{ type: "text", text: "the notes" }] });
        case "notes_read":
          return reply({ content: [{ type: "text", text: "the other notes" }] });
        case "web.search":
          return reply({ content: [{ type: "text", text: "searched" }] });
        case "slow":
          return;
        case "huge":
          return reply({ content: [{ type: "text", text: "0123456789abcdef".repeat(64 * Number(args.kb)) }] });
        case "whoami":
          return reply({ content: [{ type: "text", text: `you are ${String(authorization)} (key ${String(req.headers["x-api-key"])})` }] });
        case "odd_shape":
          return reply("just a string");
        case "forget_session":
          sessions.delete(session);
          return reply({ content: [{ type: "text", text: "forgotten" }] });
        default:
          return fail(-32602, `Unknown tool: ${String(params.name)}`);
      }
    }
    return fail(-32601, `Method not found: ${String(msg.method)}`);
  });
}

function respond(res: ServerResponse, sse: boolean, message: Json, headers: Record<string, string> = {}): void {
  if (!sse) return sendJson(res, 200, message, headers);
  res.writeHead(200, { "content-type": "text/event-stream", ...headers });
  res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } })}\n\n`);
  res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  res.end();
}
