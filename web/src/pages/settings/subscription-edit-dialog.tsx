import { createSignal, For } from "solid-js";
import { createClient, unwrap } from "../../client";
import { FormFooter } from "../../components/form-footer";
import { Modal } from "../../components/modal";
import { toast } from "../../components/toast";
import { createSubmit } from "../../lib/submit";

const fd = createClient();
export const EVENTS = ["task.completed", "task.failed", "task.needs_input"] as const;
export type EventName = (typeof EVENTS)[number];

interface Subscription {
  id: string;
  url: string;
  description: string;
  events: EventName[];
}

/** Changes a subscription's URL, description or events; only what changed is sent. Its secret and enabled state stay. */
export function SubscriptionEditDialog(props: { subscription: Subscription; onClose: () => void; onSaved: () => void }) {
  const s = props.subscription;
  const [url, setUrl] = createSignal(s.url);
  const [description, setDescription] = createSignal(s.description);
  const [events, setEvents] = createSignal<EventName[]>([...s.events]);
  const { busy, error: err, setError: setErr, run } = createSubmit();
  const toggle = (ev: EventName, on: boolean) => setEvents((l) => (on ? [...new Set([...l, ev])] : l.filter((x) => x !== ev)));

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    if (!url().trim()) return setErr("Enter the URL that receives the events.");
    if (!events().length) return setErr("Pick at least one event.");
    const patch: { url?: string; description?: string; events?: EventName[] } = {};
    if (url().trim() !== s.url) patch.url = url().trim();
    if (description().trim() !== s.description) patch.description = description().trim();
    const chosen = EVENTS.filter((ev) => events().includes(ev));
    if (chosen.join() !== [...s.events].sort().join()) patch.events = chosen;
    if (!Object.keys(patch).length) return props.onClose();
    await run(async () => {
      await unwrap(fd.notifications.subscriptions[":id"].$patch({ param: { id: s.id }, json: patch }));
      toast("Subscription saved");
      props.onSaved();
      props.onClose();
    });
  };

  return (
    <Modal open onClose={props.onClose} title="Edit subscription">
      <form class="stack" onSubmit={submit}>
        <label class="field">
          <span>Endpoint URL</span>
          <input type="url" value={url()} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Description</span>
          <input type="text" value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <fieldset class="row gap-sm wrap">
          <legend>Events</legend>
          <For each={EVENTS}>
            {(ev) => (
              <label class="row gap-xs">
                <input type="checkbox" checked={events().includes(ev)} onChange={(e) => toggle(ev, e.currentTarget.checked)} />
                <code>{ev}</code>
              </label>
            )}
          </For>
        </fieldset>
        <p class="muted small">Messages queued for an event taken out are dropped; retries go to the new URL.</p>
        <FormFooter error={err()} busy={busy()} onCancel={props.onClose} submit="Save" />
      </form>
    </Modal>
  );
}
