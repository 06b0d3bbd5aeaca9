import { A } from "@solidjs/router";
import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { firesBySecond } from "../../../../worker/triggers/cron-fields";
import { api } from "../../api";
import type { Trigger } from "../../api-types";
import { ListTable } from "../../components/list-table";
import { RoleNote } from "../../components/role-gate";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { SecretDialog } from "../../components/secret-dialog";
import { ErrorState } from "../../components/states";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate, fmtDateFull, fmtDateSeconds } from "../../lib/format";
import { onLive, throttle } from "../../lib/live";
import { createLoader } from "../../lib/loader";
import { canWrite, isAdmin } from "../../lib/session";
import { refocusing } from "../../lib/submit";
import { deliveryLimit, TriggerEditDialog, triggerName } from "./trigger-edit-dialog";
import { TriggerForm } from "./trigger-form";

/** How long after a shown next run the list is read again, and how often while a fire is still not recorded. */
const AFTER_FIRE_MS = 2_000;
const OVERDUE_RETRY_MS = 10_000;

/** How long a rotation keeps the replaced secret verifying: the server's 24 h default first. */
const GRACE_CHOICES = [
  { seconds: 86_400, label: "24 hours" },
  { seconds: 3_600, label: "1 hour" },
  { seconds: 7 * 86_400, label: "7 days" },
  { seconds: 0, label: "no time: refuse it at once" },
] as const;

