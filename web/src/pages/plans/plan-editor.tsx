import { A, useBeforeLeave, useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import { api, ApiError, namesNothing } from "../../api";
import type { Plan, PlanDefinition, PlanIssue, PlanVersion } from "../../api-types";
import { DagView, drawableSteps } from "../../components/dag-view";
import { RoleNote } from "../../components/role-gate";
import { ErrorState, Loading } from "../../components/states";
import { toast } from "../../components/toast";
import { errorMessage } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";
import { onTabKeys } from "../../lib/tab-keys";
import { JsonEditor, type EditorIssue } from "./json-editor";
import { lineFor, parseErrorLine, prettyWithLines } from "./json-paths";
import { DeletePlanDialog } from "./delete-plan-dialog";
import { RunPlanForm } from "./run-plan-form";
import { savedBy, VersionList } from "./version-list";
import { isTriggerList } from "../../lib/trigger-breaks";
import { isNewerPlan } from "../../lib/newer-plan";
import { onLive } from "../../lib/live";
import { refocusing } from "../../lib/submit";

export type PlanTab = "edit" | "graph" | "run" | "versions";

const TAB_LABEL: Record<PlanTab, string> = { edit: "JSON", graph: "Graph", run: "Run", versions: "Versions" };

const TEMPLATE: PlanDefinition = {
  name: "New plan",
  description: "",
  params: [{ name: "topic", description: "What to research", required: true }],
  steps: [
    { id: "research", kind: "agent", agent: "researcher", instructions: "Research {{params.topic}}." },
    { id: "summary", kind: "agent", agent: "writer", instructions: "Summarize:\n{{steps.research.output}}", depends_on: ["research"] },
  ],
};


function isIssueList(v: unknown): v is PlanIssue[] {
  return Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && "message" in x);
}

/** A version number from the URL (`?version=2`, e.g. a task's "Plan … v2" link); null shows the current one. */
const versionOf = (v: string | undefined): number | null => (v && /^[1-9]\d*$/.test(v) ? Number(v) : null);

