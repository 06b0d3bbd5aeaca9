import { createSignal, For, Show } from "solid-js";
import { api } from "../api";
import type { TaskListItem } from "../api-types";
import { createLoader } from "../lib/loader";
import { createSubmit } from "../lib/submit";
import { Modal } from "./modal";
import { FormFooter } from "./form-footer";
import { toast } from "./toast";

/** The document's Create Task form: agent, title, description; the task starts at once. */
export function CreateTaskDialog(props: { onClose: () => void; onCreated: (t: TaskListItem) => void }) {
  const agents = createLoader(() => api.agents.list());
  const [agent, setAgent] = createSignal("");
  const [title, setTitle] = createSignal("");
  const [description, setDescription] = createSignal("");
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();

  const chosen = () => agent() || agents.data?.items[0]?.name || "";

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    // what the person can mend now comes first: the agents may still be loading as they press Create
    if (!title().trim()) return setErr("Give the task a title.", "title");
    if (!agents.data) return setErr(agents.error ? "The agents could not be loaded: close this form and open it again." : "The agents are still loading: a moment, please.", "agent");
    if (!chosen()) return setErr("Choose an agent.", "agent");
    await run(async () => {
      const t = await api.tasks.create({ agent: chosen(), title: title().trim(), description: description() });
      toast(`Task “${t.title ?? title()}” created`);
      props.onCreated(t);
      props.onClose();
    });
  };

  return (
    <Modal open onClose={props.onClose} title="Create task">
      <form class="stack" onSubmit={submit} novalidate>
        <label class="field">
          <span>Agent</span>
          <select {...field("agent")} value={chosen()} onChange={(e) => setAgent(e.currentTarget.value)} disabled={!agents.data}>
            <Show when={agents.data} fallback={<option value="">{agents.error ? "Could not load agents" : "Loading agents…"}</option>}>
              <For each={agents.data?.items ?? []} fallback={<option value="">No agents yet</option>}>
                {(a) => (
                  <option value={a.name}>
                    {a.name} · {a.model}
                  </option>
                )}
              </For>
            </Show>
          </select>
        </label>
        <label class="field">
          <span>Title</span>
          <input {...field("title")} autofocus type="text" maxlength="200" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="Market analysis Q1" required />
        </label>
        <label class="field">
          <span>Description</span>
          <textarea {...field("description")} rows={6} value={description()} onInput={(e) => setDescription(e.currentTarget.value)} placeholder="Detailed instructions for the agent — this becomes its message." />
        </label>
        <FormFooter error={err()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit={busy() ? "Creating…" : "Create task"} />
      </form>
    </Modal>
  );
}
