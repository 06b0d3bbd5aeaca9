import { describe, expect, it } from "vitest";
import { parseModel, providerFor } from "../../../worker/agents/providers";
import { retryAfterMs } from "../../../worker/agents/providers/http";
import { simProvider } from "../../../worker/agents/providers/sim";
import { refusedUrlReason } from "../../../worker/agents/tools/address";
import { capResult } from "../../../worker/agents/tools/cap";
import { createToolHost, secretParts } from "../../../worker/agents/tools";
import { StepError } from "../../../worker/agents/types";

const signal = () => new AbortController().signal;

describe("secretParts", () => {
  it("masks a header value, and the credential after its scheme", () => {
    expect(secretParts("Bearer abcdefgh123")).toEqual(["Bearer abcdefgh123", "abcdefgh123"]);
    expect(secretParts("plainsecret99")).toEqual(["plainsecret99"]);
  });

  it("masks a value saved with other than ASCII also as a server reads its UTF-8 bytes back", () => {
    expect(secretParts("clé-SECRET-987654")).toEqual(["clé-SECRET-987654", "cl\u00c3\u00a9-SECRET-987654"]);
    expect(secretParts("Bearer tökenSECRET12345")).toEqual(["Bearer tökenSECRET12345", "Bearer t\u00c3\u00b6kenSECRET12345", "tökenSECRET12345", "t\u00c3\u00b6kenSECRET12345"]);
  });
});

describe("capResult", () => {
  it("keeps results up to the cap whole", () => {
    expect(capResult("abcd", 4)).toEqual({ result: "abcd" });
  });

  it("cuts longer results and says so", () => {
    expect(capResult("abcdef", 4)).toEqual({ result: "abcd\n[truncated: kept the first 4 of 6 bytes]", truncated: true });
  });

  it("never splits a UTF-8 character", () => {
    // "é" is 2 bytes: a 4-byte cut of "abcé" would land inside it
    expect(capResult("abcéé", 4)).toEqual({ result: "abc\n[truncated: kept the first 3 of 7 bytes]", truncated: true });
  });

  it("caps at 256 KB by default", () => {
    const out = capResult("x".repeat(300 * 1024));
    expect(out.truncated).toBe(true);
    expect(out.result.startsWith("x".repeat(262_144) + "\n[truncated: kept the first 262144 of 307200 bytes]")).toBe(true);
  });
});

describe("http_fetch address check", () => {
  const refused = (u: string) => refusedUrlReason(new URL(u));
  it.each([
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[::a00:1]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://localhost:8080/",
    "http://api.localhost/",
    "http://printer.local/",
    "http://intranet/",
    "file:///etc/passwd",
    "ftp://example.com/",
  ])("refuses %s", (u) => {
    expect(refused(u)).toBeTruthy();
  });

  it.each([
    ["http://[::1]/", "::1 is a loopback address"],
    ["http://[0:0:0:0:0:0:0:1]/", "::1 is a loopback address"],
    ["http://[::]/", ":: is an unspecified address"],
    ["http://0.0.0.0/", "0.0.0.0 is an unspecified address"],
    ["http://[::127.0.0.1]/", "::7f00:1 is an IPv4-compatible address"],
    ["http://10.1.2.3/", "10.1.2.3 is a private address"],
    ["http://[fe80::1]/", "fe80::1 is a link-local address"],
  ])("says what %s is", (u, reason) => {
    expect(refused(u)).toBe(reason);
  });

  it.each(["https://example.com/", "http://93.184.215.14/", "http://[2606:4700::1111]/", "https://sub.example.co.uk:8443/x"])("allows %s", (u) => {
    expect(refused(u)).toBeUndefined();
  });
});