/** One plan (or a new one): its JSON (the current version, or the one `?version=` names), a form that runs it, and its versions. */
export function PlanEditor(props: { id: string; tab: PlanTab; onTab: (t: PlanTab) => void; onSaved: (p: Plan) => void; onDeleted: () => void }) {
  const isNew = () => props.id === "new";
  const plan = createLoader<Plan>(() => api.plans.get(props.id), { immediate: false });
  const versions = createLoader(() => api.plans.versions(props.id), { immediate: false });
  const [text, setText] = createSignal("");
  /** The text as last loaded or saved: anything else typed is lost by leaving, so leaving asks first. */
  const [clean, setClean] = createSignal("");
  const load = (t: string) => (setText(t), setClean(t));
  const dirty = () => text() !== clean();
  const [issues, setIssues] = createSignal<EditorIssue[]>([]);
  const [err, setErr] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  /** Triggers the last save would have broken: it can be saved again, pausing them. */
  const [breaks, setBreaks] = createSignal<string[]>([]);
  /** The version the JSON builds on: a save replaces it only, so one made meanwhile (another tab, a script) is not undone unseen. */
  const [base, setBase] = createSignal(0);
  /** The version the last save found saved meanwhile: the edits stay, to look at it first or replace it. */
  const [newer, setNewer] = createSignal<number | null>(null);
  /** Who saved that version, once known. */
  const [newerBy, setNewerBy] = createSignal<string | null>(null);
  /** The plan was deleted (elsewhere) while edited: the edits stay, to save as a new plan. */
  const [gone, setGone] = createSignal(false);
  const [deleting, setDeleting] = createSignal(false);
  const tab = (): PlanTab => (isNew() && props.tab !== "graph" ? "edit" : props.tab);
  const [search, setSearch] = useSearchParams<{ version?: string }>();
  const asked = () => versionOf(search.version);
  /** The older version on show, if the URL names one: the current version is never "viewed". */
  const older = createMemo(() => {
    const v = asked();
    // not before the plan: what is shown sets the version a save builds on, which is the plan's
    if (v === null || !plan.data || v === plan.data.version) return null;
    return versions.data?.items.find((x) => x.version === v && x.definition) ?? null;
  });
  const viewing = () => older()?.version ?? null;
  const missingVersion = () => asked() !== null && !!plan.data && asked() !== plan.data.version && !!versions.data && !older();
  const setViewing = (v: number | null) => setSearch({ version: v ?? undefined }, { replace: true });
  const shown = createMemo(() => older()?.definition ?? plan.data?.definition);
  /** The graph of what the JSON tab holds, unsaved edits included; null while it does not parse into steps. */
  const drawn = createMemo(() => {
    try {
      return drawableSteps(JSON.parse(text()));
    } catch {
      return null;
    }
  });

  if (isNew()) load(prettyWithLines(TEMPLATE).text);
  else {
    void plan.refresh();
    void versions.refresh();
  }
  // What is shown changes with the URL's version and when the plan loads; typing in between is kept.
  createEffect(on(shown, (d) => d && (load(prettyWithLines(d).text), setBase(plan.data?.version ?? 0), setNewer(null))));

  useBeforeLeave((e) => {
    if (dirty() && !e.defaultPrevented && !window.confirm("Discard your unsaved changes to this plan?")) e.preventDefault();
  });
  const onUnload = (e: BeforeUnloadEvent) => {
    if (dirty()) e.preventDefault();
  };
  window.addEventListener("beforeunload", onUnload);
  onCleanup(() => window.removeEventListener("beforeunload", onUnload));

  const DELETED = "This plan was deleted while you edited it (in another tab, or by someone else). Your edits are kept here, not saved: save them as a new plan to keep them.";
  /** Version `v` was saved elsewhere while this page built on another: the edits stay, to look at it first or replace it. */
  const showNewer = (v: number) => {
    setNewer(v);
    setNewerBy(null);
    // the history is not what is being edited: it lists the new version at once
    void versions.refresh();
    // read apart from the loaded plan, which the edits and the Run tab stay on
    void api.plans.get(props.id).then((p) => newer() === v && p.version === v && setNewerBy(savedBy(p)), () => undefined);
  };
  const reload = () =>
    void plan.refresh().then(() => {
      if (plan.data && !dirty()) (load(prettyWithLines(plan.data.definition).text), setBase(plan.data.version));
      void versions.refresh();
    });
  // Saved or deleted elsewhere: said at once, not only when a save is refused; what is on show (and typed) stays
  // until the person loads the new version. Our own save or delete is busy meanwhile.
  onLive((ev) => {
    if (ev.type !== "plan" || ev.plan.id !== props.id || isNew() || !plan.data || busy() || deleting()) return;
    if (ev.deleted) return void (setGone(true), setErr(dirty() ? DELETED : "This plan was deleted (in another tab, or by someone else). Tasks that ran it keep the version they ran."));
    if (ev.plan.version > base() && ev.plan.version !== newer()) showNewer(ev.plan.version);
  });

  // a save from the keyboard keeps the focus on its button, which is off while the request runs
  const save = (pauseTriggers = false, asNew = false) => refocusing(() => saveNow(pauseTriggers, asNew));
  const saveNow = async (pauseTriggers: boolean, asNew: boolean) => {
    setErr(null);
    setIssues([]);
    setBreaks([]);
    setNewer(null);
    setGone(false);
    const sent = text();
    let def: PlanDefinition;
    try {
      def = JSON.parse(sent) as PlanDefinition;
    } catch (e) {
      const line = parseErrorLine(text(), errorMessage(e)) ?? 1;
      setIssues([{ line, path: "", message: `Not valid JSON: ${errorMessage(e)}` }]);
      return;
    }
    setBusy(true);
    try {
      const saved = isNew() || asNew ? await api.plans.create(def) : await api.plans.update(props.id, def, base(), pauseTriggers);
      setClean(sent);
      // the same plan as the version it builds on makes no version: say so rather than "Saved"
      const same = !isNew() && !asNew && saved.version === base();
      // what is typed now builds on the version just saved (the refresh below may keep the loaded definition as it is)
      setBase(saved.version);
      if (same) toast(`Nothing changed: “${saved.name}” stays at v${saved.version}`);
      else toast(pauseTriggers ? `Saved “${saved.name}” v${saved.version}; its triggers that need new inputs are paused` : `Saved “${saved.name}” v${saved.version}`);
      // the plan is now the version just made: an older version on show (restored by this save) gives way to it, not to the one current before
      if (!isNew() && !asNew) plan.mutate(() => saved);
      setViewing(null);
      props.onSaved(saved);
      if (!isNew() && !asNew) {
        void plan.refresh();
        void versions.refresh();
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && isNewerPlan(e.details)) {
        showNewer(e.details.version);
        setErr(`Version ${e.details.version} of this plan was saved while you edited (in another tab, or by someone else). Your edits are kept here, not saved: look at version ${e.details.version} first, or replace it with yours.`);
      } else if (e instanceof ApiError && e.status === 404 && !isNew()) {
        setGone(true);
        setErr(DELETED);
      } else if (e instanceof ApiError && e.status === 409 && isTriggerList(e.details)) {
        setBreaks(e.details.map((d) => d.trigger_id));
        setErr(e.message);
      } else if (e instanceof ApiError && isIssueList(e.details) && e.details.length) {
        // Reformat so every path has a known line, then mark each issue on its line.
        const { text: pretty, lines } = prettyWithLines(def);
        setText(pretty);
        setIssues(e.details.map((d) => ({ line: lineFor(lines, def, d), path: [d.step ? `step ${d.step}` : "", d.path].filter(Boolean).join(": "), message: d.message })));
        setErr(e.message);
      } else setErr(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const showVersion = (v: PlanVersion) => {
    // one saved since this page loaded is the plan now: loaded as the notice's button does, not shown as an old one
    if (v.version > (plan.data?.version ?? 0)) {
      setNewer(v.version);
      revert();
      return toJsonTab();
    }
    setViewing(v.version === plan.data?.version ? null : v.version);
    toJsonTab();
  };
  /** Shows the JSON tab with the focus on it: the Versions list goes, and the picked version's button with it. */
  const toJsonTab = () => {
    props.onTab("edit");
    document.getElementById("plan-tab-edit")?.focus();
  };
  const revert = () => {
    const stale = newer() !== null;
    setNewer(null);
    setIssues([]);
    setErr(null);
    setBreaks([]);
    // an explicit discard: loaded first, so leaving the older version does not ask
    if (plan.data) load(prettyWithLines(plan.data.definition).text);
    setViewing(null);
    // discarded for the version saved meanwhile: load it (the refresh updates the loaded definition in place, unseen by the effect)
    if (stale) reload();
  };

  return (
    <Show
      when={isNew() || plan.data}
      fallback={
        <Show when={plan.error} fallback={<Loading />}>
          <Show
            when={namesNothing(plan.error)}
            fallback={<ErrorState error={plan.error} retry={plan.refresh} title="Could not load this plan" />}
          >
            <ErrorState error="Tasks that ran it keep the version they ran: it is on each task's page." title="This plan was deleted, or never existed" />
          </Show>
        </Show>
      }
    >
      <div class="card stack">
        <header class="row space-between wrap">
          <div>
            <h2>{isNew() ? "New plan" : plan.data?.name}</h2>
            <Show when={!isNew()}>
              <span class="muted small" data-testid="plan-version">
                version {plan.data?.version}
                {viewing() !== null ? ` · showing v${viewing()} (save to restore it)` : ""}
                {newer() !== null ? ` · editing from version ${base()} — version ${newer()} saved${newerBy() ? ` by ${newerBy()}` : ""} meanwhile` : ""}
              </span>
            </Show>
          </div>
          <div class="row gap-sm wrap">
            <div class="tabs" role="tablist" aria-label="Plan views" onKeyDown={onTabKeys}>
              <For each={(isNew() ? ["edit", "graph"] : ["edit", "graph", "run", "versions"]) as PlanTab[]}>
                {(k) => (
                  <button role="tab" type="button" class="tab" id={`plan-tab-${k}`} aria-controls="plan-panel" aria-selected={tab() === k} tabindex={tab() === k ? 0 : -1} onClick={() => props.onTab(k)}>
                    {TAB_LABEL[k]}
                  </button>
                )}
              </For>
            </div>
            <Show when={!isNew() && isAdmin()}>
              <button class="btn btn-sm btn-danger-ghost" type="button" onClick={() => setDeleting(true)}>
                Delete
              </button>
            </Show>
          </div>
        </header>
        <Show when={newer() !== null && !dirty() && !gone()}>
          <p class="form-notice row gap-sm wrap" role="status" data-testid="newer-notice">
            <span>
              Version {newer()} was saved{newerBy() ? ` by ${newerBy()}` : ""} since this page loaded version {base()}.
            </span>
            <button class="btn btn-sm" type="button" onClick={revert}>
              Load version {newer()}
            </button>
          </p>
        </Show>
        <div id="plan-panel" role="tabpanel" aria-labelledby={`plan-tab-${tab()}`} class="stack">
          <Show when={tab() === "edit"}>
            <Show when={missingVersion()}>
              <p class="form-error" role="alert">
                Version {asked()} of this plan does not exist; showing the current version.
              </p>
            </Show>
            <JsonEditor value={text()} onInput={setText} issues={issues()} label="Plan JSON" readOnly={!isAdmin()} />
            <Show when={err()}>
              <p class="form-error" role="alert">
                {err()}
              </p>
            </Show>
            <Show when={isAdmin() && dirty() && newer()}>
              {(v) => (
                <div class="row gap-sm wrap" data-testid="newer-version">
                  <a class="btn btn-ghost" href={`/plans/${encodeURIComponent(props.id)}?version=${v()}`} target="_blank" rel="noopener">
                    See version {v()} (new tab)
                  </a>
                  <button class="btn btn-danger" type="button" disabled={busy()} onClick={() => (setBase(v()), void save())}>
                    Replace version {v()}
                  </button>
                </div>
              )}
            </Show>
            <Show when={gone() && isAdmin()}>
              <div class="row gap-sm wrap">
                <button class="btn btn-primary" type="button" disabled={busy()} onClick={() => void save(false, true)}>
                  Save as a new plan
                </button>
              </div>
            </Show>
            <Show when={breaks().length && isAdmin()}>
              <div class="row gap-sm wrap" data-testid="breaks-triggers">
                <button class="btn btn-danger" type="button" disabled={busy()} onClick={() => void save(true)}>
                  Save and pause {breaks().length === 1 ? "the trigger" : `${breaks().length} triggers`}
                </button>
                <A class="btn btn-ghost" href="/settings?tab=triggers">
                  Open Settings › Triggers
                </A>
              </div>
            </Show>
            <Show when={isAdmin()} fallback={<RoleNote>Only admins edit plans; this is read-only.</RoleNote>}>
              <div class="row gap-sm">
                <button class="btn btn-primary" type="button" disabled={busy()} onClick={() => void save()}>
                  {busy() ? "Saving…" : isNew() ? "Create plan" : "Save new version"}
                </button>
                <Show when={!isNew() && plan.data}>
                  <button class="btn btn-ghost" type="button" onClick={revert}>
                    Revert
                  </button>
                </Show>
              </div>
            </Show>
          </Show>
          <Show when={tab() === "graph"}>
            <Show
              when={drawn()}
              fallback={
                <p class="muted" role="status">
                  The graph shows once the JSON tab holds a plan whose steps can be read: fix the JSON there first.
                </p>
              }
            >
              {(steps) => (
                <>
                  <Show when={dirty()}>
                    <p class="muted small">The graph of your unsaved edits.</p>
                  </Show>
                  {/* its own scrolling region, as on a task's page: a plan of many columns would widen the page */}
                  <div class="dag-scroll" tabindex="0" role="region" aria-label="Plan graph">
                    <DagView plan={steps()} />
                  </div>
                </>
              )}
            </Show>
          </Show>
          {/* keyed on the version: a new save brings its own params and defaults */}
          <Show when={tab() === "run" && plan.data?.version} keyed>
            <p class="muted small" data-testid="runs-version">
              {newer() !== null
                ? `Runs v${plan.data?.version}, the version this page loaded, not v${newer()} saved${newerBy() ? ` by ${newerBy()}` : ""} meanwhile: Revert to load v${newer()} and run it.`
                : viewing() !== null
                ? `Runs the current version, v${plan.data?.version}, not v${viewing()} shown in the JSON tab: save v${viewing()} as a new version to run it.`
                : `Runs the current version, v${plan.data?.version}.`}
            </p>
            <RunPlanForm planId={props.id} version={plan.data!.version} def={plan.data!.definition} />
          </Show>
          <Show when={tab() === "versions"}>
            <VersionList versions={versions.data?.items} current={Math.max(newer() ?? 0, plan.data?.version ?? 0) || undefined} shown={viewing() ?? plan.data?.version} onPick={showVersion} />
          </Show>
        </div>
      </div>
      <Show when={deleting() && plan.data}>
        {(p) => <DeletePlanDialog plan={p()} onClose={() => setDeleting(false)} onDeleted={() => (setClean(text()), props.onDeleted())} />}
      </Show>
    </Show>
  );
}
