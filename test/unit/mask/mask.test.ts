import { describe, expect, it } from "vitest";
import type { TurnRecord } from "../../../worker/agents/turn";
import { checkPattern, makeMasker, MASK, maskDeep, maskSecrets, maskTurn } from "../../../worker/lib/mask";

const usage = { input: 1, cache: 0, cache_write: 0, output: 1, web_search: 0, searches: 0 };

describe("maskSecrets", () => {
  it("masks literal secrets and pattern matches, and leaves other text alone", () => {
    expect(maskSecrets("key=abcdefgh1234 and abcdefgh1234", ["abcdefgh1234"])).toBe(`key=${MASK} and ${MASK}`);
    expect(maskSecrets("order ACME-123456 shipped", [/ACME-\d{6}/])).toBe(`order ${MASK} shipped`);
    expect(maskSecrets("nothing to see", ["abcdefgh1234", /ACME-\d{6}/])).toBe("nothing to see");
  });

  it("does not mask short literals, which would match ordinary words", () => {
    expect(maskSecrets("a key of x", ["x"])).toBe("a key of x");
  });

  it("masks common key shapes", () => {
    const m = makeMasker([], []);
    expect(m("use sk-proj-abcdefghijklmnopqrstuv now")).toBe(`use ${MASK} now`);
    expect(m("sk-ant-api03-abcdefghijklmnop")).toBe(MASK);
    expect(m("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc")).toBe(`Authorization: Bearer ${MASK}`);
    expect(m("ghp_" + "a".repeat(36))).toBe(MASK);
    expect(m("AKIAABCDEFGHIJKLMNOP")).toBe(MASK);
    expect(m("fd_" + "a1".repeat(20))).toBe(MASK);
    // the admin token npm start generates: base64url, so it may end in - or _
    expect(m("token=fd_YCUVnfa1Srk8pV-30U5jv_28uEkfEqr7yx_-tU1_ ok")).toBe(`token=${MASK} ok`);
    expect(m("fd_" + "a".repeat(41))).toBe("fd_" + "a".repeat(41));
    expect(m("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----")).toBe(MASK);
    expect(m("a sketch of skies")).toBe("a sketch of skies");
  });

  it("masks provider keys from the environment and the organization's patterns", () => {
    const m = makeMasker(["my-openai-key-123", undefined], ["ACME-\\d{6}", "("]);
    expect(m("k=my-openai-key-123 id=ACME-654321")).toBe(`k=${MASK} id=${MASK}`);
  });

  it("checks an organization's pattern", () => {
    expect(checkPattern("ACME-\\d+")).toBeNull();
    expect(checkPattern("(")).toMatch(/./);
    expect(checkPattern("a*")).toBe("the pattern matches the empty string");
  });

  it("refuses what the analysis cannot read as bounded: long counts, ranges that trade text, back-references, repeating lookarounds", () => {
    // each ran in quadratic time over a long tool result while scslre called it linear
    expect(checkPattern("a{1,50000}b")).toMatch(/^the pattern can take polynomial time: a search .* a count over 16 \(\{1,50000\}\) is read as a repeat without end$/);
    expect(checkPattern("(?:a|b){1,30000}c")).toMatch(/polynomial/);
    expect(checkPattern("a{2000}b")).toMatch(/polynomial/);
    expect(checkPattern("a{1,16}a{1,16}a{1,16}b")).toMatch(/^the pattern can take polynomial time: repeated parts/);
    expect(checkPattern("(?:\\w{1,8}){1,8}!")).toMatch(/exponential/);
    expect(checkPattern("(?=(a+))\\1b")).toMatch(/lookahead/);
    expect(checkPattern("(\\w+)=\\1")).toBe("the pattern refers back to a group (\\1), which no check can bound in time; match the text itself");
    expect(checkPattern("(?<x>a)\\k<x>")).toMatch(/refers back to a group \(\\k<x>\)/);
    expect(checkPattern("(?<=a+)b")).toMatch(/^a lookahead or lookbehind runs at every character, so it may repeat only a fixed count of at most 16 \(not "a\+"\)$/);
    expect(checkPattern("(?<=a{1,5})b")).toMatch(/lookbehind/);
    // counts that bound the work at each start, and ranges over classes that cannot trade, stay allowed
    for (const fine of ["ACME-\\d{6}", "[A-Za-z0-9]{40}", "\\bAKIA[0-9A-Z]{16}\\b", "[A-Z]{2}\\d{2}[A-Z0-9]{4}\\d{7}", "acct_[a-z0-9]{10,24}",
      "password[:=]\\s{0,3}\\S+", "(?<=Bearer\\s)\\S{8,}", "\\d{3}-\\d{2}-\\d{4}", "[a-z]{2,5}\\d{2,5}", "(?<=key=)\\w{12}"]) {
      expect(checkPattern(fine), fine).toBeNull();
    }
  });

  it("refuses a pattern that can backtrack for long, and keeps it out of the masker", () => {
    expect(checkPattern("(a+)+$")).toMatch(/^the pattern can take exponential time: repeated parts/);
    expect(checkPattern(".*secret.*")).toMatch(/^the pattern can take polynomial time: a search for it can start at every character/);
    expect(checkPattern("[a-z]+@[a-z]+\\.com")).toMatch(/polynomial/);
    expect(checkPattern("\\b[a-z]+@[a-z]+\\.com")).toBeNull();
    expect(checkPattern("token:\\s*\\S+")).toBeNull();
    // a leading \b bounds nothing when the class after it holds "." too: every position of "a.a.a…" is a boundary
    expect(checkPattern("\\b[\\w.+-]+@[\\w-]+\\.\\w+")).toMatch(/polynomial/);
    expect(checkPattern("\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}\\b")).toMatch(/polynomial/);
    expect(checkPattern("\\bsk_live_\\w+")).toBeNull();
    const slow = "a".repeat(40) + "!";
    const m = makeMasker([], ["(a+)+$", "ACME-\\d{6}"]);
    expect(m(`${slow} ACME-123456`)).toBe(`${slow} ${MASK}`);
  });
});

