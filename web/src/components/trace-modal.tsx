import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import { api, openStream, taskEventsPath } from "../api";
import type { Step, TaskEvent, Trace, Turn } from "../api-types";
import { throttle } from "../lib/live";
import { durationBetween, fmtCost, fmtDateFull, fmtDuration, fmtInt, pretty } from "../lib/format";
import { createLoader } from "../lib/loader";
import { onTabKeys } from "../lib/tab-keys";
import { Modal } from "./modal";
import { ErrorState, Loading } from "./states";
import { RunBadge } from "./status-badge";

/** One step's execution trace, a tab per run so attempts can be compared. */
/** `within`: the loop iteration the step is of ("emails #2"), named in the title as its Trace button names it. */
export function TraceModal(props: { taskId: string; step: Step; within?: string; onClose: () => void }) {
  const runs = () => (props.step.runs?.length ? props.step.runs.map((r) => r.run_no) : [1]);
  const [run, setRun] = createSignal(runs()[runs().length - 1]);
  const trace = createLoader<Trace>(() => api.tasks.trace(props.taskId, props.step.id, run()), { immediate: false });
  createEffect(on(run, () => void trace.refresh()));

  // While the run generates, its text streams in over the task's events; a stored turn or a status change refetches the trace.
  const [streamed, setStreamed] = createSignal<string | null>(null);
  const refetch = throttle(() => void trace.refresh(), 250);
  const running = () => trace.data?.run_no === run() && trace.data.status === "running";
  createEffect(
    on([run, running], ([n, live]) => {
      setStreamed(null);
      if (!live) return;
      let text = "";
      let lastId = 0;
      const stop = openStream(
        taskEventsPath(props.taskId),
        ["run.text", "run.turn", "step.updated"],
        ({ type, data, id }) => {
          if (id && id <= lastId) return;
          lastId = id || lastId;
          const e = data as TaskEvent;
          if (e.type !== type || e.type === "task.updated" || e.step !== props.step.id || e.run_no !== n) return;
          if (e.type === "run.text") setStreamed((text += e.delta));
          else {
            if (e.type === "run.turn") setStreamed((text = ""));
            refetch();
          }
        },
        () => {},
      );
      onCleanup(stop);
    }),
  );
  const liveText = () => streamed() ?? trace.data?.live_text ?? "";

  return (
    <Modal open onClose={props.onClose} title={`Trace · ${props.step.name || props.step.id}${props.within ? `, ${props.within}` : ""}`} size="lg">
      <div class="tabs" role="tablist" aria-label="Runs" onKeyDown={onTabKeys}>
        <For each={runs()}>
          {(n) => {
            const meta = () => props.step.runs?.find((r) => r.run_no === n);
            return (
              <button role="tab" type="button" class="tab" data-run={n} id={`run-tab-${n}`} aria-selected={run() === n} aria-controls="run-panel" tabindex={run() === n ? 0 : -1} onClick={() => setRun(n)}>
                Run {n}
                <Show when={meta()}>{(m) => <RunBadge step={props.step} run={m()} />}</Show>
              </button>
            );
          }}
        </For>
      </div>
      <div role="tabpanel" id="run-panel" aria-labelledby={`run-tab-${run()}`} class="trace">
        <Show when={trace.data && !trace.error} fallback={<Show when={trace.error} fallback={<Loading label="Loading trace…" />}>{<ErrorState error={trace.error} retry={trace.refresh} title="Could not load the trace" />}</Show>}>
          {(() => {
            const t = () => trace.data!;
            return (
              <>
                <div class="trace-head">
                  <RunBadge step={props.step} run={t()} />
                  <span class="muted small">
                    {fmtDateFull(t().started_at)} · {fmtDuration(durationBetween(t().started_at, t().finished_at))} · {t().turns.length} {t().turns.length === 1 ? "turn" : "turns"} ·{" "}
                    <span class="trace-worked" title="The step's timeout bounds a run's working time: waiting for a person or a sub-task does not count">
                      worked {fmtDuration(t().worked_ms)} of its {fmtDuration(t().timeout_s * 1000)} timeout
                    </span>
                  </span>
                </div>
                <div class="trace-run chips" data-run={t().run_no} aria-label={`Run ${t().run_no}'s tokens and cost`}>
                  <UsageChips usage={t().tokens} searches={t().searches} cost={t().cost} />
                  <span class="muted small">
                    <Show when={t().finished_at} fallback="not finished">
                      {(f) => (
                        <>
                          finished{" "}
                          <time class="trace-finished" datetime={f()}>
                            {fmtDateFull(f())}
                          </time>
                        </>
                      )}
                    </Show>
                  </span>
                </div>
                <Show when={t().error}>
                  <p class="step-error">{t().error}</p>
                </Show>
                <details class="trace-block" open>
                  <summary>System prompt</summary>
                  <pre class="code">{t().system_prompt || "(none)"}</pre>
                </details>
                <Show when={instructions(t())}>
                  {(text) => (
                    <details class="trace-block" open>
                      <summary>Instructions</summary>
                      <pre class="code">{text()}</pre>
                    </details>
                  )}
                </Show>
                <ol class="turns">
                  <For each={t().turns} fallback={<Show when={!running() && !t().interrupted_text}>{<li class="muted">{t().finished_at ? "No turns: the run ended before the model's first turn." : "No turns recorded yet."}</li>}</Show>}>
                    {(turn, i) => <TurnView turn={turn} prev={i() > 0 ? t().turns[i() - 1] : null} />}
                  </For>
                  <Show when={running()}>
                    <li class="turn turn-live" aria-busy="true">
                      <header class="turn-head">
                        <strong>Turn {t().turns.length + 1}</strong>
                        <span class="live-pill">
                          <span class="dot" aria-hidden="true" />
                          generating
                        </span>
                      </header>
                      <div class="msg msg-assistant">
                        <span class="msg-role">model</span>
                        <pre class="msg-text live-text" data-testid="live-text">
                          {liveText()}
                          <span class="caret-blink" aria-hidden="true" />
                        </pre>
                      </div>
                    </li>
                  </Show>
                  <Show when={!running() && t().interrupted_text}>
                    {(text) => (
                      <li class="turn" data-testid="interrupted-turn">
                        <header class="turn-head">
                          <strong>Turn {t().turns.length + 1}</strong>
                          <span class="chip" title="The run stopped while the model was still answering: what it had sent so far">interrupted</span>
                        </header>
                        <div class="msg msg-assistant">
                          <span class="msg-role">model</span>
                          <pre class="msg-text">{text()}</pre>
                        </div>
                      </li>
                    )}
                  </Show>
                </ol>
              </>
            );
          })()}
        </Show>
      </div>
    </Modal>
  );
}

