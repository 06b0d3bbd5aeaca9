import { createEffect, For, Show } from "solid-js";
import { fmtCost, fmtInt, totalTokens } from "../lib/format";
import type { ChatMessage } from "../pages/chat/chat-api";

const ROLE: Record<ChatMessage["role"], string> = { user: "You", assistant: "Planner", event: "Note" };

/** The conversation with the planner; a reply being written shows as it streams. */
export function ChatTranscript(props: { messages: ChatMessage[]; streaming: string | null; status: string | null }) {
  let list: HTMLOListElement | undefined;
  createEffect(() => {
    void [props.messages.length, props.streaming];
    if (list) list.scrollTop = list.scrollHeight;
  });
  return (
    <ol ref={list} class="chat-transcript conversation" aria-label="Conversation with the planner" aria-live="polite">
      <For each={props.messages} fallback={<li class="muted">Describe the work in plain language: one sentence or line per step works best.</li>}>
        {(m) => (
          <li class={`msg chat-msg msg-${m.role}${m.failed ? " is-failed" : ""}`} data-role={m.role}>
            <span class="msg-role">
              {ROLE[m.role]}
              <Show when={m.draft_version != null && m.role === "assistant"}> · draft {m.draft_version}</Show>
              <Show when={totalTokens(m.tokens) > 0}>
                <span class="msg-spend" title="What this reply's model calls used and cost">
                  {" "}· {fmtInt(totalTokens(m.tokens))} tokens · {fmtCost(m.cost)}
                </span>
              </Show>
            </span>
            <div class="msg-text chat-text">{m.content}</div>
          </li>
        )}
      </For>
      <Show when={props.streaming !== null}>
        <li class="msg chat-msg msg-assistant is-streaming" data-role="streaming">
          <span class="msg-role">Planner{props.status ? ` · ${props.status}` : ""}</span>
          <div class="msg-text chat-text">{props.streaming || "…"}</div>
        </li>
      </Show>
    </ol>
  );
}
