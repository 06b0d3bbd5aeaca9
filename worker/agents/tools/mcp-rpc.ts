import { z } from "zod";
import { bounded } from "../../lib/bounded-body";
import { sseEvents } from "../providers/sse";
import { MAX_REDIRECTS, refusedSchemeReason, refusedUrlReason } from "./address";
import { ToolError } from "./tool-error";

const PROTOCOL_VERSION = "2025-06-18";

const responseSchema = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number()]).nullish(),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string() }).optional(),
});

/**
 * JSON-RPC over MCP's Streamable HTTP transport: every message is a POST; the server answers with JSON or with
 * an event stream that carries the response among other messages. Keeps the session id the server hands out.
 */
export class McpSession {
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private nextId = 1;
  private ready: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
    private readonly maxBytes: number,
    private readonly allowPrivate = false,
    /** a named server's headers (its credentials): sent to its own origin only, never across a redirect to another */
    private readonly credentials: Readonly<Record<string, string>> = {},
  ) {}

  async request(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    await this.initialize(signal);
    try {
      return await this.send(method, params, signal);
    } catch (e) {
      if (!(e instanceof SessionExpired)) throw e;
      this.ready = undefined;
      await this.initialize(signal);
      return this.send(method, params, signal);
    }
  }

  private initialize(signal: AbortSignal): Promise<void> {
    this.ready ??= (async () => {
      this.sessionId = undefined;
      this.protocolVersion = undefined;
      const result = await this.send(
        "initialize",
        { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "flightdeck", version: "0.1.0" } },
        signal,
      );
      const version = z.object({ protocolVersion: z.string() }).safeParse(result);
      this.protocolVersion = version.success ? version.data.protocolVersion : PROTOCOL_VERSION;
      await this.post({ jsonrpc: "2.0", method: "notifications/initialized" }, AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)])).then((r) => r.body?.cancel());
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async send(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const id = this.nextId++;
    // the answer's body counts against the time too: a server may stream notifications and never the response
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await this.post({ jsonrpc: "2.0", id, method, params }, AbortSignal.any([signal, timeout]));
      if (res.status === 404 && this.sessionId && method !== "initialize") throw new SessionExpired();
      if (!res.ok) throw new ToolError(`MCP server ${this.url} answered HTTP ${res.status} to ${method}`);
      const sid = res.headers.get("mcp-session-id");
      if (sid) this.sessionId = sid;
      const message = await this.responseTo(id, method, res);
      if (message.error) throw new ToolError(`MCP error ${message.error.code}: ${message.error.message}`);
      return message.result;
    } catch (e) {
      if (signal.aborted || e instanceof ToolError || e instanceof SessionExpired) throw e;
      if (timeout.aborted) throw new ToolError(`MCP server ${this.url} sent no complete answer to ${method} within ${this.timeoutMs} ms`);
      throw new ToolError(`MCP server ${this.url} failed on ${method}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * An admin chose the server's URL, not where it redirects: a redirect (307 or 308, which keep the POST) to another
   * origin passes `http_fetch`'s address rule first, so a server cannot send the session to a private address.
   */
  private async post(body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (this.sessionId) headers["mcp-session-id"] = this.sessionId;
    if (this.protocolVersion) headers["mcp-protocol-version"] = this.protocolVersion;
    const home = new URL(this.url);
    let url = home;
    for (let hop = 0; ; hop++) {
      const sent = url.origin === home.origin ? { ...this.credentials, ...headers } : headers;
      const res = await fetch(url, { method: "POST", headers: sent, body: JSON.stringify(body), signal, redirect: "manual" });
      const location = res.headers.get("location");
      if ((res.status !== 307 && res.status !== 308) || !location) return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new ToolError(`MCP server ${this.url} redirected more than ${MAX_REDIRECTS} times`);
      const next = URL.canParse(location, url) ? new URL(location, url) : null;
      if (!next) throw new ToolError(`MCP server ${this.url} redirected to ${location}, which is not a URL`);
      const refused = next.origin === home.origin || this.allowPrivate ? refusedSchemeReason(next) : refusedUrlReason(next);
      if (refused) throw new ToolError(`MCP server ${this.url} redirected to ${next.href}, which is refused: ${refused}`);
      url = next;
    }
  }

  private async responseTo(id: number, method: string, res: Response): Promise<z.infer<typeof responseSchema>> {
    const type = res.headers.get("content-type") ?? "";
    const body = res.body && bounded(res.body, this.maxBytes, () => new ToolError(`MCP server ${this.url} sent more than ${this.maxBytes} bytes in answer to ${method}, so it was not read; ask the tool for less`));
    if (type.includes("text/event-stream") && body) {
      for await (const event of sseEvents(body)) {
        const found = pick(id, JSON.parse(event.data));
        if (found) return found;
      }
    } else {
      const found = pick(id, JSON.parse(body ? await new Response(body).text() : ""));
      if (found) return found;
    }
    throw new ToolError(`MCP server ${this.url} sent no response to request ${id}`);
  }
}

class SessionExpired extends Error {}

function pick(id: number, json: unknown): z.infer<typeof responseSchema> | undefined {
  for (const m of Array.isArray(json) ? json : [json]) {
    const parsed = responseSchema.safeParse(m);
    if (parsed.success && parsed.data.id === id) return parsed.data;
  }
  return undefined;
}
