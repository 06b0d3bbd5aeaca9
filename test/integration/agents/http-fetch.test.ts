import { describe, expect, it } from "vitest";
import { createToolHost } from "../../../worker/agents/tools";
import { local, servers } from "./helpers";

const signal = () => new AbortController().signal;
const fetchCall = (args: Record<string, unknown>) => ({ id: "c1", name: "http_fetch", arguments: args });
const host = (o: Parameters<typeof createToolHost>[0]["httpFetch"] = {}) => createToolHost({ env: { HTTP_FETCH_ALLOW_PRIVATE: "true" }, names: ["http_fetch"], httpFetch: o });

describe("http_fetch against a real server", () => {
  it("returns the status, content type and body", async () => {
    expect(await host().execute(fetchCall({ url: local(servers().http, "/hello") }), signal())).toEqual({
      result: "HTTP 200 OK\ncontent-type: text/plain; charset=utf-8\n\nhello from the fake server",
    });
  });

  it("sends the method, headers and body", async () => {
    const out = await host().execute(fetchCall({ url: local(servers().http, "/echo"), method: "POST", headers: { "x-test": "yes" }, body: "ping" }), signal());
    const body = (out as { result: string }).result.split("\n\n")[1];
    expect(JSON.parse(body)).toEqual({ method: "POST", body: "ping", test_header: "yes" });
  });

  it("reports error statuses as results", async () => {
    expect(await host().execute(fetchCall({ url: local(servers().http, "/missing") }), signal())).toEqual({ result: "HTTP 404 Not Found\ncontent-type: text/plain\n\nnope" });
  });

  it("follows redirects, but not forever", async () => {
    expect((await host().execute(fetchCall({ url: local(servers().http, "/redirect") }), signal())) as { result: string }).toMatchObject({
      result: expect.stringContaining("hello from the fake server"),
    });
    expect(await host().execute(fetchCall({ url: local(servers().http, "/redirect-loop") }), signal())).toMatchObject({ error: "more than 5 redirects" });
  });

  it("takes a call's headers along a redirect to its own origin, and none that could be a credential to another", async () => {
    const secrets = { authorization: "Bearer sk-secret", cookie: "sid=secret", "X-Api-Key": "secret", accept: "application/json", "x-test": "yes" };
    const headersAt = async (url: string) => JSON.parse(((await host().execute(fetchCall({ url, headers: secrets }), signal())) as { result: string }).result.split("\n\n")[1]);
    const here = local(servers().http, "/headers");
    const away = local(servers().httpOther, "/headers");
    expect(await headersAt(local(servers().http, `/redirect-to?to=${encodeURIComponent(here)}`))).toEqual({ authorization: "Bearer sk-secret", cookie: "sid=secret", "x-api-key": "secret", accept: "application/json", "x-test": "yes" });
    expect(await headersAt(local(servers().http, `/redirect-to?to=${encodeURIComponent(away)}`))).toEqual({ accept: "application/json" });
    // and back again: what another origin was not given does not come back after it
    const back = local(servers().httpOther, `/redirect-to?to=${encodeURIComponent(here)}`);
    expect(await headersAt(local(servers().http, `/redirect-to?status=307&to=${encodeURIComponent(back)}`))).toEqual({ accept: "application/json" });
  });

  it("fetches only http and https URLs, with private addresses allowed too, and after a redirect", async () => {
    const refused = { error: "refused: only http and https URLs can be fetched, not data:" };
    expect(await host().execute(fetchCall({ url: "data:text/plain,not%20from%20the%20web" }), signal())).toMatchObject(refused);
    expect(await host().execute(fetchCall({ url: local(servers().http, "/redirect-data") }), signal())).toMatchObject(refused);
    expect(await host().execute(fetchCall({ url: "file:///etc/passwd" }), signal())).toMatchObject({ error: "refused: only http and https URLs can be fetched, not file:" });
  });

  it("stops reading at the size limit and marks the cut", async () => {
    const small = await host({ maxBytes: 1000 }).execute(fetchCall({ url: local(servers().http, "/big") }), signal());
    expect(small).toMatchObject({ truncated: true });
    const text = (small as { result: string }).result;
    expect(text).toBe(`HTTP 200 OK\ncontent-type: text/plain\n\n${"a".repeat(1000)}\n[truncated: the body is larger than 1000 bytes]`);
    // 2 MB body: 1 MB read, then the 256 KB result cap
    const big = await host().execute(fetchCall({ url: local(servers().http, "/big") }), signal());
    expect(big).toMatchObject({ truncated: true, result: expect.stringMatching(/\[truncated: kept the first 262144 of \d+ bytes\]$/) });
  });

  it("describes a body that is not text instead of returning its bytes", async () => {
    expect(await host().execute(fetchCall({ url: local(servers().http, "/png") }), signal())).toEqual({
      result: "HTTP 200 OK\ncontent-type: image/png\n\n[4096 bytes of image/png: not text, so not shown]",
    });
    expect(await host().execute(fetchCall({ url: local(servers().http, "/svg") }), signal())).toEqual({ result: "HTTP 200 OK\ncontent-type: image/svg+xml\n\n<svg/>" });
  });

  it("gives up at the time limit", async () => {
    expect(await host({ timeoutMs: 200 }).execute(fetchCall({ url: local(servers().http, "/slow") }), signal())).toMatchObject({ error: "no complete answer within 200 ms" });
  });

  it("refuses loopback unless private addresses are allowed", async () => {
    const strict = createToolHost({ env: {}, names: ["http_fetch"] });
    expect(await strict.execute(fetchCall({ url: local(servers().http, "/hello") }), signal())).toMatchObject({ error: "refused: 127.0.0.1 is a loopback address" });
  });
});

describe("the fake HTTP server's counters", () => {
  it("count each fetch once", async () => {
    const key = crypto.randomUUID();
    const counts = async () => ((await (await fetch(local(servers().http, `/counts/${key}`))).json()) as { count: number }).count;
    expect(await counts()).toBe(0);
    expect(await host().execute(fetchCall({ url: local(servers().http, `/count/${key}`) }), signal())).toMatchObject({ result: expect.stringContaining(`"count":1`) });
    expect(await counts()).toBe(1);
  });
});

describe("web_search against a SearXNG JSON endpoint (WEB_SEARCH_URL)", () => {
  const search = (query: string, path = "/searx/search") =>
    createToolHost({ env: { WEB_SEARCH_URL: local(servers().http, path) }, names: ["web_search"] }).execute({ id: "c1", name: "web_search", arguments: { query } }, signal());

  it("gives the model the first ten results as title, url and snippet", async () => {
    const out = (await search("solid signals")) as { result: string };
    const results = JSON.parse(out.result);
    expect(results).toHaveLength(10);
    expect(results[0]).toEqual({ title: "solid signals #1", url: "https://example.org/1", snippet: "about solid signals" });
  });

  it("tells the model when the service fails or answers something else", async () => {
    expect(await search("down")).toEqual({ result: "error: the search service answered 503", error: "the search service answered 503" });
    expect(await search("x", "/echo")).toMatchObject({ error: "the search service's answer is not a SearXNG JSON result list" });
  });

  it("does not read an answer past 8 MB, and tells the model so", async () => {
    const error = "the search service sent more than 8388608 bytes, so its answer was not read";
    expect(await search("huge")).toEqual({ result: `error: ${error}`, error });
  });
});
