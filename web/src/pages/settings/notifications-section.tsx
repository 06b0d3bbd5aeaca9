import { createSignal, For, Show } from "solid-js";
import { createClient, unwrap } from "../../client";
import { TableHead } from "../../components/list-table";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { AdminOnly } from "../../components/role-gate";
import { SecretDialog } from "../../components/secret-dialog";
import { EmptyState, ErrorState, Skeleton } from "../../components/states";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { createSubmit, refocusing } from "../../lib/submit";
import { DeliveryLog } from "./delivery-log";
import { SubscriptionEditDialog } from "./subscription-edit-dialog";
import { EVENTS, type EventName, SubscriptionFields, subscriptionProblem } from "./subscription-fields";

const fd = createClient();

/** Outgoing webhooks: subscriptions (admins), the signing secret shown once, and every delivery attempt. */
export function NotificationsSection() {
  return (
    <AdminOnly title="Notifications" text="Only admins manage webhook subscriptions.">
      <Subscriptions />
    </AdminOnly>
  );
}

function Subscriptions() {
  const subs = createLoader(() => unwrap(fd.notifications.subscriptions.$get({ query: {} })) /* at most 25 (MAX_SUBSCRIPTIONS_PER_ORG): one page */);
  const [url, setUrl] = createSignal("");
  const [description, setDescription] = createSignal("");
  const [events, setEvents] = createSignal<EventName[]>([...EVENTS]);
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();
  const [secret, setSecret] = createSignal<string | null>(null);
  const [rotating, setRotating] = createSignal<{ id: string; url: string } | null>(null);
  const [deleting, setDeleting] = createSignal<{ id: string; url: string } | null>(null);
  const [editing, setEditing] = createSignal<{ id: string; url: string; description: string; events: EventName[] } | null>(null);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const problem = subscriptionProblem(url(), events());
    if (problem) return setErr(problem.message, problem.field);
    await run(async () => {
      const s = await unwrap(fd.notifications.subscriptions.$post({ json: { url: url().trim(), events: events(), description: description().trim() } }));
      setUrl("");
      setDescription("");
      setSecret(s.secret);
      void subs.refresh();
    });
  };
  const setEnabled = async (id: string, enabled: boolean) => {
    try {
      await unwrap(fd.notifications.subscriptions[":id"].$patch({ param: { id }, json: { enabled } }));
      void subs.refresh();
    } catch (e) {
      toast(errorMessage(e), "error");
      // the checkbox moved on its own: show what the server holds
      void subs.refresh();
    }
  };
  const rotate = async (id: string) => {
    try {
      const s = await unwrap(fd.notifications.subscriptions[":id"]["rotate-secret"].$post({ param: { id } }));
      setRotating(null);
      setSecret(s.secret);
    } catch (e) {
      setRotating(null);
      toast(errorMessage(e), "error");
    }
  };
  const remove = async (id: string) => {
    try {
      await unwrap(fd.notifications.subscriptions[":id"].$delete({ param: { id } }));
      setDeleting(null);
      toast("Subscription deleted");
      void subs.refresh();
    } catch (e) {
      setDeleting(null);
      toast(errorMessage(e), "error");
    }
  };
  const [testing, setTesting] = createSignal<string | null>(null);
  const sendTest = (id: string, url: string) =>
    refocusing(async () => {
      setTesting(id);
      try {
        const r = await unwrap(fd.notifications.subscriptions[":id"].test.$post({ param: { id } }));
        if (r.delivered) toast(`Test message delivered to ${url}: HTTP ${r.response_status} in ${r.duration_ms} ms`);
        else toast(`Test message not delivered to ${url}: ${r.error ?? `HTTP ${r.response_status}`}`, "error");
      } catch (e) {
        toast(errorMessage(e), "error");
      } finally {
        setTesting(null);
      }
    });

  return (
    <>
      <div class="card stack">
        <h2>Webhook subscriptions</h2>
        <p class="muted small">
          Flightdeck POSTs <code>task.completed</code>, <code>task.failed</code> and <code>task.needs_input</code> to these URLs, signed per Standard Webhooks
          (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>). A failed delivery is retried after 5 s, 1 min, 5 min, 30 min, 2 h and 6 h; a <code>410 Gone</code> answer disables the subscription.
        </p>
        <Show when={subs.data} fallback={<Show when={subs.error} fallback={<Skeleton rows={2} />}>{<ErrorState error={subs.error} retry={subs.refresh} />}</Show>}>
          <div class="table-wrap" tabindex="0" role="region" aria-label="Subscriptions table">
            <table class="table" aria-label="Subscriptions">
              <TableHead columns={["URL", "Events", "Created", "Enabled"]} actions />
              <tbody>
                <For each={subs.data?.items}>
                  {(s) => (
                    <tr data-subscription-id={s.id}>
                      <td>
                        <div class="cell-title">
                          <code>{s.url}</code>
                          <Show when={s.description}><span class="muted small">{s.description}</span></Show>
                        </div>
                      </td>
                      <td>
                        <For each={s.events}>{(e) => <span class="tag">{e}</span>}</For>
                      </td>
                      <td>{fmtDate(s.created_at)}</td>
                      <td>
                        <input type="checkbox" checked={s.enabled} aria-label={`Enabled: ${s.url}`} onChange={(e) => void setEnabled(s.id, e.currentTarget.checked)} />
                      </td>
                      <td>
                        <div class="actions">
                          <button class="btn btn-sm btn-ghost" type="button" aria-label={`Edit ${s.url}`} onClick={() => setEditing(s)}>
                            Edit
                          </button>
                          <button
                            class="btn btn-sm btn-ghost"
                            type="button"
                            aria-label={`Send a test message to ${s.url}`}
                            disabled={testing() === s.id}
                            onClick={() => void sendTest(s.id, s.url)}
                          >
                            Send test
                          </button>
                          <button class="btn btn-sm btn-ghost" type="button" aria-label={`Rotate the secret of ${s.url}`} onClick={() => setRotating(s)}>
                            Rotate secret
                          </button>
                          <button class="btn btn-sm btn-danger-ghost" type="button" aria-label={`Delete ${s.url}`} onClick={() => setDeleting(s)}>
                            Delete
                          </button>
                        </div>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={!subs.data?.items.length}>
              <EmptyState title="No subscriptions">Add a URL below to hear about finished, failed and waiting tasks.</EmptyState>
            </Show>
          </div>
        </Show>
        <form class="stack" onSubmit={create} aria-label="Add subscription" novalidate>
          <SubscriptionFields wide url={url()} description={description()} events={events()} onUrl={setUrl} onDescription={setDescription} onEvents={setEvents} field={field} />
          <div>
            <button class="btn btn-primary" type="submit" disabled={busy()}>
              Add subscription
            </button>
          </div>
          <ErrorLine text={err()} id={errorId} />
        </form>
      </div>

      <DeliveryLog subscriptions={subs.data?.items ?? []} />

      <Show when={editing()}>{(s) => <SubscriptionEditDialog subscription={s()} onClose={() => setEditing(null)} onSaved={() => void subs.refresh()} />}</Show>
      <Show when={rotating()}>
        {(s) => (
          <ConfirmDialog onClose={() => setRotating(null)} title="Rotate the signing secret?" confirm="Rotate secret" onConfirm={() => void rotate(s().id)}>
            <p>
              Deliveries to <code>{s().url}</code> are signed with the new secret from now on, retries included: give the receiver the new one, shown once.
            </p>
          </ConfirmDialog>
        )}
      </Show>
      <Show when={deleting()}>
        {(s) => (
          <ConfirmDialog onClose={() => setDeleting(null)} title="Delete this subscription?" confirm="Delete subscription" onConfirm={() => void remove(s().id)}>
            <p>
              <code>{s().url}</code> hears nothing more: messages waiting for a retry are dropped, and its secret is gone. Disabling it instead keeps both.
            </p>
          </ConfirmDialog>
        )}
      </Show>
      <Show when={secret()}>
        {(value) => (
          <SecretDialog title="Signing secret" label="Signing secret" value={value()} onDone={() => setSecret(null)}>
            <p>Verify each delivery's <code>webhook-signature</code> with this secret. Copy it now — it will not be shown again.</p>
          </SecretDialog>
        )}
      </Show>
    </>
  );
}
