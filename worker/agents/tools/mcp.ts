import { z } from "zod";
import type { ToolSpec } from "../types";
import { McpSession } from "./mcp-rpc";
import { ToolError } from "./tool-error";

export const MCP_TIMEOUT_MS = 30_000;
/** An answer is read whole to parse it, and a result is cut to 256 KB after: past this it is not read at all. */
export const MCP_MAX_BYTES = 8 * 1024 * 1024;
const MAX_LIST_PAGES = 20;

const listSchema = z.object({
  tools: z.array(z.object({ name: z.string(), description: z.string().nullish(), inputSchema: z.record(z.string(), z.unknown()).nullish() })),
  nextCursor: z.string().nullish(),
});

const callSchema = z.object({
  content: z.array(z.object({ type: z.string() }).loose()).default([]),
  structuredContent: z.unknown().optional(),
  isError: z.boolean().nullish(),
});

const resourceSchema = z.object({ uri: z.string(), mimeType: z.string().nullish(), text: z.string().optional() }).loose();

/** The tools of one remote MCP server (Streamable HTTP). */
export class McpClient {
  private readonly session: McpSession;

  constructor(
    private readonly url: string,
    timeoutMs = MCP_TIMEOUT_MS,
    maxBytes = MCP_MAX_BYTES,
    allowPrivate = false,
    credentials: Readonly<Record<string, string>> = {},
  ) {
    this.session = new McpSession(url, timeoutMs, maxBytes, allowPrivate, credentials);
  }

  /** The result of `method`, read as `schema` says; one of another shape is a tool error naming the server and the method. */
  private async request<T extends z.ZodType>(schema: T, method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<z.infer<T>> {
    const parsed = schema.safeParse(await this.session.request(method, params, signal));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const at = issue.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new ToolError(`MCP server ${this.url} answered ${method} with a result not of the protocol's shape (${issue.message}${at})`);
  }

  async listTools(signal: AbortSignal): Promise<ToolSpec[]> {
    const specs: ToolSpec[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const parsed = await this.request(listSchema, "tools/list", cursor ? { cursor } : {}, signal);
      for (const t of parsed.tools) {
        specs.push({ name: t.name, description: t.description ?? "", parameters: t.inputSchema ?? { type: "object", properties: {} } });
      }
      cursor = parsed.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return specs;
  }

  /**
   * The tool's text content, one block per line; media and binary resources are named, not inlined (their base64
   * would reach the model as text). An `isError` result is a tool error, so the trace marks it failed.
   */
  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    const parsed = await this.request(callSchema, "tools/call", { name, arguments: args }, signal);
    const parts = parsed.content.map(blockText);
    if (!parts.length && parsed.structuredContent !== undefined) parts.push(JSON.stringify(parsed.structuredContent));
    const text = parts.join("\n");
    if (parsed.isError) throw new ToolError(text.trim() ? text : "the tool reported an error and said nothing of it");
    return text;
  }
}

function blockText(block: z.infer<typeof callSchema>["content"][number]): string {
  if (block.type === "text" && typeof block.text === "string") return block.text;
  if (block.type === "image" || block.type === "audio") return `[${block.type}: ${String(block.mimeType ?? "")}]`;
  const resource = block.type === "resource" ? resourceSchema.safeParse(block.resource) : undefined;
  if (resource?.success) {
    const r = resource.data;
    return typeof r.text === "string" ? r.text : `[resource ${r.uri}: ${r.mimeType ?? "binary"}, not text]`;
  }
  return JSON.stringify(block);
}
