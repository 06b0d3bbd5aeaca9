import { createSignal, For, Show } from "solid-js";
import { api, ApiError } from "../../api";
import type { Plan, PlanDefinition, PlanIssue, PlanVersion } from "../../api-types";
import { ErrorState, Loading, Skeleton } from "../../components/states";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";
import { JsonEditor, type EditorIssue } from "./json-editor";
import { lineFor, parseErrorLine, prettyWithLines } from "./json-paths";
import { RunPlanForm } from "./run-plan-form";

export type PlanTab = "edit" | "run" | "versions";

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

/** One plan (or a new one): its JSON, a form that runs it, and its versions. */
export function PlanEditor(props: { id: string; tab: PlanTab; onTab: (t: PlanTab) => void; onSaved: (p: Plan) => void }) {
  const isNew = () => props.id === "new";
  const plan = createLoader<Plan>(() => api.plans.get(props.id), { immediate: false });
  const versions = createLoader(() => api.plans.versions(props.id), { immediate: false });
  const [text, setText] = createSignal("");
  const [issues, setIssues] = createSignal<EditorIssue[]>([]);
  const [err, setErr] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const tab = (): PlanTab => (isNew() ? "edit" : props.tab);
  const [viewing, setViewing] = createSignal<number | null>(null);

  if (isNew()) setText(prettyWithLines(TEMPLATE).text);
  else {
    void plan.refresh().then(() => plan.data && setText(prettyWithLines(plan.data.definition).text));
    void versions.refresh();
  }

  const save = async () => {
    setErr(null);
    setIssues([]);
    let def: PlanDefinition;
    try {
      def = JSON.parse(text()) as PlanDefinition;
    } catch (e) {
      const line = parseErrorLine(text(), errorMessage(e)) ?? 1;
      setIssues([{ line, path: "", message: `Not valid JSON: ${errorMessage(e)}` }]);
      return;
    }
    setBusy(true);
    try {
      const saved = isNew() ? await api.plans.create(def) : await api.plans.update(props.id, def);
      toast(`Saved “${saved.name}” v${saved.version}`);
      setViewing(null);
      props.onSaved(saved);
      if (!isNew()) {
        void plan.refresh();
        void versions.refresh();
      }
    } catch (e) {
      if (e instanceof ApiError && isIssueList(e.details) && e.details.length) {
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
    setViewing(v.version);
    if (v.definition) setText(prettyWithLines(v.definition).text);
    props.onTab("edit");
  };

  return (
    <Show when={isNew() || plan.data} fallback={<Show when={plan.error} fallback={<Loading />}>{<ErrorState error={plan.error} retry={plan.refresh} title="Could not load this plan" />}</Show>}>
      <div class="card stack">
        <header class="row space-between wrap">
          <div>
            <h2>{isNew() ? "New plan" : plan.data?.name}</h2>
            <Show when={!isNew()}>
              <span class="muted small">
                version {plan.data?.version}
                {viewing() !== null && viewing() !== plan.data?.version ? ` · showing v${viewing()} (save to restore it)` : ""}
              </span>
            </Show>
          </div>
          <div class="tabs" role="tablist" aria-label="Plan views">
            <For each={(isNew() ? ["edit"] : ["edit", "run", "versions"]) as ("edit" | "run" | "versions")[]}>
              {(k) => (
                <button role="tab" type="button" class="tab" aria-selected={tab() === k} onClick={() => props.onTab(k)}>
                  {k === "edit" ? "JSON" : k === "run" ? "Run" : "Versions"}
                </button>
              )}
            </For>
          </div>
        </header>
        <Show when={tab() === "edit"}>
          <JsonEditor value={text()} onInput={setText} issues={issues()} label="Plan JSON" readOnly={!isAdmin()} />
          <Show when={err()}>
            <p class="form-error" role="alert">
              {err()}
            </p>
          </Show>
          <Show when={isAdmin()}>
            <div class="row gap-sm">
              <button class="btn btn-primary" type="button" disabled={busy()} onClick={save}>
                {busy() ? "Saving…" : isNew() ? "Create plan" : "Save new version"}
              </button>
              <Show when={!isNew() && plan.data}>
                <button class="btn btn-ghost" type="button" onClick={() => (setIssues([]), setErr(null), setViewing(null), setText(prettyWithLines(plan.data!.definition).text))}>
                  Revert
                </button>
              </Show>
            </div>
          </Show>
        </Show>
        {/* keyed on the version: a new save brings its own params and defaults */}
        <Show when={tab() === "run" && plan.data?.version} keyed>
          <RunPlanForm planId={props.id} def={plan.data!.definition} />
        </Show>
        <Show when={tab() === "versions"}>
          <Show when={versions.data} fallback={<Skeleton rows={3} />}>
            <ul class="pick-list">
              <For each={versions.data?.items}>
                {(v) => (
                  <li>
                    <button type="button" class={`pick ${viewing() === v.version ? "active" : ""}`} onClick={() => (v.definition ? showVersion(v) : undefined)} disabled={!v.definition}>
                      <span class="pick-title">v{v.version}</span>
                      <span class="muted small">{fmtDate(v.created_at)}</span>
                    </button>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </Show>
      </div>
    </Show>
  );
}
