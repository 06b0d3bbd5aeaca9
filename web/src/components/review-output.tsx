import { type JSX, Show } from "solid-js";
import type { Step } from "../api-types";
import type { FieldProps } from "../lib/field-errors";
import { reviewLabel } from "../lib/steps";

/** A rejection runs the step again with its comment as the feedback: one without a comment would tell the agent nothing. */
export const NO_COMMENT = "Write what should change first.";

/** What a review shows, wherever it is made: the step waiting, its output, and the comment a rejection sends. */
export function ReviewOutput(props: {
  step: Step | undefined;
  address: string;
  comment: string;
  onComment: (text: string) => void;
  disabled?: boolean;
  placeholder?: string;
  /** under the step's name, e.g. how many more wait */
  note?: JSX.Element;
  /** ties the review's error to the comment (lib/field-errors.ts) */
  field?: FieldProps;
}) {
  return (
    <>
      <p class="question">
        <span class="muted small">Review the output of</span>
        <strong data-review-step={props.address}>{reviewLabel(props.step?.name, props.address)}</strong>
        <Show when={props.note}>{props.note}</Show>
      </p>
      <pre class="code output-preview">{props.step?.output ?? props.step?.output_preview ?? "(no output)"}</pre>
      <label class="field">
        <span>Comment (for a rejection)</span>
        <textarea {...props.field} rows={3} value={props.comment} onInput={(e) => props.onComment(e.currentTarget.value)} disabled={props.disabled} placeholder={props.placeholder} />
      </label>
    </>
  );
}
