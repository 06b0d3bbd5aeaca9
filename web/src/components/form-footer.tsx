import type { JSX } from "solid-js";
import { ErrorLine } from "./task-actions";

/** A dialog form's last lines: the API's error, if any, then Cancel and the submit button (off while busy). */
export function FormFooter(props: { error: string | null; errorId?: string; busy: boolean; onCancel: () => void; submit: JSX.Element }) {
  return (
    <>
      <ErrorLine text={props.error} id={props.errorId} />
      <div class="modal-actions">
        <button class="btn" type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button class="btn btn-primary" type="submit" disabled={props.busy}>
          {props.submit}
        </button>
      </div>
    </>
  );
}
