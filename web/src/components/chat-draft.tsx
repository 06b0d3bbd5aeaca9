import { For, Show } from "solid-js";
import type { PlanStep } from "../api-types";
import type { DraftStep, DraftView } from "../pages/chat/chat-api";
import { DagView } from "./dag-view";

type Mark = "added" | "changed" | undefined;

function StepRows(props: { steps: DraftStep[]; mark: (id: string) => Mark }) {
  return (
    <ol class="chat-steps">
      <For each={props.steps}>
        {(s) => (
          <li class={`chat-step${props.mark(s.id) ? ` is-${props.mark(s.id)}` : ""}`} data-step={s.id}>
            <div class="chat-step-head">
              <code>{s.id}</code>
              <span class="chat-step-name">{s.name ?? ""}</span>
              <span class="chip">{s.kind === "agent" ? s.agent : s.kind}</span>
              <Show when={s.kind === "agent" && s.approval}>
                <span class="chip chat-approval">needs approval</span>
              </Show>
              <Show when={props.mark(s.id)}>
                <span class="chip chat-mark">{props.mark(s.id)}</span>
              </Show>
            </div>
            <Show when={s.depends_on.length}>
              <div class="muted small">after {s.depends_on.join(", ")}</div>
            </Show>
            <Show when={s.kind === "agent" && s.tools.length}>
              <div class="muted small">tools: {s.kind === "agent" ? s.tools.join(", ") : ""}</div>
            </Show>
            <Show when={s.kind === "loop" ? s : null}>
              {(l) => (
                <>
                  <div class="muted small">for each item of {l().over}, {l().concurrency} at a time</div>
                  <StepRows steps={l().body} mark={props.mark} />
                </>
              )}
            </Show>
            <Show when={s.kind === "branch" ? s : null}>
              {(b) => (
                <>
                  <div class="muted small">branch on {b().on}</div>
                  <For each={Object.entries(b().cases)}>
                    {([value, body]) => (
                      <div class="chat-case">
                        <span class="small">when “{value}”</span>
                        <StepRows steps={body} mark={props.mark} />
                      </div>
                    )}
                  </For>
                  <Show when={b().default?.length}>
                    <div class="chat-case">
                      <span class="small">otherwise</span>
                      <StepRows steps={b().default ?? []} mark={props.mark} />
                    </div>
                  </Show>
                </>
              )}
            </Show>
          </li>
        )}
      </For>
    </ol>
  );
}

/** The current draft: what changed since the previous one, its steps, and its DAG. */
export function ChatDraft(props: { draft: DraftView }) {
  const mark = (id: string): Mark =>
    props.draft.changes.from_version === null ? undefined : props.draft.changes.added.some((s) => s.id === id) ? "added" : props.draft.changes.changed.some((s) => s.id === id) ? "changed" : undefined;
  return (
    <div class="chat-draft" aria-label={`Draft ${props.draft.version}`}>
      <header class="chat-draft-head">
        <h2>{props.draft.plan.name}</h2>
        <span class="muted small">draft {props.draft.version}</span>
      </header>
      <section class="chat-changes" aria-label="What changed">
        <h3>{props.draft.changes.from_version === null ? "First draft" : `Changes since draft ${props.draft.changes.from_version}`}</h3>
        <ul>
          <For each={props.draft.changes.summary} fallback={<li class="muted">No changes.</li>}>
            {(line) => <li>{line}</li>}
          </For>
        </ul>
      </section>
      <section aria-label="Steps">
        <h3>Steps</h3>
        <StepRows steps={props.draft.plan.steps} mark={mark} />
      </section>
      <section aria-label="Plan graph" class="chat-dag" tabindex="0">
        <h3>Graph</h3>
        <DagView plan={props.draft.plan.steps as unknown as PlanStep[]} />
      </section>
    </div>
  );
}
