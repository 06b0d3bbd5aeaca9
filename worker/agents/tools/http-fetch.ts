import { z } from "zod";
import type { ToolSpec } from "../types";
import { MAX_REDIRECTS, refusedSchemeReason, refusedUrlReason } from "./address";
import { ToolError } from "./tool-error";

export const HTTP_FETCH_MAX_BYTES = 1024 * 1024;
export const HTTP_FETCH_TIMEOUT_MS = 15_000;
export const httpFetchSpec: ToolSpec = {
  name: "http_fetch",
  description: "Fetch a URL over HTTP(S). Returns the status line, the content type and the body as text (at most 1 MB); a body that is not text (an image, a PDF) is only described.",
  parameters: {
    type: "object",
    properties: {
      url: { type: "string", description: "absolute http or https URL" },
      method: { type: "string", enum: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] },
      headers: { type: "object", additionalProperties: { type: "string" } },
      body: { type: "string" },
    },
    required: ["url"],
  },
};

const argsSchema = z.object({
  url: z.string(),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
});

export interface HttpFetchOptions {
  allowPrivate: boolean;
  maxBytes?: number;
  timeoutMs?: number;
}

/** One request, following redirects by hand so every hop passes the address check. */
export async function httpFetch(raw: Record<string, unknown>, o: HttpFetchOptions, signal: AbortSignal): Promise<{ result: string; truncated?: true }> {
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) throw new ToolError(`invalid arguments: ${z.prettifyError(parsed.error)}`);
  let { method, body, headers } = parsed.data;
  const timeoutMs = o.timeoutMs ?? HTTP_FETCH_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let url = parseUrl(parsed.data.url);
  try {
    for (let hop = 0; ; hop++) {
      const refused = o.allowPrivate ? refusedSchemeReason(url) : refusedUrlReason(url);
      if (refused) throw new ToolError(`refused: ${refused}`);
      const res = await fetch(url, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body, redirect: "manual", signal: combined });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new ToolError(`more than ${MAX_REDIRECTS} redirects`);
        const next = parseUrl(location, url);
        if (next.origin !== url.origin) headers = crossOriginHeaders(headers);
        url = next;
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
          method = "GET";
          body = undefined;
        }
        continue;
      }
      const type = res.headers.get("content-type") ?? "";
      const head = `HTTP ${res.status} ${res.statusText}\ncontent-type: ${type}\n\n`;
      if (type && !isTextType(type)) {
        await res.body?.cancel();
        const length = res.headers.get("content-length");
        return { result: `${head}[${length ? `${length} bytes of ` : ""}${type.split(";")[0]}: not text, so not shown]` };
      }
      const { text, truncated } = await readCapped(res, o.maxBytes ?? HTTP_FETCH_MAX_BYTES);
      return truncated ? { result: `${head}${text}\n[truncated: the body is larger than ${o.maxBytes ?? HTTP_FETCH_MAX_BYTES} bytes]`, truncated } : { result: head + text };
    }
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted) throw new ToolError(`no complete answer within ${timeoutMs} ms`);
    if (e instanceof ToolError) throw e;
    throw new ToolError(`fetch failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** What a call's headers may carry to another origin than the one it named: none that could be a credential for that one. */
const CROSS_ORIGIN_SAFE = new Set(["accept", "accept-language", "user-agent", "cache-control"]);

/**
 * The headers a redirect to another origin takes along. A model puts a key where the API it calls wants it
 * (`authorization`, `x-api-key`, a cookie…), and a redirect must not hand it to whoever the first host names.
 */
const crossOriginHeaders = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => CROSS_ORIGIN_SAFE.has(name.toLowerCase())));

/**
 * Bodies the model can read: text, JSON, XML, JavaScript, forms. Others (images, PDFs, archives) would reach it as
 * up to 256 KB of mangled bytes, paid for as tokens. A body with no content type is read as text.
 */
export const isTextType = (contentType: string): boolean =>
  /^\s*(?:text\/[\w.+-]+|[\w.-]+\/(?:[\w.-]+\+)?(?:json|xml)|application\/(?:javascript|ecmascript|x-www-form-urlencoded|x-ndjson|ndjson|yaml|x-yaml|toml|csv|graphql|sql))\s*(?:;|$)/i.test(contentType);

function parseUrl(s: string, base?: URL): URL {
  try {
    return new URL(s, base);
  } catch {
    throw new ToolError(`not a valid URL: ${s}`);
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<{ text: string; truncated?: true }> {
  if (!res.body) return { text: "" };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode() };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room));
      await reader.cancel();
      return { text, truncated: true };
    }
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}
