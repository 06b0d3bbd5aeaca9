import { FormFooter } from "../../components/form-footer";
import { Modal } from "../../components/modal";
import { ParamFields } from "../../components/param-fields";
import { createSubmit } from "../../lib/submit";
import type { DraftView } from "./chat-api";

export type RunForm = { inputs: Record<string, string>; title: string };

/**
 * Runs a draft that declares params: one field per param, defaults filled in. What is typed lives
 * in the page (`form`), so a run refused for a newer draft keeps it for the next try.
 */
export function RunDraftDialog(props: { draft: DraftView; form: RunForm; onChange: (f: RunForm) => void; onClose: () => void; onRun: (inputs: Record<string, string>, title?: string) => Promise<void> }) {
  const { busy, error, setError, run, errorId, field } = createSubmit();
  const params = () => props.draft.plan.params;
  const values = () => Object.fromEntries(params().map((p) => [p.name, props.form.inputs[p.name] ?? p.default ?? ""]));

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const missing = params().filter((p) => p.required && !values()[p.name]?.trim());
    if (missing.length) return setError(`Fill in ${missing.map((p) => p.name).join(", ")}.`, `inputs.${missing[0].name}`);
    const inputs = Object.fromEntries(Object.entries(values()).filter(([, v]) => v !== ""));
    await run(() => props.onRun(inputs, props.form.title.trim() || undefined));
  };

  return (
    <Modal open onClose={props.onClose} title={`Run draft ${props.draft.version}`}>
      <form class="stack" onSubmit={submit} novalidate>
        <label class="field">
          <span>Task title (optional)</span>
          <input {...field("title")} type="text" maxlength="200" value={props.form.title} onInput={(e) => props.onChange({ ...props.form, title: e.currentTarget.value })} placeholder={props.draft.plan.name} />
        </label>
        <ParamFields params={params()} values={values()} onChange={(name, v) => props.onChange({ ...props.form, inputs: { ...props.form.inputs, [name]: v } })} field={field} />
        <FormFooter error={error()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit={busy() ? "Starting…" : "Run"} />
      </form>
    </Modal>
  );
}
