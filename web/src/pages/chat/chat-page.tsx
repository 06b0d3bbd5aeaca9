import { useNavigate, useParams, useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createSignal, on, onCleanup, Show } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { LIMITS } from "../../../../worker/api/limits";
import { ApiError, namesNothing } from "../../client";
import { ChatDraft } from "../../components/chat-draft";
import { ChatTranscript } from "../../components/chat-transcript";
import { Icon } from "../../components/icons";
import { RoleNote } from "../../components/role-gate";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { toast } from "../../components/toast";
import { errorMessage, fmtCost, fmtInt, totalTokens } from "../../lib/format";
import { refocusing } from "../../lib/submit";
import { canWrite, isAdmin } from "../../lib/session";
import { isTriggerList } from "../../lib/trigger-breaks";
import { isDeletedPlan, isNewerPlan } from "../../lib/newer-plan";
import { type ChatEvent, chatApi, type ConversationView } from "./chat-api";
import { type RunForm, RunDraftDialog } from "./run-draft-dialog";
import { unsent } from "./unsent";
import "./chat.css";
import { usePageTitle } from "../../lib/page-title";


/** Describe the work, get a plan, refine it by replying, then run or save it. */
export function ChatPage() {
  usePageTitle(() => "Chat");
  const params = useParams<{ id?: string }>();
  const [search] = useSearchParams<{ plan?: string }>();
  const navigate = useNavigate();
  const [conv, setConv] = createStore<{ view: ConversationView | null; error: unknown; loading: boolean }>({ view: null, error: null, loading: false });
  const [text, setText] = createSignal("");
  const type = (v: string) => (setText(v), unsent.write(params.id, v));
  const [streaming, setStreaming] = createSignal<string | null>(null);
  const [status, setStatus] = createSignal<string | null>(null);
  const [acting, setActing] = createSignal(false);
  /** the triggers the last Save would have broken: Save again pausing them */
  const [breaks, setBreaks] = createSignal<string[]>([]);
  /** the plan's version saved meanwhile that the last Save refused to undo; then the one Replace says to save over */
  const [newer, setNewer] = createSignal<number | null>(null);
  const [replaces, setReplaces] = createSignal<number | undefined>(undefined);
  /** the plan the conversation edits, found deleted by the last Save: a new plan is made only when asked */
  const [deleted, setDeleted] = createSignal<string | null>(null);
  /** the Run form of a draft with params, open or not: what was typed in it is kept across drafts */
  const [asking, setAsking] = createSignal(false);
  const [runForm, setRunForm] = createSignal<RunForm>({ inputs: {}, title: "" });
  const draftVersion = createMemo(() => conv.view?.draft?.version);
  createEffect(on(draftVersion, () => (setBreaks([]), setNewer(null), setReplaces(undefined), setAsking(false)), { defer: true }));

  let gone = false;
  onCleanup(() => (gone = true));
  const load = async (id: string) => {
    setConv({ loading: true, error: null });
    try {
      const view = await chatApi.get(id);
      // a slow answer for a conversation the route has left is dropped
      if (params.id !== id) return;
      setConv({ view, loading: false });
      if (view.busy && streaming() === null) void awaitReply(id);
    } catch (e) {
      if (params.id === id) setConv({ error: e, loading: false });
    }
  };
  // A reply asked for before a reload (or in another tab) is still being drafted: show that, and the reply once it is stored.
  let following: string | null = null;
  const stopFollowing = () => {
    if (following === null) return;
    following = null;
    setStreaming(null);
    setStatus(null);
  };
  const awaitReply = async (id: string) => {
    following = id;
    setStreaming("");
    setStatus("still answering");
    while (!gone && following === id) {
      await new Promise((r) => setTimeout(r, 1000));
      const view = await chatApi.get(id).catch(() => null);
      if (following !== id || !view || view.busy) continue;
      setConv({ view });
      stopFollowing();
    }
  };
  // Whenever the route names another conversation than the one shown (a link, Back, Forward), load it.
  createEffect(on(() => params.id, (id) => {
    stopFollowing();
    setAsking(false);
    setDeleted(null);
    setRunForm({ inputs: {}, title: "" });
    setText(unsent.read(id));
    if (!id) return setConv({ view: null, error: null, loading: false });
    if (id === conv.view?.id) return;
    setConv("view", null);
    void load(id);
  }));
  createEffect(on(() => search.plan, async (planId) => {
    if (!planId || params.id) return;
    try {
      const view = await chatApi.start({ plan_id: planId });
      setConv({ view });
      navigate(`/chat/${view.id}`, { replace: true });
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  }));

  const onEvent = (e: ChatEvent) => {
    switch (e.type) {
      case "message.created":
        return setConv("view", "messages", (m) => [...m, e.message]);
      case "reply.delta":
        return setStreaming((s) => (s ?? "") + e.text);
      case "draft.attempt":
        return setStatus(e.attempt > 1 ? `fixing the draft (attempt ${e.attempt} of ${e.max_attempts})` : "drafting");
      case "draft.invalid":
        return setStatus(`draft ${e.attempt} had ${e.issues.length} problem${e.issues.length === 1 ? "" : "s"}`);
      case "draft.created":
        return setConv("view", "draft", e.draft);
      case "reply.done":
        setStreaming(null);
        setStatus(null);
        return setConv("view", produce((v) => {
          if (!v) return;
          v.messages.push(e.message);
          // the conversation's spend is its replies' summed: this one's is added as it arrives
          const t = e.message.tokens;
          if (t) for (const k of ["input", "cache", "cache_write", "output", "web_search"] as const) v.tokens[k] += t[k];
          v.searches += e.message.searches ?? 0;
          v.cost += e.message.cost ?? 0;
        }));
    }
  };

  /** the URL names a conversation not shown yet: a message now would start another one */
  const opening = () => params.id !== undefined && conv.view?.id !== params.id;

  /** Characters past the API's limit for a message: said under the box, and nothing is sent (nor a conversation started). */
  const tooLongBy = () => text().trim().length - LIMITS.description;

  let box: HTMLTextAreaElement | undefined;
  const send = async (ev: Event) => {
    ev.preventDefault();
    const typed = text();
    const content = typed.trim();
    if (!content || streaming() !== null || opening() || tooLongBy() > 0) return;
    /** the conversation that kept the message but whose reply has not come down the stream (yet) */
    let waiting: string | null = null;
    const typedIn = params.id;
    try {
      let view = conv.view;
      if (!view) {
        view = await chatApi.start();
        setConv({ view });
        navigate(`/chat/${view.id}`, { replace: true });
      }
      const id = view.id;
      unsent.write(typedIn, "");
      setText("");
      setStreaming("");
      // Send turns off with the box emptied: the focus goes to the box, for the next message, not to the page's start
      const active = document.activeElement;
      if (active !== box && (!active || active === document.body || box?.form?.contains(active))) box?.focus();
      await chatApi.send(id, content, (e) => {
        if (e.type === "message.created") waiting = id;
        if (e.type === "reply.done") waiting = null;
        onEvent(e);
      });
      // another tab wrote to this conversation meanwhile: its messages fill the gap in the numbering
      if (conv.view?.messages.some((m, i) => m.seq !== i + 1) && params.id === view.id) {
        const fresh = await chatApi.get(view.id).catch(() => null);
        if (fresh && params.id === view.id) setConv({ view: fresh });
      }
    } catch (e) {
      // refused before it was kept (too long, busy, offline): give the words back rather than lose them
      if (e instanceof ApiError && !text().trim()) type(typed);
      if (waiting === null) toast(errorMessage(e), "error");
    } finally {
      setStreaming(null);
      setStatus(null);
    }
    // the stream ended before the reply (a dropped connection): the planner answers anyway, so wait for the stored reply
    if (waiting !== null && params.id === waiting) void awaitReply(waiting);
  };

  // Run and Save name the draft on screen; another tab's newer draft is a 409, and then the page shows it.
  const reloadIfStale = (e: unknown, id: string) => {
    if (e instanceof ApiError && e.status === 409) void load(id);
  };

  const start = async (inputs: Record<string, string> = {}, title?: string) => {
    const view = conv.view;
    if (!view?.draft) return;
    try {
      const task = await chatApi.run(view.id, view.draft.version, inputs, title);
      toast(`Started “${task.title}”`);
      navigate(`/tasks/${task.id}`);
    } catch (e) {
      // the newer draft replaces the Run form too: say why it went
      if (e instanceof ApiError && e.status === 409) toast(errorMessage(e), "error");
      reloadIfStale(e, view.id);
      throw e;
    }
  };

  // A draft with params asks for them first; one without runs at once.
  const run = async () => {
    if (conv.view?.draft?.plan.params.length) return setAsking(true);
    setActing(true);
    try {
      await start();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) toast(errorMessage(e), "error");
    } finally {
      setActing(false);
    }
  };

  // from the keyboard, the focus stays on the button pressed, which is off while the save runs
  const save = (pauseTriggers = false, asNew = false) => refocusing(() => saveNow(pauseTriggers, asNew));
  const saveNow = async (pauseTriggers: boolean, asNew: boolean) => {
    const view = conv.view;
    if (!view?.draft) return;
    setActing(true);
    try {
      const plan = await chatApi.save(view.id, view.draft.version, { pauseTriggers, replaces: asNew ? undefined : replaces(), asNew });
      setBreaks([]);
      setNewer(null);
      setReplaces(undefined);
      setDeleted(null);
      toast(pauseTriggers ? `Saved as “${plan.name}” version ${plan.version}; its triggers that need new inputs are paused` : `Saved as “${plan.name}” version ${plan.version}`);
      setConv("view", produce((v) => v && Object.assign(v, { plan_id: plan.id, plan_version: plan.version })));
      await load(view.id);
    } catch (e) {
      const broken = e instanceof ApiError && e.status === 409 && isTriggerList(e.details) ? e.details.map((d) => d.trigger_id) : [];
      const saved = e instanceof ApiError && e.status === 409 && isNewerPlan(e.details) ? e.details.version : null;
      const gone = e instanceof ApiError && e.status === 409 && isDeletedPlan(e.details) ? e.details.plan_id : null;
      // a 409 naming triggers, the plan's newer version or its deletion is not a newer draft: nothing to reload
      if (!broken.length && saved === null && gone === null) reloadIfStale(e, view.id);
      setBreaks(broken);
      setNewer(saved);
      setDeleted(gone);
      // a deleted plan is said on the page, with what to do; a newer version in the dashboard's words (the API's name JSON)
      if (saved !== null) toast(`Version ${saved} of this plan was saved after this conversation's. Look at it in the plan editor, or replace it with this draft: Replace version ${saved}.`, "error");
      else if (gone === null) toast(errorMessage(e), "error");
    } finally {
      setActing(false);
    }
  };

  const newChat = () => {
    setConv({ view: null, error: null });
    navigate("/chat");
  };

  return (
    <section class="page chat-page" aria-labelledby="chat-title">
      <header class="page-head">
        <div>
          <h1 id="chat-title">Chat</h1>
          <p class="muted">Describe the work; the planner drafts a plan you can refine, run, or save.</p>
        </div>
        <div class="actions">
          <Show when={conv.view}>
            <button class="btn" type="button" onClick={newChat}>
              <Icon name="plus" /> New chat
            </button>
          </Show>
          <Show when={conv.view?.draft && isAdmin()}>
            <Show
              when={deleted() === null}
              fallback={
                <button class="btn btn-primary" type="button" disabled={acting() || streaming() !== null} onClick={() => void save(false, true)}>
                  Save as a new plan
                </button>
              }
            >
              <button class="btn" type="button" disabled={acting() || streaming() !== null} onClick={() => void save()}>
                {conv.view?.plan_id ? "Save new version" : "Save as plan"}
              </button>
            </Show>
          </Show>
          <Show when={newer() !== null && isAdmin()}>
            <button class="btn btn-danger" type="button" disabled={acting() || streaming() !== null} onClick={() => (setReplaces(newer() ?? undefined), void save())}>
              Replace version {newer()}
            </button>
          </Show>
          <Show when={breaks().length && isAdmin()}>
            <button class="btn btn-danger" type="button" disabled={acting() || streaming() !== null} onClick={() => void save(true)}>
              Save and pause {breaks().length === 1 ? "the trigger" : `${breaks().length} triggers`}
            </button>
          </Show>
          <Show when={conv.view?.draft && canWrite()}>
            <button class="btn btn-primary" type="button" disabled={acting() || streaming() !== null} onClick={run}>
              Run
            </button>
          </Show>
        </div>
      </header>
      <Show
        when={!conv.error}
        fallback={
          <Show when={!namesNothing(conv.error)} fallback={<EmptyState title="Conversation not found" heading>It may belong to another organization, or the link is wrong.</EmptyState>}>
            <ErrorState error={conv.error} retry={() => params.id && load(params.id)} title="Could not load the conversation" />
          </Show>
        }
      >
        <div class="chat-layout">
          <div class="card chat-pane">
            <Show when={!conv.loading || conv.view} fallback={<Skeleton rows={3} />}>
              <Show when={conv.view?.planner}>
                {(p) => (
                  <p class="muted small" data-testid="chat-planner">
                    Planner: {p().agent ? `${p().agent} (${p().model})` : "offline"}
                    {conv.view?.plan_id ? ` · editing ${conv.view.plan_id} v${conv.view.plan_version}${deleted() === conv.view.plan_id ? " (deleted)" : ""}` : ""}
                    <Show when={totalTokens(conv.view?.tokens) > 0}>
                      {" "}· spent <span data-testid="chat-spend">{fmtCost(conv.view?.cost)}</span> ({fmtInt(totalTokens(conv.view?.tokens))} tokens)
                    </Show>
                  </p>
                )}
              </Show>
              <Show when={deleted()}>
                {(id) => (
                  <p class="form-error" role="alert">
                    Plan {id()} was deleted after this conversation started from it, so there is no plan to save a new version of. Nothing was saved; the
                    draft is kept. {isAdmin() ? "Save as a new plan to keep it." : ""}
                  </p>
                )}
              </Show>
              <ChatTranscript messages={conv.view?.messages ?? []} streaming={streaming()} status={status()} />
            </Show>
            <form class="chat-composer" onSubmit={send} novalidate>
              <Show when={!canWrite()}>
                <RoleNote>Viewers can read conversations; writing to the planner needs a member or admin token.</RoleNote>
              </Show>
              <label class="field">
                <span>Message to the planner</span>
                <textarea
                  ref={box}
                  rows={4}
                  value={text()}
                  onInput={(e) => type(e.currentTarget.value)}
                  onKeyDown={(e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && void send(e)}
                  placeholder={conv.view?.draft ? "e.g. Add a review step before sending" : "e.g. Research our top competitors. Write a summary of their pricing. Send it to the team."}
                  disabled={!canWrite()}
                  aria-invalid={tooLongBy() > 0 || undefined}
                  aria-describedby={tooLongBy() > 0 ? "chat-too-long" : undefined}
                />
              </label>
              <Show when={tooLongBy() > 0}>
                <p id="chat-too-long" class="form-error small" role="alert">
                  A message is at most {fmtInt(LIMITS.description)} characters; this one has {fmtInt(text().trim().length)}, {fmtInt(tooLongBy())} too many.
                </p>
              </Show>
              <button class="btn btn-primary" type="submit" disabled={!text().trim() || streaming() !== null || !canWrite() || opening() || tooLongBy() > 0}>
                Send
              </button>
            </form>
          </div>
          <div class="card chat-pane">
            <Show when={conv.view?.draft} fallback={<EmptyState title="No draft yet">The planner's draft appears here as a step list and a graph.</EmptyState>}>
              {(d) => <ChatDraft draft={d()} />}
            </Show>
          </div>
        </div>
      </Show>
      <Show when={asking() && conv.view?.draft}>
        {(d) => <RunDraftDialog draft={d()} form={runForm()} onChange={setRunForm} onClose={() => setAsking(false)} onRun={start} />}
      </Show>
    </section>
  );
}
