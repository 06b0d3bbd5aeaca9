import type { Message, Provider, ToolCall, Usage } from "../agents/types";
import { zeroUsage } from "../agents/types";
import type { Plan } from "../task/plan-schema";
import type { PlanIssue } from "../task/validate";
import { describeIssues } from "./check";
import { SUBMIT_PLAN_TOOL } from "./plan-json-schema";
import type { Proposal } from "./repair";
import type { OrgAgent } from "./types";

export interface PlannerContext {
  provider: Provider;
  /** model name without the provider prefix */
  model: string;
  /** the planner agent's own system prompt */
  systemPrompt: string;
  agents: OrgAgent[];
  /** earlier turns of the conversation, oldest first */
  history: { role: "user" | "assistant"; content: string }[];
  message: string;
  draft: Plan | null;
  signal: AbortSignal;
  onText?: (delta: string) => void;
  /** each model call's usage, as soon as it answers: a reply that then fails has still spent it */
  onUsage?: (usage: Usage) => void;
}

const RULES = `You turn a person's description of work into a Flightdeck plan: a DAG of steps, each done by one of the organization's agents.
Rules:
- Step ids are unique across the whole plan (nested ones included): letters, digits, _ or -, starting with a letter.
- An agent step names an existing agent, has clear instructions, and lists the steps it needs in depends_on; refer to their output as {{steps.<id>.output}} (only steps upstream of it).
- Independent steps do not depend on each other, so they run in parallel.
- "For each …" work is a loop: "over" names an upstream step whose output is the list; the body's steps use {{item}}.
- A decision is a branch: "on" names an upstream step whose output is one of the case values; "default" handles the rest ([] to do nothing; without it, an output that matches no case fails the task).
- Set approval: true on risky steps (sending, publishing, paying, deleting, anything irreversible) and where the person asks to approve.
- When a current draft is given, change only what the person asks and keep the other steps' ids.
Answer by calling submit_plan with the whole plan.`;

export function plannerSystemPrompt(ctx: Pick<PlannerContext, "systemPrompt" | "agents">): string {
  const agents = ctx.agents.map((a) => `- ${a.name} (tools: ${a.tools.join(", ") || "none"}): ${a.system_prompt.slice(0, 300).replace(/\s+/g, " ")}`);
  return [RULES, ctx.systemPrompt.trim(), `The organization's agents:\n${agents.join("\n")}`].filter(Boolean).join("\n\n");
}

/** The conversation sent with each reply: its newest messages up to this many characters; the current draft holds what older ones decided. */
export const HISTORY_CHARS = 40_000;

/** The newest messages that fit in `budget` characters, starting with one of the person's. */
function recentHistory(history: PlannerContext["history"], budget = HISTORY_CHARS): PlannerContext["history"] {
  let used = 0;
  let from = history.length;
  while (from > 0 && used + history[from - 1].content.length <= budget) used += history[--from].content.length;
  while (from < history.length && history[from].role !== "user") from++;
  return history.slice(from);
}

const firstUserMessage = (ctx: PlannerContext) =>
  ctx.draft ? `Current draft:\n\`\`\`json\n${JSON.stringify(ctx.draft)}\n\`\`\`\n\n${ctx.message}` : ctx.message;

/** A plan from the answer: the submit_plan call's arguments, else a JSON object in the text. */
function readProposal(content: string, call: ToolCall | undefined): Proposal {
  if (call) {
    let plan = call.arguments.plan;
    if (typeof plan === "string") plan = parseJson(plan);
    return { raw: plan ?? call.arguments, reply: typeof call.arguments.reply === "string" ? call.arguments.reply : content };
  }
  const json = parseJson(/```(?:json)?\s*([\s\S]*?)```/.exec(content)?.[1] ?? content.slice(content.indexOf("{"), content.lastIndexOf("}") + 1));
  const raw = json && typeof json === "object" && "plan" in json ? (json as { plan: unknown }).plan : json;
  return { raw, reply: raw ? "" : content };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const addUsage = (a: Usage, b: Usage): Usage => ({
  input: a.input + b.input, cache: a.cache + b.cache, cache_write: a.cache_write + b.cache_write,
  output: a.output + b.output, web_search: a.web_search + b.web_search, searches: a.searches + b.searches,
});

/**
 * One proposer per reply: each call asks the model for a plan; after an invalid one it sends the
 * validation issues back in the same conversation (as the tool's result) so the model can fix them.
 */
export function modelProposer(ctx: PlannerContext) {
  const said = ctx.history.filter((m) => m.content.trim());
  const recent = recentHistory(said);
  const left = said.length - recent.length;
  const note = left ? `\n\n(The ${left} earlier messages of this conversation are left out: the current draft holds what they decided.)` : "";
  const messages: Message[] = [
    { role: "system", content: plannerSystemPrompt(ctx) + note },
    ...recent.map((m) => ({ role: m.role, content: m.content })),
    { role: "user", content: firstUserMessage(ctx) },
  ];
  let usage = zeroUsage();
  return {
    usage: () => usage,
    propose: async (attempt: number, issues: PlanIssue[] | null): Promise<Proposal> => {
      if (issues) {
        const fix = `The plan is invalid:\n${describeIssues(issues)}\nFix these and call submit_plan again with the whole corrected plan.`;
        const last = messages[messages.length - 1];
        const call = last.role === "assistant" ? last.tool_calls?.[0] : undefined;
        messages.push(call ? { role: "tool", tool_call_id: call.id, name: call.name, content: fix } : { role: "user", content: fix });
      }
      const res = await ctx.provider.call({ model: ctx.model, messages, tools: [SUBMIT_PLAN_TOOL], runNo: attempt, signal: ctx.signal, onText: ctx.onText });
      usage = addUsage(usage, res.usage);
      ctx.onUsage?.(res.usage);
      const call = res.tool_calls.find((c) => c.name === SUBMIT_PLAN_TOOL.name);
      messages.push({ role: "assistant", content: res.content, ...(call ? { tool_calls: [call] } : {}) });
      return readProposal(res.content, call);
    },
  };
}
