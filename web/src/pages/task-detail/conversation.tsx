import { createEffect, For, on, Show } from "solid-js";
import { api } from "../../api";
import type { Message, Step, Trace } from "../../api-types";
import { ErrorState, Skeleton } from "../../components/states";
import { MessageView } from "../../components/trace-modal";
import { pretty } from "../../lib/format";
import { createLoader } from "../../lib/loader";

/** A single-agent task reads as a conversation: what it was asked, tool calls, answers, its reply. */
export function Conversation(props: { taskId: string; step: Step }) {
  const lastRun = () => props.step.runs?.at(-1)?.run_no ?? 1;
  const trace = createLoader<Trace>(() => api.tasks.trace(props.taskId, props.step.id, lastRun()), { immediate: false });
  createEffect(on(() => [lastRun(), props.step.status, props.step.tokens?.output, props.step.runs?.length] as const, () => void trace.refresh()));

  const messages = (t: Trace): Message[] => {
    const last = t.turns.at(-1);
    if (!last) return [];
    const out = last.sent.filter((m) => m.role !== "system");
    if (last.content || last.tool_calls.length) out.push({ role: "assistant", content: last.content, tool_calls: last.tool_calls });
    for (const r of last.tool_results) out.push({ role: "tool", name: r.name, content: r.error ? `error: ${r.error}` : pretty(r.result) });
    return out;
  };

  return (
    <section class="card" aria-labelledby="conv-title">
      <h2 id="conv-title">Conversation</h2>
      <Show when={trace.data} fallback={<Show when={trace.error} fallback={<Skeleton rows={2} />}>{<ErrorState error={trace.error} retry={trace.refresh} title="Could not load the conversation" />}</Show>}>
        {(t) => (
          <div class="conversation">
            <For each={messages(t())} fallback={<p class="muted">The agent has not started yet.</p>}>
              {(m) => <MessageView m={m} />}
            </For>
          </div>
        )}
      </Show>
    </section>
  );
}