export function TriggersSection() {
  const triggers = createLoader(() => api.triggers.list());
  const plans = createLoader(() => api.plans.list());
  const [secret, setSecret] = createSignal<Trigger | null>(null);
  const [editing, setEditing] = createSignal<Trigger | null>(null);
  const [rotating, setRotating] = createSignal<Trigger | null>(null);
  const [deleting, setDeleting] = createSignal<Trigger | null>(null);
  const [grace, setGrace] = createSignal<number>(GRACE_CHOICES[0].seconds);
  const [expiring, setExpiring] = createSignal<Trigger | null>(null);

  const planName = (id: string) => plans.data?.items.find((p) => p.id === id)?.name;

  // "Next run" moves once a cron fires: read the list again when the earliest shown one passes,
  // at once when the org feed first reports a task a trigger started (its Last task: a fire, a Run now here or elsewhere),
  // and when a trigger is changed elsewhere (paused, edited, made, deleted: another tab, the API).
  // A plan saved or deleted elsewhere: its name, its params (the form's fields) and the triggers a save paused.
  const plansChanged = throttle(() => (void plans.refresh(), void triggers.refresh()), 300);
  const triggersChanged = throttle(() => void triggers.refresh(), 300);
  const seenTasks = new Set<string>();
  onLive((ev) => {
    if (ev.type === "reset") void triggers.refresh();
    if (ev.type === "trigger") triggersChanged();
    if (ev.type === "task" && ev.task.trigger_id && !seenTasks.has(ev.task.id)) {
      seenTasks.add(ev.task.id);
      triggersChanged();
    }
    if (ev.type === "reset" || ev.type === "plan") plansChanged();
  });
  // and when a previous secret it shows stops being accepted
  createEffect(() => {
    const items = triggers.data?.items ?? [];
    const next = Math.min(
      ...items.filter((t) => !t.paused && t.next_fire_at).map((t) => Date.parse(t.next_fire_at!)),
      ...items.filter((t) => t.previous_secret_expires_at).map((t) => Date.parse(t.previous_secret_expires_at!)),
    );
    if (!Number.isFinite(next)) return;
    const wait = next - Date.now();
    // setTimeout takes at most 2^31-1 ms; a run further off is looked at again then.
    const timer = setTimeout(() => void triggers.refresh(), Math.min(wait > 0 ? wait + AFTER_FIRE_MS : OVERDUE_RETRY_MS, 2 ** 31 - 1));
    onCleanup(() => clearTimeout(timer));
  });

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      toast(ok);
      void triggers.refresh();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };

  // a second click while one runs would start a second task
  const [starting, setStarting] = createSignal<ReadonlySet<string>>(new Set());
  const runNow = (t: Trigger) =>
    refocusing(async () => {
      if (starting().has(t.id)) return;
      setStarting((s) => new Set(s).add(t.id));
      await act(() => api.triggers.runNow(t.id), "Task started");
      setStarting((s) => {
        const left = new Set(s);
        left.delete(t.id);
        return left;
      });
    });

  const rotate = async (t: Trigger) => {
    try {
      const rotated = await api.triggers.rotateSecret(t.id, grace());
      setRotating(null);
      setSecret(rotated);
      void triggers.refresh();
    } catch (e) {
      setRotating(null);
      toast(errorMessage(e), "error");
    }
  };

  const expirePrevious = async (t: Trigger) => {
    setExpiring(null);
    await act(() => api.triggers.expirePreviousSecret(t.id), "Previous secret expired");
  };

  const remove = async (t: Trigger) => {
    setDeleting(null);
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
      <Show when={plans.error}>
        <ErrorState error={plans.error} retry={plans.refresh} title="Could not load the plans: triggers show plan ids" />
      </Show>
      <ListTable
        label="Triggers table"
        loader={triggers}
        columns={["Name", "Kind", "Plan", "Schedule / endpoint", "Next run"]}
        row={(t) => (
          <tr data-trigger-id={t.id}>
            <td>{t.title ?? <span class="muted">—</span>}</td>
            <td>
              <span class="tag">{t.kind}</span>
            </td>
            <td>
              <Show when={planName(t.plan_id)} fallback={<code>{t.plan_id}</code>}>
                {(name) => <A href={`/plans/${t.plan_id}`}>{name()}</A>}
              </Show>
            </td>
            <td>
              <code>{t.kind === "cron" ? `${t.cron ?? ""} (${t.timezone ?? "UTC"})` : (t.webhook_url ?? `POST /hooks/${t.id}`)}</code>
              <Show when={t.kind === "webhook"}>
                <div class="small muted" data-testid="delivery-limit">
                  {deliveryLimit(t)}
                </div>
              </Show>
              <Show when={t.previous_secret_expires_at}>
                {(until) => (
                  <div class="small muted" data-testid="previous-secret">
                    Previous secret accepted until <span title={fmtDateFull(until())}>{fmtDate(until())}</span>
                    <Show when={isAdmin()}>
                      {" "}
                      <button class="btn btn-sm btn-ghost" type="button" onClick={() => setExpiring(t)} aria-label={`Expire the previous secret of ${triggerName(t)}`}>
                        Expire now
                      </button>
                    </Show>
                  </div>
                )}
              </Show>
              <Show when={t.last_error}>
                <div class="form-error small">{t.last_error}</div>
              </Show>
            </td>
            <td>
              <div title={t.next_fire_at ? fmtDateFull(t.next_fire_at) : undefined} data-testid="next-run">
                {t.paused ? <span class="tag">paused</span> : t.next_fire_at ? (firesBySecond(t.cron ?? "") ? fmtDateSeconds : fmtDate)(t.next_fire_at) : "—"}
              </div>
              {/* the task it started last, fired or run by hand: where a Run now's task is found */}
              <Show when={t.last_task_id}>
                {(id) => (
                  <A class="small" href={`/tasks/${id()}`} aria-label={`Last task of ${triggerName(t)}`}>
                    Last task
                  </A>
                )}
              </Show>
            </td>
            <td>
              <div class="actions">
                <A class="btn btn-sm btn-ghost" href={`/tasks?trigger_id=${encodeURIComponent(t.id)}`} aria-label={`Tasks of ${triggerName(t)}`}>
                  Tasks
                </A>
                {/* members may start a trigger's task; changing the trigger is for admins */}
                <Show when={canWrite()}>
                  <button class="btn btn-sm btn-ghost" type="button" onClick={() => void runNow(t)} disabled={starting().has(t.id)}>
                    Run now
                  </button>
                </Show>
                <Show when={isAdmin()}>
                  <button class="btn btn-sm btn-ghost" type="button" onClick={() => setEditing(t)} aria-label={`Edit ${triggerName(t)}`}>
                    Edit
                  </button>
                  <Show when={t.kind === "webhook"}>
                    <button
                      class="btn btn-sm btn-ghost"
                      type="button"
                      onClick={() => {
                        setGrace(GRACE_CHOICES[0].seconds);
                        setRotating(t);
                      }}
                      aria-label={`Rotate the secret of ${triggerName(t)}`}
                    >
                      Rotate secret
                    </button>
                  </Show>
                  <button class="btn btn-sm btn-ghost" type="button" onClick={() => act(() => api.triggers.setPaused(t.id, !t.paused), t.paused ? "Resumed" : "Paused")}>
                    {t.paused ? "Resume" : "Pause"}
                  </button>
                  <button class="btn btn-sm btn-danger-ghost" type="button" onClick={() => setDeleting(t)} aria-label={`Delete ${triggerName(t)}`}>
                    Delete
                  </button>
                </Show>
              </div>
            </td>
          </tr>
        )}
        empty={{ title: "No triggers", text: "Schedule a plan or give it a webhook." }}
      />
      <Show when={isAdmin()} fallback={<RoleNote>Only admins create, edit, pause and delete triggers.</RoleNote>}>
        <TriggerForm
          plans={plans}
          onCreated={(t) => {
            if (t.secret) setSecret(t);
            void triggers.refresh();
          }}
        />
      </Show>
      <Show when={editing()}>{(t) => <TriggerEditDialog trigger={t()} onClose={() => setEditing(null)} onSaved={() => void triggers.refresh()} />}</Show>
      <Show when={rotating()}>
        {(t) => (
          <ConfirmDialog onClose={() => setRotating(null)} title={`Rotate the secret of ${triggerName(t())}?`} confirm="Rotate secret" onConfirm={() => void rotate(t())}>
            <label class="field">
              <span>Keep the current secret working for</span>
              <select value={grace()} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
                {GRACE_CHOICES.map((g) => (
                  <option value={g.seconds}>{g.label}</option>
                ))}
              </select>
            </label>
            <p data-testid="rotate-effect">
              {grace() === 0
                ? "Deliveries signed with the current secret are refused from now on: give the sender the new one, shown once."
                : `Deliveries signed with the current secret are still accepted for ${GRACE_CHOICES.find((g) => g.seconds === grace())?.label ?? `${grace()} s`}, so the sender can switch to the new one, shown once; then only the new one is.`}
            </p>
          </ConfirmDialog>
        )}
      </Show>
      <Show when={expiring()}>
        {(t) => (
          <ConfirmDialog onClose={() => setExpiring(null)} title={`Expire the previous secret of ${triggerName(t())}?`} confirm="Expire now" onConfirm={() => void expirePrevious(t())}>
            <p>Deliveries signed with the secret the last rotation replaced are refused from now on; only the current secret is accepted.</p>
          </ConfirmDialog>
        )}
      </Show>
      <Show when={deleting()}>
        {(t) => (
          <ConfirmDialog onClose={() => setDeleting(null)} title={`Delete ${triggerName(t())}?`} confirm="Delete trigger" onConfirm={() => void remove(t())}>
            <p>
              It starts no more tasks: {t().kind === "webhook" ? "deliveries to its URL are refused from now on" : "its schedule stops"}. Tasks it started keep their history.
            </p>
          </ConfirmDialog>
        )}
      </Show>
      <Show when={secret()}>
        {(t) => (
          <SecretDialog title="Webhook secret" label="Webhook secret" value={t().secret ?? ""} onDone={() => setSecret(null)}>
            <p>
              Sign requests to <code>{t().webhook_url ?? `POST /hooks/${t().id}`}</code> with this secret (Standard Webhooks). It is shown once.
            </p>
            <Show when={t().previous_secret_expires_at}>
              {(until) => <p data-testid="previous-secret-until">The previous secret is still accepted until {fmtDateFull(until())}.</p>}
            </Show>
          </SecretDialog>
        )}
      </Show>
    </div>
  );
}
