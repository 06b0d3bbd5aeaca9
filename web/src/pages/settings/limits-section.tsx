import { createSignal, For, Show } from "solid-js";
import { createClient, unwrap } from "../../client";
import { RoleNote } from "../../components/role-gate";
import { ErrorState, Skeleton } from "../../components/states";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage } from "../../lib/format";
import { createFieldErrors } from "../../lib/field-errors";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";
import { SpendSection } from "./spend-section";

const fd = createClient();

const num = (s: string): number | null => (s.trim() === "" ? null : Number(s));

/** Concurrency, retention, the monthly spend cap and masked patterns; then the spend report. */
export function LimitsSection() {
  const settings = createLoader(() => unwrap(fd.settings.$get()));
  const [err, setErrText] = createSignal<string | null>(null);
  const fields = createFieldErrors();
  /** The form's error, and the field it is about (marked invalid, described by it, focused). */
  const setErr = (text: string | null, field: string | null = null) => (setErrText(text), fields.mark(text ? field : null));
  const [busy, setBusy] = createSignal(false);

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    if (fields.markUnreadable(setErr)) return;
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const body = {
      max_concurrent_tasks: num(String(f.get("max_concurrent_tasks") ?? "")),
      retention_days: num(String(f.get("retention_days") ?? "")),
      monthly_spend_cap: num(String(f.get("monthly_spend_cap") ?? "")),
      mask_patterns: String(f.get("mask_patterns") ?? "")
        .split("\n")
        .map((p) => p.trim())
        .filter(Boolean),
    };
    const bad = (["max_concurrent_tasks", "retention_days", "monthly_spend_cap"] as const).find((k) => body[k] !== null && (!Number.isFinite(body[k]) || body[k] <= 0));
    if (bad) return setErr("Limits are positive numbers, or empty for the default.", bad);
    setBusy(true);
    try {
      await unwrap(fd.settings.$patch({ json: body }));
      toast("Limits saved");
      await settings.refresh();
    } catch (e2) {
      setErr(errorMessage(e2));
      fields.markFrom(e2);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="card stack" data-section="limits">
        <h2>Limits</h2>
        <Show when={settings.data} fallback={<Show when={settings.error} fallback={<Skeleton rows={3} />}>{<ErrorState error={settings.error} retry={settings.refresh} />}</Show>}>
          {(s) => (
            <form class="stack" onSubmit={save} aria-labelledby="limits-title" novalidate>
              <p class="muted small" id="limits-title">
                {s().queue.running} running · {s().queue.waiting} waiting for a slot. A task holds its slot from start until it finishes, also while it waits for a person;
                sub-tasks never wait. Retention deletes finished tasks (their spend stays in the report), chat conversations quiet for as long, and delivery-log entries when shorter than 30 days. Patterns are masked in traces, besides provider keys and
                common key shapes.
              </p>
              <div class="grid-4">
                <label class="field">
                  <span>Concurrent tasks</span>
                  <input {...fields.of("max_concurrent_tasks")} name="max_concurrent_tasks" type="number" min="1" step="1" value={s().max_concurrent_tasks ?? ""} placeholder={`${s().defaults.max_concurrent_tasks} (default)`} disabled={!isAdmin()} />
                </label>
                <label class="field">
                  <span>Keep finished tasks (days)</span>
                  <input {...fields.of("retention_days")} name="retention_days" type="number" min="1" step="1" value={s().retention_days ?? ""} placeholder="forever" disabled={!isAdmin()} />
                </label>
                <label class="field">
                  <span>Monthly spend cap (USD)</span>
                  <input {...fields.of("monthly_spend_cap")} name="monthly_spend_cap" type="number" min="0" step="any" value={s().monthly_spend_cap ?? ""} placeholder="no cap" disabled={!isAdmin()} />
                </label>
              </div>
              <label class="field">
                <span>Masked patterns (one regular expression a line)</span>
                <textarea {...fields.of("mask_patterns")} name="mask_patterns" rows="3" spellcheck={false} value={s().mask_patterns.join("\n")} disabled={!isAdmin()} />
              </label>
              <Show when={s().mask_patterns_skipped.length}>
                <div class="form-notice small" role="note" data-testid="patterns-skipped">
                  <p>Saved before a stricter check, {s().mask_patterns_skipped.length === 1 ? "this pattern is" : "these patterns are"} not masked with until edited:</p>
                  <ul>
                    <For each={s().mask_patterns_skipped}>
                      {(p) => (
                        <li>
                          <code>{p.pattern}</code>: {p.reason}
                        </li>
                      )}
                    </For>
                  </ul>
                </div>
              </Show>
              <ErrorLine text={err()} id={fields.errorId} />
              <Show when={!isAdmin()}>
                <RoleNote>Only admins change limits.</RoleNote>
              </Show>
              <Show when={isAdmin()}>
                <div class="row gap-sm">
                  <button class="btn btn-primary" type="submit" disabled={busy()}>
                    Save limits
                  </button>
                </div>
              </Show>
            </form>
          )}
        </Show>
      </div>
      <SpendSection />
    </>
  );
}
