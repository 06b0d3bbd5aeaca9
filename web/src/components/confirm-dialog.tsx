import type { JSX } from "solid-js";
import { Modal } from "./modal";

/** Asks before something that cannot be taken back: what happens (children), then Keep and the action. */
export function ConfirmDialog(props: { title: string; confirm: string; onConfirm: () => void; onClose: () => void; children: JSX.Element }) {
  return (
    <Modal open onClose={props.onClose} title={props.title} size="sm">
      {props.children}
      <div class="modal-actions">
        <button class="btn" type="button" onClick={props.onClose}>
          Keep
        </button>
        <button class="btn btn-danger" type="button" onClick={() => props.onConfirm()}>
          {props.confirm}
        </button>
      </div>
    </Modal>
  );
}
