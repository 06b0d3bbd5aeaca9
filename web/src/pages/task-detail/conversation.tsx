import { createEffect, For, on, Show } from "solid-js";
import { api } from "../../api";
import type { Step, Trace } from "../../api-types";
import { ErrorState, Skeleton } from "../../components/states";
import { type ChatMessage, MessageView, newMessages, notDone } from "../../components/trace-modal";
import { pretty } from "../../lib/format";
import { createLoader } from "../../lib/loader";

/** A single-agent task reads as a conversation: what it was asked, tool calls, answers, its reply. */
function questionOf(args: unknown): string {
  if (typeof args === "object" && args !== null && "question" in args) return String((args as { question: unknown }).question);
  return pretty(args);
}

/** Why there is nothing to show yet: no turn has finished. */
function quiet(status: Step["status"]): string {
  if (status === "pending") return "The agent has not started yet.";
  if (status === "in_progress" || status === "needs_input") return "The agent is at work; its first turn is not finished yet.";
  return "No turn of the agent was recorded.";
}

export function Conversation(props: { taskId: string; step: Step }) {
  const lastRun = () => props.step.runs?.at(-1)?.run_no ?? 1;
  const trace = createLoader<Trace>(() => api.tasks.trace(props.taskId, props.step.id, lastRun()), { immediate: false });
  createEffect(on(() => [lastRun(), props.step.status, props.step.tokens?.output, props.step.runs?.length] as const, () => void trace.refresh()));

  /** Rebuilt turn by turn: what was sent, what the model said, called and searched, and what came back (a person's answers included). */
  const messages = (t: Trace): ChatMessage[] => {
    const out: ChatMessage[] = [];
    t.turns.forEach((turn, i) => {
      for (const m of newMessages(turn, i > 0 ? t.turns[i - 1] : null)) if (m.role !== "system" && m.role !== "tool") out.push(m);
      const calls = turn.tool_calls.filter((c) => c.name !== "ask_human");
      for (const c of turn.tool_calls.filter((x) => x.name === "ask_human")) out.push({ role: "agent asks", content: questionOf(c.arguments) });
      if (turn.content || calls.length) out.push({ role: "assistant", content: turn.content, tool_calls: calls });
      for (const q of turn.searches) out.push({ role: "web search", content: [q.query, ...q.results.map((r) => `${r.title} — ${r.url}\n${r.snippet}`)].join("\n\n") });
      for (const r of turn.tool_results) {
        if (notDone(r)) continue;
        const human = r.name === "ask_human";
        out.push({ role: human ? "you" : "tool", name: r.name, content: r.error ? `error: ${r.error}` : human && typeof r.result === "string" ? r.result : pretty(r.result) });
      }
    });
    return out;
  };

  return (
    <section class="card" aria-labelledby="conv-title">
      <h2 id="conv-title">Conversation</h2>
      <Show when={trace.data} fallback={<Show when={trace.error} fallback={<Skeleton rows={2} />}>{<ErrorState error={trace.error} retry={trace.refresh} title="Could not load the conversation" />}</Show>}>
        {(t) => (
          <div class="conversation">
            <For each={messages(t())} fallback={<p class="muted">{quiet(props.step.status)}</p>}>
              {(m) => <MessageView m={m} />}
            </For>
          </div>
        )}
      </Show>
    </section>
  );
}
