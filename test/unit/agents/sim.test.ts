import { describe, expect, it } from "vitest";
import { simProvider } from "../../../worker/agents/providers/sim";
import { type Message, type ModelRequest, StepError, type ToolSpec } from "../../../worker/agents/types";
import { webSearchSpec } from "../../../worker/agents/tools/web-search";

/** ceil(UTF-8 bytes / 4) of the concatenated pieces, written out independently of the sim's code */
const tok = (...pieces: string[]) => Math.ceil(new TextEncoder().encode(pieces.join("")).byteLength / 4);

const req = (messages: Message[], o: Partial<ModelRequest> = {}): ModelRequest => ({
  model: "sim",
  messages,
  tools: [],
  runNo: 1,
  signal: new AbortController().signal,
  ...o,
});

const SYS = '{"role":"system","content":"Be brief."}';
const system: Message = { role: "system", content: "Be brief." };

describe("sim model", () => {
  it("answers with a short summary of the instructions and counts tokens exactly", async () => {
    const res = await simProvider.call(req([system, { role: "user", content: "Write  a haiku\nabout the sea" }]));
    expect(res.content).toBe("Done: Write a haiku about the sea");
    expect(res.tool_calls).toEqual([]);
    expect(res.paused).toBeUndefined();
    expect(res.usage).toEqual({
      input: tok(SYS, '{"role":"user","content":"Write  a haiku\\nabout the sea"}'),
      cache: 0,
      cache_write: 0,
      output: tok("Done: Write a haiku about the sea"),
      web_search: 0,
      searches: 0,
    });
    expect(res.usage.input).toBe(24); // 39 + 55 bytes
    expect(res.usage.output).toBe(9); // 33 bytes
  });

  it("answers with the @output lines joined, ignoring directives for the summary", async () => {
    const res = await simProvider.call(req([{ role: "user", content: "@output first\nignored text\n  @output second line" }]));
    expect(res.content).toBe("first\nsecond line");
    expect(res.usage.output).toBe(tok("first\nsecond line"));
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const res = await simProvider.call(req([{ role: "user", content: "@output héllo 🚀" }]));
    expect(res.content).toBe("héllo 🚀");
    expect(res.usage.output).toBe(3); // h é(2) l l o space 🚀(4) = 11 bytes
    expect(res.usage.input).toBe(tok('{"role":"user","content":"@output héllo 🚀"}'));
  });

  it("includes the tool list in what a turn sends", async () => {
    const tools: ToolSpec[] = [{ name: "lookup", description: "Look up", parameters: { type: "object" } }];
    const res = await simProvider.call(req([{ role: "user", content: "hi" }], { tools }));
    expect(res.usage.input).toBe(
      tok('[{"name":"lookup","description":"Look up","parameters":{"type":"object"}}]', '{"role":"user","content":"hi"}'),
    );
  });

  it("@ask calls ask_human, then answers with the previous prompt counted as cache", async () => {
    const user: Message = { role: "user", content: "@ask Which city?\n@output Paris it is" };
    const first = await simProvider.call(req([system, user]));
    expect(first.tool_calls).toEqual([{ id: "sim_call_1", name: "ask_human", arguments: { question: "Which city?" } }]);
    expect(first.content).toBe("");
    const userJson = '{"role":"user","content":"@ask Which city?\\n@output Paris it is"}';
    expect(first.usage).toMatchObject({ input: tok(SYS, userJson), cache: 0 });
    expect(first.usage.output).toBe(tok('[{"id":"sim_call_1","name":"ask_human","arguments":{"question":"Which city?"}}]'));

    const second = await simProvider.call(
      req([
        system,
        user,
        { role: "assistant", content: "", tool_calls: first.tool_calls },
        { role: "tool", tool_call_id: "sim_call_1", name: "ask_human", content: "Paris" },
      ]),
    );
    expect(second.content).toBe("Paris it is");
    const total = tok(
      SYS,
      userJson,
      '{"role":"assistant","content":"","tool_calls":[{"id":"sim_call_1","name":"ask_human","arguments":{"question":"Which city?"}}]}',
      '{"role":"tool","tool_call_id":"sim_call_1","name":"ask_human","content":"Paris"}',
    );
    const cache = tok(SYS, userJson);
    expect(second.usage).toEqual({ input: total - cache, cache, cache_write: 0, output: tok("Paris it is"), web_search: 0, searches: 0 });
  });

  it("@tool calls the named tool with the JSON arguments, one turn each, in order", async () => {
    const user: Message = { role: "user", content: '@tool http_fetch {"url":"https://example.com"}\n@ask ok?\n@tool web_search {"query":"x"}' };
    const history: Message[] = [user];
    const names: string[] = [];
    for (let turn = 1; turn <= 3; turn++) {
      const res = await simProvider.call(req(history));
      expect(res.tool_calls).toHaveLength(1);
      expect(res.tool_calls[0].id).toBe(`sim_call_${turn}`);
      names.push(res.tool_calls[0].name);
      history.push({ role: "assistant", content: "", tool_calls: res.tool_calls }, { role: "tool", tool_call_id: res.tool_calls[0].id, name: res.tool_calls[0].name, content: "r" });
    }
    expect(names).toEqual(["http_fetch", "ask_human", "web_search"]);
    const last = await simProvider.call(req(history));
    expect(last.tool_calls).toEqual([]);
    expect(last.content).toBe("Done.");
  });

  it("@tool without arguments passes an empty object", async () => {
    const res = await simProvider.call(req([{ role: "user", content: "@tool ping" }]));
    expect(res.tool_calls).toEqual([{ id: "sim_call_1", name: "ping", arguments: {} }]);
  });

  it("@search, for an agent without web search, asks for the web_search tool instead of searching", async () => {
    const res = await simProvider.call(req([{ role: "user", content: "@search edge agents\n@output found" }]));
    expect(res.searches).toEqual([]);
    expect(res.tool_calls).toEqual([{ id: "sim_call_1", name: "web_search", arguments: { query: "edge agents" } }]);
    expect(res.usage.searches ?? 0).toBe(0);
  });

  it("@search, for an agent offered web search, runs one native search with offline results, counted as web-search tokens, and pauses", async () => {
    const res = await simProvider.call(req([{ role: "user", content: "@search edge agents\n@output found" }], { tools: [webSearchSpec] }));
    const results = [
      { title: "edge agents — result 1", url: "https://search.invalid/edge-agents/1", snippet: 'Offline result 1 for "edge agents".' },
      { title: "edge agents — result 2", url: "https://search.invalid/edge-agents/2", snippet: 'Offline result 2 for "edge agents".' },
      { title: "edge agents — result 3", url: "https://search.invalid/edge-agents/3", snippet: 'Offline result 3 for "edge agents".' },
    ];
    expect(res.searches).toEqual([{ query: "edge agents", results }]);
    expect(res.paused).toBe(true);
    expect(res.tool_calls).toEqual([]);
    expect(res.content).toBe("");
    expect(res.usage).toEqual({
      input: tok(JSON.stringify([webSearchSpec]), '{"role":"user","content":"@search edge agents\\n@output found"}'),
      cache: 0,
      cache_write: 0,
      output: tok('{"query":"edge agents"}'),
      web_search: tok(JSON.stringify(results)),
      searches: 1,
    });
    expect(res.usage.web_search).toBe(100); // 397 bytes ("—" is 3)
  });

  it("@delay makes each turn take that long, and an abort cuts it short", async () => {
    const t0 = Date.now();
    await simProvider.call(req([{ role: "user", content: "@delay 60" }]));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    const ac = new AbortController();
    const pending = simProvider.call(req([{ role: "user", content: "@delay 10000" }], { signal: ac.signal }));
    ac.abort(new StepError("cancelled", false));
    await expect(pending).rejects.toThrow("cancelled");
  });

  it("@fail transient n fails the first n runs before the first turn, with a transient error", async () => {
    const messages: Message[] = [{ role: "user", content: "@fail transient 2\n@output ok" }];
    for (const runNo of [1, 2]) {
      const err = await simProvider.call(req(messages, { runNo })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StepError);
      expect((err as StepError).transient).toBe(true);
    }
    expect((await simProvider.call(req(messages, { runNo: 3 }))).content).toBe("ok");
    // only the first turn fails
    const later = await simProvider.call(req([...messages, { role: "assistant", content: "" }], { runNo: 1 }));
    expect(later.content).toBe("ok");
  });

  it("@fail after @ask, @tool or @search lines fails before the turn that follows them", async () => {
    const asked: Message[] = [{ role: "user", content: "@ask Which?\n@fail transient 1\n@output ok" }];
    expect((await simProvider.call(req(asked, { runNo: 1 }))).tool_calls[0].name).toBe("ask_human");
    const after: Message[] = [...asked, { role: "assistant", content: "", tool_calls: [{ id: "sim_call_1", name: "ask_human", arguments: {} }] }, { role: "tool", tool_call_id: "sim_call_1", name: "ask_human", content: "this" }];
    const err = await simProvider.call(req(after, { runNo: 1 })).catch((e: unknown) => e);
    expect((err as StepError).transient).toBe(true);
    expect((await simProvider.call(req(after, { runNo: 2 }))).content).toBe("ok");
  });

  it("@fail permanent fails every run with a permanent error", async () => {
    const err = await simProvider.call(req([{ role: "user", content: "@fail permanent" }], { runNo: 5 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).transient).toBe(false);
  });

  it("rejects malformed directives permanently", async () => {
    for (const content of ["@tool x {not json", '@tool x ["array"]', "@delay soon", "@fail sometimes", "@ask", "@search"]) {
      const err = await simProvider.call(req([{ role: "user", content }])).catch((e: unknown) => e);
      expect(err, content).toBeInstanceOf(StepError);
      expect((err as StepError).transient, content).toBe(false);
    }
  });

  it("is deterministic", async () => {
    const messages: Message[] = [system, { role: "user", content: "@search a\n@tool t {\"k\":1}\nsummarise" }];
    expect(await simProvider.call(req(messages))).toEqual(await simProvider.call(req(messages)));
  });
});
