import { parseModel, providerFor } from "../agents/providers";
import { StepError, type Usage } from "../agents/types";
import type { Bindings } from "../env";
import type { Masker } from "../lib/mask";
import type { Plan } from "../task/plan-schema";
import type { PlanIssue } from "../task/validate";
import { checkDraft, describeIssues } from "./check";
import { modelProposer } from "./model-planner";
import { draftWithRepair } from "./repair";
import { simPlanner } from "./sim";
import type { ChatEvent, OrgAgent, PlannerInfo } from "./types";

/** Proposals per reply: the first draft and up to two repairs. */
export const MAX_PLAN_ATTEMPTS = 3;

export interface PlanRequest {
  env: Pick<Bindings, "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "ANTHROPIC_API_KEY" | "ANTHROPIC_BASE_URL">;
  planner: PlannerInfo;
  plannerPrompt: string;
  agents: OrgAgent[];
  history: { role: "user" | "assistant"; content: string }[];
  message: string;
  draft: Plan | null;
  emit: (e: ChatEvent) => void;
  signal?: AbortSignal;
  maxAttempts?: number;
  /** each model call's usage (the offline planner makes none) */
  onUsage?: (usage: Usage) => void;
  /** for a model's failure, which may quote the key it was sent */
  mask: Masker;
}

export type PlanReply = { ok: true; plan: Plan; reply: string } | { ok: false; reply: string; issues: PlanIssue[] };

/** Streams a text that arrives all at once (the offline planner's) in small pieces, as a model's would. */
export function streamText(text: string, emit: (e: ChatEvent) => void) {
  for (const piece of text.match(/\S+\s*|\s+/g) ?? []) emit({ type: "reply.delta", text: piece });
}

/** One planner reply: a new draft that passed the plan rules, or a clear failure naming the last issues. */
export async function planReply(r: PlanRequest): Promise<PlanReply> {
  const known = new Set(r.agents.map((a) => a.name));
  const maxAttempts = r.maxAttempts ?? MAX_PLAN_ATTEMPTS;
  const hooks = {
    check: (raw: unknown) => checkDraft(raw, known),
    onAttempt: (attempt: number) => r.emit({ type: "draft.attempt", attempt, max_attempts: maxAttempts }),
    onInvalid: (attempt: number, issues: PlanIssue[]) => r.emit({ type: "draft.invalid", attempt, issues }),
  };
  if (parseModel(r.planner.model).kind === "sim") {
    // deterministic: a second attempt would give the same plan, so one is all it gets
    const { plan, reply } = simPlanner(r.message, r.draft, r.agents);
    // words with no work in them: an answer, not an invalid draft
    if (!plan.steps.length) {
      streamText(reply, r.emit);
      return { ok: false, reply, issues: [] };
    }
    const out = await draftWithRepair({ ...hooks, maxAttempts: 1, propose: async () => ({ raw: plan, reply }) });
    return finish(out, r.emit, true);
  }
  const model = parseModel(r.planner.model).name;
  let streamed = false;
  const proposer = modelProposer({
    provider: providerFor(r.planner.model, r.env), model, systemPrompt: r.plannerPrompt, agents: r.agents, history: r.history,
    message: r.message, draft: r.draft, signal: r.signal ?? new AbortController().signal, onUsage: r.onUsage,
    onText: (text) => ((streamed = true), r.emit({ type: "reply.delta", text })),
  });
  try {
    const out = await draftWithRepair({ ...hooks, maxAttempts, propose: proposer.propose });
    return finish(out, r.emit, !streamed);
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
    const reply = `The planner's model failed: ${r.mask(e.message)}`;
    streamText(reply, r.emit);
    return { ok: false, reply, issues: [] };
  }
}

function finish(out: Awaited<ReturnType<typeof draftWithRepair>>, emit: (e: ChatEvent) => void, stream: boolean): PlanReply {
  if (out.ok) {
    const reply = out.reply.trim() || "Here is the draft.";
    if (stream) streamText(reply, emit);
    return { ok: true, plan: out.plan, reply };
  }
  const reply = `I could not make a valid plan after ${out.attempts} attempt${out.attempts === 1 ? "" : "s"}. The draft is unchanged. Last problems:\n${describeIssues(out.issues)}`;
  streamText(`${stream ? "" : "\n\n"}${reply}`, emit);
  return { ok: false, reply, issues: out.issues };
}
