import { createSignal } from "solid-js";
import { createClient, unwrap } from "../../client";
import { FormFooter } from "../../components/form-footer";
import { Modal } from "../../components/modal";
import { toast } from "../../components/toast";
import { createSubmit } from "../../lib/submit";
import { EVENTS, type EventName, SubscriptionFields, subscriptionProblem } from "./subscription-fields";

const fd = createClient();

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
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setErr(null);
    const problem = subscriptionProblem(url(), events());
    if (problem) return setErr(problem.message, problem.field);
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
      <form class="stack" onSubmit={submit} novalidate>
        <SubscriptionFields url={url()} description={description()} events={events()} onUrl={setUrl} onDescription={setDescription} onEvents={setEvents} field={field} />
        <p class="muted small">Messages queued for an event taken out are dropped; retries go to the new URL.</p>
        <FormFooter error={err()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit="Save" />
      </form>
    </Modal>
  );
}