describe("maskTurn", () => {
  const turn: TurnRecord = {
    turn_no: 1,
    started_at: 1,
    finished_at: 2,
    sent: [{ role: "user", content: "token sk-abcdefghijklmnopqrstu" }],
    content: "calling with sk-abcdefghijklmnopqrstu",
    tool_calls: [{ id: "call_sk-abcdefghijklmnopqrstu", name: "http_fetch", arguments: { headers: { authorization: "Bearer abcdefghijkl" }, list: ["sk-abcdefghijklmnopqrstu"] } }],
    tool_results: [{ call_id: "call_sk-abcdefghijklmnopqrstu", name: "http_fetch", result: "echo sk-abcdefghijklmnopqrstu", error: "sk-abcdefghijklmnopqrstu" }],
    searches: [{ query: "sk-abcdefghijklmnopqrstu", results: [{ title: "t", url: "u", snippet: "sk-abcdefghijklmnopqrstu" }] }],
    usage,
    cost_nanos: 5,
  };

  it("masks what was said, tool arguments and results, searches — not the ids tying them together", () => {
    const masked = maskTurn(turn, makeMasker([], []));
    expect(JSON.stringify({ ...masked, tool_calls: masked.tool_calls.map((c) => ({ ...c, id: "" })), tool_results: masked.tool_results.map((r) => ({ ...r, call_id: "" })) })).not.toContain("sk-abc");
    expect(masked.tool_calls[0].id).toBe(turn.tool_calls[0].id);
    expect(masked.tool_results[0].call_id).toBe(turn.tool_results[0].call_id);
    expect(masked.tool_calls[0].arguments).toEqual({ headers: { authorization: `Bearer ${MASK}` }, list: [MASK] });
    expect(masked.usage).toEqual(usage);
    expect(masked.cost_nanos).toBe(5);
  });

  it("masks the text of a provider's own blocks, not what only the provider reads back (encrypted results, ids)", () => {
    const secret = "sk-abcdefghijklmnopqrstu";
    const provider_content = [
      { type: "server_tool_use", id: `srvtoolu_${secret}`, name: "web_search", input: { query: secret } },
      { type: "web_search_tool_result", tool_use_id: `srvtoolu_${secret}`, content: [{ type: "web_search_result", title: secret, encrypted_content: `x${secret}` }] },
      { type: "text", text: secret, citations: [{ type: "web_search_result_location", cited_text: secret, encrypted_index: `x${secret}` }] },
    ];
    expect(maskTurn({ ...turn, provider_content }, makeMasker([], [])).provider_content).toEqual([
      { type: "server_tool_use", id: `srvtoolu_${secret}`, name: "web_search", input: { query: MASK } },
      { type: "web_search_tool_result", tool_use_id: `srvtoolu_${secret}`, content: [{ type: "web_search_result", title: MASK, encrypted_content: `x${secret}` }] },
      { type: "text", text: MASK, citations: [{ type: "web_search_result_location", cited_text: MASK, encrypted_index: `x${secret}` }] },
    ]);
  });

  it("leaves the turn it was given unchanged", () => {
    const before = JSON.stringify(turn);
    maskTurn(turn, makeMasker([], []));
    maskDeep(turn, makeMasker([], []));
    expect(JSON.stringify(turn)).toBe(before);
  });
});
