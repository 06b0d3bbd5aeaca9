import type { ToolSpec, WebSearchRecord } from "../types";

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

export const offlineSearch: SearchBackend = {
  search: async (query) => offlineResults(query),
};
