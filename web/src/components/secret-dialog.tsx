import type { JSX } from "solid-js";
import { Modal } from "./modal";
import { toast } from "./toast";

/** A secret shown once (a new token, a signing secret): Copy, and closed only by saying it was copied. */
export function SecretDialog(props: { title: string; label: string; value: string; onDone: () => void; children: JSX.Element }) {
  let input!: HTMLInputElement;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      toast("Copied");
    } catch {
      input.select();
      toast("Could not copy: the secret is selected, copy it with your keyboard", "error");
    }
  };
  return (
    <Modal open dismissible={false} onClose={props.onDone} title={props.title} size="sm">
      {props.children}
      <input ref={input} class="code-input" type="text" readOnly value={props.value} aria-label={props.label} onFocus={(e) => e.currentTarget.select()} />
      <div class="modal-actions">
        <button class="btn" type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button class="btn btn-primary" type="button" onClick={props.onDone}>
          I have copied it
        </button>
      </div>
    </Modal>
  );
}
