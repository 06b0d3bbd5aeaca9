import { type FakeServer, type Json, listen, sendJson, sendSse } from "./listen";
import { OPENAI_KEY } from "./openai";

const INVALID = {
  name: "Draft",
  steps: [
    { kind: "agent", id: "research", name: "Research", agent: "ghost", instructions: "Research the market", depends_on: [] },
    { kind: "agent", id: "write", name: "Write", agent: "writer", instructions: "Write it up: {{steps.research.output}}", depends_on: ["nowhere"] },
  ],
};

const VALID = {
  name: "Market brief",
  description: "Research, then write",
  steps: [
    { kind: "agent", id: "research", name: "Research", agent: "researcher", instructions: "Research the market", depends_on: [] },
    { kind: "agent", id: "write", name: "Write", agent: "writer", instructions: "Write it up: {{steps.research.output}}", depends_on: ["research"] },
  ],
};

/**
 * A scripted planner on the Chat Completions wire. Model `repair`: an invalid plan first, a valid one
 * once the validation issues come back as the tool's result. Model `never`: always invalid. Model `slow`:
 * a valid plan after 3 s.
 * `GET /stats` counts requests per model and keeps the last request's messages.
 */
export function startPlanner(): Promise<FakeServer> {
  const calls: Record<string, number> = {};
  let last: unknown[] = [];
  return listen(async (req, raw, res) => {
    if (req.url === "/stats") return sendJson(res, 200, { calls, last_messages: last });
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return sendJson(res, 404, { error: { message: "not found" } });
    if (req.headers.authorization !== `Bearer ${OPENAI_KEY}`) return sendJson(res, 401, { error: { message: "Incorrect API key provided" } });
    const body = JSON.parse(raw) as Json;
    const model = String(body.model);
    calls[model] = (calls[model] ?? 0) + 1;
    const messages = body.messages as Json[];
    last = messages;
    const tool = ((body.tools as Json[] | undefined) ?? [])[0]?.function as Json | undefined;
    if (tool?.name !== "submit_plan") return sendJson(res, 400, { error: { message: "the planner needs the submit_plan tool" } });
    const repaired = model === "repair" && messages[messages.length - 1].role === "tool" && String(messages[messages.length - 1].content).includes("unknown agent");
    if (model === "slow") await new Promise((r) => setTimeout(r, 3000));
    const plan = repaired || model === "slow" ? VALID : INVALID;
    const args = JSON.stringify({ reply: repaired ? "Fixed: research then write." : "Here is a plan.", plan });
    const id = `call_${calls[model]}`;
    const usage = { prompt_tokens: 200, completion_tokens: 80, total_tokens: 280 };
    const call = { id, type: "function", function: { name: "submit_plan", arguments: args } };
    if (!body.stream) {
      return sendJson(res, 200, { id: "chatcmpl-p", object: "chat.completion", model, choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }], usage });
    }
    const chunk = (delta: Json, finish_reason: string | null = null) => ({ id: "chatcmpl-p", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] });
    const events: unknown[] = [chunk({ role: "assistant", content: "" }), chunk({ tool_calls: [{ index: 0, id, type: "function", function: { name: "submit_plan", arguments: "" } }] })];
    for (const piece of args.match(/.{1,40}/gs) ?? []) events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    events.push(chunk({}, "tool_calls"), { id: "chatcmpl-p", object: "chat.completion.chunk", choices: [], usage });
    return sendSse(res, events, true);
  });
}
