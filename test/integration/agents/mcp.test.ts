import { describe, expect, it } from "vitest";
import { runAgentLoop } from "../../../worker/agents/loop";
import { simPrice, simProvider } from "../../../worker/agents/providers/sim";
import { createToolHost } from "../../../worker/agents/tools";
import { MAX_TOOL_RESULT_BYTES } from "../../../worker/agents/tools/cap";
import { StepError } from "../../../worker/agents/types";
import { agent } from "../../unit/agents/loop-helpers";
import { api, createTask, waitForStatus } from "../../helpers";
import { local, servers } from "./helpers";

const signal = () => new AbortController().signal;
const call = (name: string, args: Record<string, unknown> = {}) => ({ id: "c1", name, arguments: args });

describe("an MCP server's redirects", () => {
  const to = (target: string) => `mcp:${local(servers().http, `/redirect-to?status=307&to=${encodeURIComponent(target)}`)}`;

  it("are followed on the server's own origin", async () => {
    const host = createToolHost({ env: {}, names: [`mcp:${local(servers().mcp, "/mcp-moved")}`] });
    expect(await host.execute(call("add", { a: 2, b: 3 }), signal())).toEqual({ result: "5" });
  });

  it("pass http_fetch's address rule on the way to another origin: its admin chose the server, not where it sends the session", async () => {
    const target = local(servers().mcp, "/mcp");
    await expect(createToolHost({ env: {}, names: [to(target)] }).specs(signal())).rejects.toThrow(
      `redirected to ${target}, which is refused: 127.0.0.1 is a loopback address`,
    );
    const allowed = createToolHost({ env: { HTTP_FETCH_ALLOW_PRIVATE: "true" }, names: [to(target)] });
    expect(await allowed.execute(call("add", { a: 2, b: 3 }), signal())).toEqual({ result: "5" });
    await expect(createToolHost({ env: { HTTP_FETCH_ALLOW_PRIVATE: "true" }, names: [to("file:///etc/passwd")] }).specs(signal())).rejects.toThrow(
      "which is refused: only http and https URLs can be fetched, not file:",
    );
  });
});

describe.each(["/mcp", "/mcp-sse"])("MCP tools over Streamable HTTP (%s)", (path) => {
  const url = () => `mcp:${local(servers().mcp, path)}`;

  it("lists every tool of the server, across pages", async () => {
    const specs = await createToolHost({ env: {}, names: [url()] }).specs(signal());
    expect(specs.map((s) => s.name)).toEqual(["add", "echo", "fail", "fail_silently", "forget_session", "files", "notes_read", "notes_read_2", "web_search", "slow", "huge", "whoami", "odd_shape"]);
    expect(specs[0]).toEqual({
      name: "add",
      description: "Add two numbers",
      parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
    });
  });

  it("calls tools in one session and reports tool errors as results", async () => {
    const host = createToolHost({ env: {}, names: [url()] });
    expect(await host.execute(call("add", { a: 2, b: 3 }), signal())).toEqual({ result: "5" });
    expect(await host.execute(call("echo", { text: "héllo" }), signal())).toEqual({ result: "héllo" });
    expect(await host.execute(call("fail"), signal())).toEqual({ result: "error: boom", error: "boom" });
    const silent = "the tool reported an error and said nothing of it";
    expect(await host.execute(call("fail_silently"), signal())).toEqual({ result: `error: ${silent}`, error: silent });
  });

  it("offers a tool whose name providers refuse under one they accept, and calls it by its own", async () => {
    const host = createToolHost({ env: {}, names: [url()] });
    expect((await host.specs(signal())).filter((s) => !/^[a-zA-Z0-9_-]{1,64}$/.test(s.name))).toEqual([]);
    expect(await host.execute(call("notes_read"), signal())).toEqual({ result: "the notes" });
  });

  it("offers two tools whose names map to the same one under distinct names, the later one renamed, and says so; a built-in keeps its name", async () => {
    const server = url().slice(4);
    const host = createToolHost({ env: {}, names: [url(), "web_search"] });
    const names = (await host.specs(signal())).map((s) => s.name);
    expect(names).toEqual(["web_search", "add", "echo", "fail", "fail_silently", "forget_session", "files", "notes_read", "notes_read_2", "web_search_2", "slow", "huge", "whoami", "odd_shape"]);
    expect(host.renamed!()).toEqual([
      { name: "notes_read", server, offered_as: "notes_read_2", taken_by: `notes.read of ${server}` },
      { name: "web.search", server, offered_as: "web_search_2", taken_by: "the built-in web_search" },
    ]);
    expect(await host.execute(call("notes_read"), signal())).toEqual({ result: "the notes" });
    expect(await host.execute(call("notes_read_2"), signal())).toEqual({ result: "the other notes" });
    expect(await host.execute(call("web_search_2"), signal())).toEqual({ result: "searched" });
  });

  it("gives a text resource's text and names a binary one rather than inlining its base64", async () => {
    const host = createToolHost({ env: {}, names: [url()] });
    expect(await host.execute(call("files"), signal())).toEqual({ result: "the notes\n[resource file:///logo.png: image/png, not text]" });
  });

  it("starts a new session when the server forgets the old one", async () => {
    const host = createToolHost({ env: {}, names: [url()] });
    expect(await host.execute(call("forget_session"), signal())).toEqual({ result: "forgotten" });
    expect(await host.execute(call("add", { a: 1, b: 1 }), signal())).toEqual({ result: "2" });
  });

  it("reads an answer up to its bound, capped as every tool result is, and past the bound stops reading and says so", async () => {
    const host = createToolHost({ env: {}, names: [url()], mcpMaxBytes: 512 * 1024 });
    const big = await host.execute(call("huge", { kb: 300 }), signal());
    expect(big).toMatchObject({ truncated: true });
    expect("result" in big && big.result.endsWith(`[truncated: kept the first ${MAX_TOOL_RESULT_BYTES} of ${300 * 1024} bytes]`)).toBe(true);
    const message = `MCP server ${local(servers().mcp, path)} sent more than 524288 bytes in answer to tools/call, so it was not read; ask the tool for less`;
    expect(await host.execute(call("huge", { kb: 600 }), signal())).toEqual({ result: `error: ${message}`, error: message });
    // the session goes on
    expect(await host.execute(call("add", { a: 1, b: 2 }), signal())).toEqual({ result: "3" });
  });

  it("runs as an agent's tools in the loop", async () => {
    const turns: unknown[] = [];
    const outcome = await runAgentLoop({
      agent: agent({ tools: [url()] }),
      instructions: '@tool add {"a":20,"b":22}\n@output added',
      runNo: 1,
      turns: [],
      provider: simProvider,
      tools: createToolHost({ env: {}, names: [url()] }),
      price: simPrice,
      saveTurn: (t) => void turns.push(t),
      checkBudget: () => true,
      signal: signal(),
    });
    expect(outcome).toEqual({ kind: "completed", output: "added" });
    expect(turns[1]).toMatchObject({ tool_results: [{ call_id: "sim_call_1", name: "add", result: "42" }] });
    // the turn the tools were offered in says which were renamed; the turns after it do not repeat it
    expect(turns[0]).toMatchObject({ renamed_tools: [{ name: "notes_read", offered_as: "notes_read_2" }] });
    expect(turns.filter((t) => (t as { turn_no: number }).turn_no > 1).some((t) => "renamed_tools" in (t as object))).toBe(false);
  });
});