/** What the step asked of its agent: the first person's message the run sent (its first turn may be carried from an earlier run). */
function instructions(t: Trace): string {
  return contentText(t.turns[0]?.sent.find((m) => m.role === "user")?.content);
}

function contentText(c: unknown): string {
  if (c === null || c === undefined) return "";
  if (typeof c === "string") return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === "object" && p !== null && "text" in p ? String((p as { text: unknown }).text) : pretty(p))).join("\n");
  return pretty(c);
}

/** A message as shown: the model's own (see `Message`) or one the conversation view adds, e.g. a person's answer. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: { name: string; arguments: unknown }[];
}

export function MessageView(props: { m: ChatMessage }) {
  return (
    <div class={`msg msg-${props.m.role.replace(/\s+/g, "-")}`}>
      <span class="msg-role">{props.m.role}</span>
      <Show when={contentText(props.m.content)}>
        <pre class="msg-text">{contentText(props.m.content)}</pre>
      </Show>
      <For each={props.m.tool_calls ?? []}>
        {(c) => (
          <pre class="code small">
            → {c.name}({pretty(c.arguments)})
          </pre>
        )}
      </For>
    </div>
  );
}

/** A turn's `sent` may repeat the whole history or carry only what is new; show what is new either way. */
/** A tool call not done yet: a question not answered, a sub-task not finished (its result is null until then). */
export const notDone = (r: Turn["tool_results"][number]): boolean => r.result === null && !r.error;

export function newMessages(turn: Turn, prev: Turn | null): Turn["sent"] {
  if (!prev || prev.sent.length === 0 || turn.sent.length < prev.sent.length) return turn.sent;
  return JSON.stringify(turn.sent[0]) === JSON.stringify(prev.sent[0]) ? turn.sent.slice(prev.sent.length) : turn.sent;
}

/** Tokens (input, cache, output, web search) and cost: of a turn, or of a whole run. */
/** The figures a cost is made of: tokens of each kind and searches, each priced (README: cost = … + searches × per_search). */
function UsageChips(props: { usage: Trace["tokens"]; searches: number; cost: number }) {
  return (
    <>
      <span class="chip" title="Uncached input tokens">in {fmtInt(props.usage.input)}</span>
      <span class="chip" title="Cached input tokens">cache {fmtInt(props.usage.cache)}</span>
      <Show when={props.usage.cache_write > 0}>
        <span class="chip" title="Input tokens written to the provider's cache (priced apart)">cache write {fmtInt(props.usage.cache_write)}</span>
      </Show>
      <span class="chip" title="Output tokens">out {fmtInt(props.usage.output)}</span>
      <Show when={props.usage.web_search > 0}>
        <span class="chip" title="Web search tokens">search {fmtInt(props.usage.web_search)}</span>
      </Show>
      <Show when={props.searches > 0}>
        <span class="chip" title="Web searches run (each priced per search)">
          {fmtInt(props.searches)} {props.searches === 1 ? "search" : "searches"}
        </span>
      </Show>
      <span class="chip chip-cost">{fmtCost(props.cost)}</span>
    </>
  );
}

