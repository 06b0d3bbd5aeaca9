import { createEffect, onCleanup, Show, type JSX } from "solid-js";
import { Icon } from "./icons";

/**
 * A native <dialog> opened with showModal(): focus is trapped, the page behind is inert,
 * Escape closes it, and focus returns to the opener.
 */
export function Modal(props: { open: boolean; onClose: () => void; title: string; size?: "sm" | "md" | "lg"; children: JSX.Element; footer?: JSX.Element }) {
  let dialog!: HTMLDialogElement;
  let opener: Element | null = null;

  createEffect(() => {
    if (props.open && !dialog.open) {
      opener = document.activeElement;
      dialog.showModal();
    } else if (!props.open && dialog.open) dialog.close();
  });
  onCleanup(() => {
    if (dialog?.open) dialog.close();
    restoreFocus();
  });

  const restoreFocus = () => {
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    opener = null;
  };
  const onClose = () => {
    restoreFocus();
    if (props.open) props.onClose();
  };

  return (
    <dialog
      ref={dialog}
      class={`modal modal-${props.size ?? "md"}`}
      aria-label={props.title}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onClick={(e) => {
        if (e.target === dialog) props.onClose();
      }}
    >
      <Show when={props.open}>
        <div class="modal-inner">
          <header class="modal-head">
            <h2>{props.title}</h2>
            <button class="btn btn-icon btn-ghost" type="button" onClick={() => props.onClose()} aria-label="Close">
              <Icon name="close" />
            </button>
          </header>
          <div class="modal-body">{props.children}</div>
          <Show when={props.footer}>
            <footer class="modal-foot">{props.footer}</footer>
          </Show>
        </div>
      </Show>
    </dialog>
  );
}
