import { z } from "zod";
import type { ToolSpec } from "../types";
import { McpSession } from "./mcp-rpc";

export const MCP_TIMEOUT_MS = 30_000;
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

/** The tools of one remote MCP server (Streamable HTTP). */
export class McpClient {
  private readonly session: McpSession;

  constructor(url: string, timeoutMs = MCP_TIMEOUT_MS) {
    this.session = new McpSession(url, timeoutMs);
  }

  async listTools(signal: AbortSignal): Promise<ToolSpec[]> {
    const specs: ToolSpec[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const parsed = listSchema.parse(await this.session.request("tools/list", cursor ? { cursor } : {}, signal));
      for (const t of parsed.tools) {
        specs.push({ name: t.name, description: t.description ?? "", parameters: t.inputSchema ?? { type: "object", properties: {} } });
      }
      cursor = parsed.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return specs;
  }

  /** The tool's text content, one block per line; `isError` results come back as `error: …`. */
  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    const parsed = callSchema.parse(await this.session.request("tools/call", { name, arguments: args }, signal));
    const parts = parsed.content.map((block) => {
      if (block.type === "text" && typeof block.text === "string") return block.text;
      if (block.type === "image" || block.type === "audio") return `[${block.type}: ${String(block.mimeType ?? "")}]`;
      return JSON.stringify(block);
    });
    if (!parts.length && parsed.structuredContent !== undefined) parts.push(JSON.stringify(parsed.structuredContent));
    const text = parts.join("\n");
    return parsed.isError ? `error: ${text}` : text;
  }
}