describe("tool host", () => {
  it("offers the built-ins an agent lists, in order", async () => {
    const host = createToolHost({ env: {}, names: ["web_search", "ask_human", "spawn_task", "http_fetch"] });
    const specs = await host.specs(signal());
    expect(specs.map((s) => s.name)).toEqual(["web_search", "ask_human", "spawn_task", "http_fetch"]);
    expect(specs[0].native).toBe("web_search");
  });

  it("fails the run permanently on an unknown tool name", async () => {
    const err = await createToolHost({ env: {}, names: ["teleport"] }).specs(signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).transient).toBe(false);
  });

  it("tells the model web search is not set up when no WEB_SEARCH_URL is, never making results up; runs a plugged-in backend", async () => {
    const none = await createToolHost({ env: {}, names: ["web_search"] }).execute({ id: "c1", name: "web_search", arguments: { query: "a b" } }, signal());
    expect(none).toEqual({
      result: "error: web search is not set up here: the operator sets WEB_SEARCH_URL (a SearXNG-compatible JSON endpoint); answer without it",
      error: "web search is not set up here: the operator sets WEB_SEARCH_URL (a SearXNG-compatible JSON endpoint); answer without it",
    });
    const custom = createToolHost({ env: {}, names: ["web_search"], search: { search: async (q) => [{ title: q, url: "u", snippet: "s" }] } });
    expect(await custom.execute({ id: "c1", name: "web_search", arguments: { query: "z" } }, signal())).toEqual({ result: '[{"title":"z","url":"u","snippet":"s"}]', searches: 1 });
  });

  it("suspends ask_human and spawn_task, and checks their arguments", async () => {
    const host = createToolHost({ env: {}, names: ["ask_human", "spawn_task"] });
    expect(await host.execute({ id: "c", name: "ask_human", arguments: { question: "Why?" } }, signal())).toEqual({ suspend: "ask", question: "Why?" });
    expect(await host.execute({ id: "c", name: "ask_human", arguments: {} }, signal())).toMatchObject({ error: '"question" must be a non-empty string' });
    expect(await host.execute({ id: "c", name: "ask_human", arguments: { question: "?".repeat(20_000) } }, signal())).toEqual({ suspend: "ask", question: "?".repeat(20_000) });
    expect(await host.execute({ id: "c", name: "ask_human", arguments: { question: "?".repeat(20_001) } }, signal())).toMatchObject({
      error: '"question" is at most 20000 characters; this one has 20001: ask a shorter one',
    });
    expect(await host.execute({ id: "c", name: "spawn_task", arguments: { title: "t", description: "d" } }, signal())).toMatchObject({ error: '"agent" must be a non-empty string' });
  });

  it("refuses http_fetch of private addresses unless allowed", async () => {
    const host = createToolHost({ env: { HTTP_FETCH_ALLOW_PRIVATE: "false" }, names: ["http_fetch"] });
    expect(await host.execute({ id: "c", name: "http_fetch", arguments: { url: "http://127.0.0.1:9/" } }, signal())).toEqual({
      result: "error: refused: 127.0.0.1 is a loopback address",
      error: "refused: 127.0.0.1 is a loopback address",
    });
    expect(await host.execute({ id: "c", name: "http_fetch", arguments: { url: "not a url" } }, signal())).toMatchObject({ error: "not a valid URL: not a url" });
    expect(await host.execute({ id: "c", name: "http_fetch", arguments: { url: "https://example.com", method: "TRACE" } }, signal())).toMatchObject({ result: expect.stringContaining("invalid arguments") });
  });
});

describe("providers", () => {
  it("parses agent models", () => {
    expect(parseModel("sim")).toEqual({ kind: "sim", name: "sim" });
    expect(parseModel("openai:gpt-4o-mini")).toEqual({ kind: "openai", name: "gpt-4o-mini" });
    expect(parseModel("anthropic:claude-sonnet-4-20250514")).toEqual({ kind: "anthropic", name: "claude-sonnet-4-20250514" });
    expect(parseModel("openai:org/model:tag")).toEqual({ kind: "openai", name: "org/model:tag" });
  });

  it.each(["gpt-4o", "mistral:large", "openai:", ""])("rejects %j permanently", (m) => {
    expect(() => providerFor(m, {})).toThrow(StepError);
    try {
      parseModel(m);
    } catch (e) {
      expect((e as StepError).transient).toBe(false);
    }
  });

  it("gives sim its offline provider", () => {
    expect(providerFor("sim", {})).toBe(simProvider);
  });

  it("reads retry-after as seconds or a date", () => {
    expect(retryAfterMs("7")).toBe(7000);
    expect(retryAfterMs("0.5")).toBe(500);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
  });
});