function TurnView(props: { turn: Turn; prev: Turn | null }) {
  const fresh = () => newMessages(props.turn, props.prev);
  const u = () => props.turn.usage;
  return (
    <li class="turn">
      <header class="turn-head">
        <strong>Turn {props.turn.turn_no}</strong>
        <Show when={props.turn.carried_from !== undefined}>
          <span class="chip" title="This run went on from where the failed run stopped: the turn's tokens and cost are counted in that run's trace">
            from run {props.turn.carried_from}
          </span>
        </Show>
        <span class="chips">
          <UsageChips usage={u()} searches={u().searches} cost={props.turn.cost} />
          <Show when={props.turn.cut_off}>
            <span class="chip" title="The answer stopped at the model's output token limit, so it did not become the step's output">cut off: {props.turn.cut_off}</span>
          </Show>
          <Show when={props.turn.refused}>
            <span class="chip" title="The provider stopped the answer for its content, so it did not become the step's output">refused: {props.turn.refused}</span>
          </Show>
          <Show when={props.turn.oversize}>
            <span class="chip" title="The answer was too large to keep: its text and tool-call arguments are cut to fit, its tool calls were not run, and the run failed">
              too large: {props.turn.oversize}
            </span>
          </Show>
          <Show when={props.turn.failed !== undefined}>
            <span class="chip" title="The provider failed this answer after saying what it used: its tokens and cost count, and the run failed">
              failed
            </span>
          </Show>
          <span class="muted small">{fmtDuration(durationBetween(props.turn.started_at, props.turn.finished_at))}</span>
        </span>
      </header>
      <Show when={props.turn.failed}>{(why) => <p class="step-error">{why()}</p>}</Show>
      <Show when={props.turn.renamed_tools?.length}>
        <div class="trace-renamed small" role="note" aria-label="Tools offered under another name">
          <span class="muted">Offered under another name, as another tool had its name:</span>
          <ul>
            <For each={props.turn.renamed_tools}>
              {(r) => (
                <li>
                  <code>{r.offered_as}</code> is <code>{r.name}</code> of {r.server} (its name was taken by {r.taken_by})
                </li>
              )}
            </For>
          </ul>
        </div>
      </Show>
      <details class="trace-block">
        <summary>
          Sent · {fresh().length} new message{fresh().length === 1 ? "" : "s"}
        </summary>
        <For each={fresh()}>{(m) => <MessageView m={m} />}</For>
      </details>
      <Show when={props.turn.content}>
        <div class="msg msg-assistant">
          <span class="msg-role">model</span>
          <pre class="msg-text">{props.turn.content}</pre>
        </div>
      </Show>
      <For each={props.turn.tool_calls}>
        {(c) => {
          const r = () => props.turn.tool_results.find((x) => x.call_id === c.id);
          return (
            <div class="tool">
              <div class="tool-call">
                <span class="tool-name">{c.name}</span>
                <pre class="code small">{c.invalid_arguments ?? pretty(c.arguments)}</pre>
              </div>
              <Show when={r()}>
                {(res) =>
                  notDone(res()) ? (
                    <p class="muted small tool-pending">{c.name === "ask_human" ? "waiting for an answer" : "waiting for the result"}</p>
                  ) : (
                    <div class={`tool-result ${res().error ? "is-error" : ""}`}>
                      <span class="muted small">
                        result{res().truncated ? " (truncated)" : ""}
                        {res().error ? ` · error: ${res().error}` : ""}
                      </span>
                      <pre class="code small">{pretty(res().result)}</pre>
                    </div>
                  )
                }
              </Show>
            </div>
          );
        }}
      </For>
      <For each={props.turn.searches}>
        {(s) => (
          <div class="search">
            <div class="search-q">
              Web search: <strong>{s.query}</strong>
            </div>
            <ul class="search-results">
              <For each={s.results}>
                {(r) => (
                  <li>
                    {/* a provider's result may name any scheme: only a web page is a link (javascript: or data: would run on click) */}
                    <Show when={/^https?:\/\//i.test(r.url)} fallback={<span>{r.title}</span>}>
                      <a href={r.url} target="_blank" rel="noopener noreferrer">
                        {r.title}
                      </a>
                    </Show>
                    <span class="muted small url">{r.url}</span>
                    <p class="small">{r.snippet}</p>
                  </li>
                )}
              </For>
            </ul>
          </div>
        )}
      </For>
    </li>
  );
}