describe("MCP tools in a task", () => {
  it("says in the run's trace which tools were offered under another name, and calls the renamed one", async () => {
    const server = local(servers().mcp, "/mcp");
    const name = `mcp-${crypto.randomUUID().slice(0, 8)}`;
    expect((await api("POST", "/agents", { body: { name, model: "sim", tools: [`mcp:${server}`] } })).status).toBe(201);
    const task = await createTask({ agent: name, title: "renamed tools", description: "@tool notes_read_2 {}\n@output done" });
    await waitForStatus(task.id, ["completed"]);
    const trace = (await api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`)).json;
    expect(trace.turns[0].renamed_tools).toEqual([{ name: "notes_read", server, offered_as: "notes_read_2", taken_by: `notes.read of ${server}` }]);
    expect(trace.turns[0].tool_results).toMatchObject([{ name: "notes_read_2", result: "the other notes" }]);
    expect(trace.turns[1].renamed_tools).toBeUndefined();
  });
});

describe("MCP failures", () => {
  it("turns a JSON-RPC error into a tool error result", async () => {
    const host = createToolHost({ env: {}, names: [`mcp:${local(servers().mcp, "/mcp")}`] });
    await host.specs(signal());
    // bypass the catalog: a name the server does not know is refused by the host itself
    expect(await host.execute(call("nope"), signal())).toMatchObject({ error: "the tool nope is not available to this agent" });
  });

  it("tells the model which server answered which call with a result not of the protocol's shape", async () => {
    const url = local(servers().mcp, "/mcp");
    const host = createToolHost({ env: {}, names: [`mcp:${url}`] });
    const error = `MCP server ${url} answered tools/call with a result not of the protocol's shape (Invalid input: expected object, received string)`;
    expect(await host.execute(call("odd_shape"), signal())).toEqual({ result: `error: ${error}`, error });
  });

  it("tells the model which server did not answer which call in time, and a cancel still stops the call at once", async () => {
    const url = local(servers().mcp, "/mcp");
    const host = createToolHost({ env: {}, names: [`mcp:${url}`], mcpTimeoutMs: 300 });
    const message = `MCP server ${url} sent no complete answer to tools/call within 300 ms`;
    expect(await host.execute(call("slow"), signal())).toEqual({ result: `error: ${message}`, error: message });
    const ac = new AbortController();
    const running = host.execute(call("slow"), ac.signal).catch((e: unknown) => e);
    ac.abort(new StepError("task cancelled", false));
    expect(await running).toEqual(new StepError("task cancelled", false));
  });

  it("fails the run transiently when a server cannot list its tools", async () => {
    const err = await createToolHost({ env: {}, names: [`mcp:${local(servers().mcp, "/missing")}`] }).specs(signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).transient).toBe(true);
    expect((err as StepError).message).toContain("answered HTTP 404 to initialize");
  });
});
