import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import type { Trigger } from "../../api-types";
import { ListTable } from "../../components/list-table";
import { SecretDialog } from "../../components/secret-dialog";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { canWrite, isAdmin } from "../../lib/session";

export function TriggersSection() {
  const triggers = createLoader(() => api.triggers.list());
  const plans = createLoader(() => api.plans.list());
  const [kind, setKind] = createSignal<"cron" | "webhook">("cron");
  const [planId, setPlanId] = createSignal("");
  const [cron, setCron] = createSignal("0 9 * * 1-5");
  const [inputs, setInputs] = createSignal("{}");
  const [err, setErr] = createSignal<string | null>(null);
  const [secret, setSecret] = createSignal<Trigger | null>(null);

  const planName = (id: string) => plans.data?.items.find((p) => p.id === id)?.name ?? id;
  const chosenPlan = () => planId() || plans.data?.items[0]?.id || "";

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(inputs() || "{}") as Record<string, unknown>;
    } catch {
      return setErr("Inputs must be a JSON object, e.g. {\"topic\": \"pricing\"}.");
    }
    if (!chosenPlan()) return setErr("Choose a plan.");
    try {
      const t = await api.triggers.create({ plan_id: chosenPlan(), kind: kind(), ...(kind() === "cron" ? { cron: cron().trim() } : {}), inputs: parsed });
      toast("Trigger created");
      if (t.secret) setSecret(t);
      void triggers.refresh();
    } catch (e2) {
      setErr(errorMessage(e2));
    }
  };

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      toast(ok);
      void triggers.refresh();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };

  const remove = async (t: Trigger) => {
    try {
      await api.triggers.remove(t.id);
      toast("Trigger deleted");
      void triggers.refresh();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };

  return (
    <div class="card stack">
      <h2>Triggers</h2>
      <p class="muted small">Cron schedules and signed webhooks that start tasks from saved plans.</p>
      <ListTable
        loader={triggers}
        columns={
          <>
            <th scope="col">Kind</th>
            <th scope="col">Plan</th>
            <th scope="col">Schedule / endpoint</th>
            <th scope="col">Next run</th>
          </>
        }
        row={(t) => (
          <tr>
            <td>
              <span class="tag">{t.kind}</span>
            </td>
            <td>{planName(t.plan_id)}</td>
            <td>
              <code>{t.kind === "cron" ? `${t.cron ?? ""} (${t.timezone ?? "UTC"})` : (t.webhook_url ?? `POST /hooks/${t.id}`)}</code>
              <Show when={t.last_error}>
                <div class="form-error small">{t.last_error}</div>
              </Show>
            </td>
            <td>{t.paused ? <span class="tag">paused</span> : t.next_fire_at ? fmtDate(t.next_fire_at) : "—"}</td>
            <td>
              <div class="actions">
                {/* members may start a trigger's task; changing the trigger is for admins */}
                <Show when={canWrite()}>
                  <button class="btn btn-sm btn-ghost" type="button" onClick={() => act(() => api.triggers.runNow(t.id), "Task started")}>
                    Run now
                  </button>
                </Show>
                <Show when={isAdmin()}>
                  <button class="btn btn-sm btn-ghost" type="button" onClick={() => act(() => api.triggers.setPaused(t.id, !t.paused), t.paused ? "Resumed" : "Paused")}>
                    {t.paused ? "Resume" : "Pause"}
                  </button>
                  <button class="btn btn-sm btn-danger-ghost" type="button" onClick={() => remove(t)} aria-label={`Delete trigger ${t.id}`}>
                    Delete
                  </button>
                </Show>
              </div>
            </td>
          </tr>
        )}
        empty={{ title: "No triggers", text: "Schedule a plan or give it a webhook." }}
      />
      <Show when={isAdmin()}>
        <form class="stack" onSubmit={create} aria-label="Create trigger">
          <h3>New trigger</h3>
          <div class="grid-3">
            <label class="field">
              <span>Kind</span>
              <select value={kind()} onChange={(e) => setKind(e.currentTarget.value as "cron" | "webhook")}>
                <option value="cron">cron</option>
                <option value="webhook">webhook</option>
              </select>
            </label>
            <label class="field">
              <span>Plan</span>
              <select value={chosenPlan()} onChange={(e) => setPlanId(e.currentTarget.value)}>
                <For each={plans.data?.items ?? []} fallback={<option value="">No plans</option>}>
                  {(p) => <option value={p.id}>{p.name}</option>}
                </For>
              </select>
            </label>
            <Show when={kind() === "cron"}>
              <label class="field">
                <span>Cron expression</span>
                <input type="text" value={cron()} onInput={(e) => setCron(e.currentTarget.value)} />
              </label>
            </Show>
          </div>
          <label class="field">
            <span>Inputs (JSON)</span>
            <textarea class="code-input" rows={3} value={inputs()} onInput={(e) => setInputs(e.currentTarget.value)} />
          </label>
          <ErrorLine text={err()} />
          <div class="row">
            <button class="btn btn-primary" type="submit">
              Create trigger
            </button>
          </div>
        </form>
      </Show>
      <Show when={secret()}>
        {(t) => (
          <SecretDialog title="Webhook secret" label="Webhook secret" value={t().secret ?? ""} onDone={() => setSecret(null)}>
            <p>
              Sign requests to <code>{t().webhook_url ?? `POST /hooks/${t().id}`}</code> with this secret (Standard Webhooks). It is shown once.
            </p>
          </SecretDialog>
        )}
      </Show>
    </div>
  );
}
