import { type FakeServer, listen, sendJson } from "./listen";

/**
 * Plain HTTP for `http_fetch`: text, JSON echo (of the body, or of the headers that carry credentials), a redirect to any `to`, a 2 MB body, an image, redirects (one to a `data:` URL), a 404, a request that never ends, and call
 * counters; and `/searx/search`, a SearXNG JSON search endpoint for `web_search` (`q=down`: a 503; `q=huge`: a 9 MB answer).
 */
export function startHttp(): Promise<FakeServer> {
  const counts = new Map<string, number>();
  return listen((req, body, res) => {
    const counter = /^\/(count|counts)\/([\w-]+)$/.exec(req.url ?? "");
    if (counter) {
      const [, verb, key] = counter;
      if (verb === "count") counts.set(key, (counts.get(key) ?? 0) + 1);
      return sendJson(res, 200, { key, count: counts.get(key) ?? 0 });
    }
    const search = new URL(req.url ?? "/", "http://x");
    if (search.pathname === "/searx/search") {
      const q = search.searchParams.get("q") ?? "";
      if (search.searchParams.get("format") !== "json" || q === "down") return sendJson(res, 503, { error: "unavailable" });
      if (q === "huge") {
        // one result whose snippet is 9 MB, streamed with no length
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"results": [{"title": "huge", "url": "https://example.org/huge", "content": "');
        for (let i = 0; i < 144; i++) res.write("a".repeat(64 * 1024));
        return void res.end('"}]}');
      }
      const results = Array.from({ length: 12 }, (_, i) => ({ title: `${q} #${i + 1}`, url: `https://example.org/${i + 1}`, content: `about ${q}`, engine: "fake" }));
      return sendJson(res, 200, { query: q, results, number_of_results: 12 });
    }
    switch (search.pathname) {
      case "/hello":
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        return void res.end("hello from the fake server");
      case "/echo":
        return sendJson(res, 200, { method: req.method, body, test_header: req.headers["x-test"] ?? null });
      case "/headers": {
        const { authorization, cookie, "x-api-key": apiKey, accept, "x-test": test } = req.headers;
        return sendJson(res, 200, { authorization, cookie, "x-api-key": apiKey, accept, "x-test": test });
      }
      case "/redirect-to":
        res.writeHead(Number(search.searchParams.get("status") ?? 302), { location: search.searchParams.get("to") ?? "/hello" });
        return void res.end();
      case "/big":
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 32; i++) res.write("a".repeat(64 * 1024));
        return void res.end();
      case "/png":
        res.writeHead(200, { "content-type": "image/png", "content-length": "4096" });
        return void res.end(Buffer.alloc(4096, 0x89));
      case "/svg":
        res.writeHead(200, { "content-type": "image/svg+xml" });
        return void res.end("<svg/>");
      case "/redirect":
        res.writeHead(302, { location: "/hello" });
        return void res.end();
      case "/redirect-data":
        res.writeHead(302, { location: "data:text/plain,not%20from%20the%20web" });
        return void res.end();
      case "/redirect-loop":
        res.writeHead(302, { location: "/redirect-loop" });
        return void res.end();
      case "/slow":
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" });
        return void res.end("nope");
    }
  });
}
