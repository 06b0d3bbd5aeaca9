import { z } from "zod";
import { boundedText } from "../../lib/bounded-body";
import type { ToolSpec, WebSearchRecord } from "../types";
import { ToolError } from "./tool-error";

export type SearchResult = WebSearchRecord["results"][number];

/** Where `web_search` gets its results; swap in a real search API by implementing this. */
export interface SearchBackend {
  search(query: string, signal: AbortSignal): Promise<SearchResult[]>;
}

export const webSearchSpec: ToolSpec = {
  name: "web_search",
  description: "Search the web. Returns a JSON list of results with title, url and snippet.",
  parameters: {
    type: "object",
    properties: { query: { type: "string", description: "what to search for" } },
    required: ["query"],
  },
  native: "web_search",
};

/** Fixed, reproducible results derived from the query alone (the `.invalid` domain never resolves). */
export function offlineResults(query: string): SearchResult[] {
  const q = query.trim();
  const slug = encodeURIComponent(q.toLowerCase().replace(/\s+/g, "-"));
  return [1, 2, 3].map((i) => ({
    title: `${q} — result ${i}`,
    url: `https://search.invalid/${slug}/${i}`,
    snippet: `Offline result ${i} for "${q}".`,
  }));
}


const SEARCH_TIMEOUT_MS = 15_000;
const MAX_RESULTS = 10;
/** Ten results are a few KB: an answer past this is not read on, as an MCP server's is not. */
export const SEARCH_MAX_BYTES = 8 * 1024 * 1024;

const SearxngAnswer = z.object({
  results: z.array(z.object({ title: z.string().catch(""), url: z.string(), content: z.string().optional().catch(undefined) }).loose()),
});

/**
 * A SearXNG-compatible JSON endpoint (`GET <url>?q=…&format=json` → `{results: [{title, url, content}]}`), which
 * self-hosted SearXNG and several hosted search APIs speak. The URL is the operator's choice, not the model's, so
 * the private-address rule of http_fetch does not apply (as for MCP servers).
 */
export function searxngSearch(endpoint: string): SearchBackend {
  return {
    async search(query, signal) {
      const url = new URL(endpoint);
      url.searchParams.set("q", query);
      url.searchParams.set("format", "json");
      let res: Response;
      try {
        res = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.any([signal, AbortSignal.timeout(SEARCH_TIMEOUT_MS)]) });
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        throw new ToolError(`the search service did not answer: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new ToolError(`the search service answered ${res.status}`);
      }
      const tooLarge = () => new ToolError(`the search service sent more than ${SEARCH_MAX_BYTES} bytes, so its answer was not read`);
      let json: unknown = null;
      try {
        json = JSON.parse(await boundedText(res, SEARCH_MAX_BYTES, tooLarge));
      } catch (e) {
        if (e instanceof ToolError) throw e;
      }
      const parsed = SearxngAnswer.safeParse(json);
      if (!parsed.success) throw new ToolError("the search service's answer is not a SearXNG JSON result list");
      return parsed.data.results.slice(0, MAX_RESULTS).map((r) => ({ title: r.title, url: r.url, snippet: r.content ?? "" }));
    },
  };
}

/** A model with no search of its own, and no search service configured: told so, never given made-up results. */
export const noSearch: SearchBackend = {
  search: async () => {
    throw new ToolError("web search is not set up here: the operator sets WEB_SEARCH_URL (a SearXNG-compatible JSON endpoint); answer without it");
  },
};

/** The offline model's: the offline results its own searches get, when its script calls the tool by name (`@tool web_search`). */
export const offlineSearch: SearchBackend = { search: async (query) => offlineResults(query) };

/** The backend for models that call `web_search` as a function (the sim and Anthropic models search natively). */
export const searchBackendFor = (env: { WEB_SEARCH_URL?: string }): SearchBackend => (env.WEB_SEARCH_URL ? searxngSearch(env.WEB_SEARCH_URL) : noSearch);
