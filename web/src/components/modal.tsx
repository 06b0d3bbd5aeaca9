import { createEffect, onCleanup, Show, type JSX } from "solid-js";
import { focusPlace, placeOf, whenRemoved, type FocusPlace } from "../lib/focus-place";
import { Icon } from "./icons";

// The control last focused. One turned off while its request ran (a form's submit) drops the focus to the page's
// start, where a dialog its answer opens (a secret shown once) would find no opener to give the focus back to.
let lastFocused: Element | null = null;
document.addEventListener("focusin", (e) => void (lastFocused = e.target instanceof Element ? e.target : null));

/**
 * A native <dialog> opened with showModal(): focus is trapped, the page behind is inert,
 * Escape closes it, and focus returns to the opener (or, when the opener's row is deleted, to the same place in the next row). `dismissible={false}` leaves only the
 * dialog's own buttons to close it: no Escape, backdrop click or close button.
 */
export function Modal(props: { open: boolean; onClose: () => void; title: string; size?: "sm" | "md" | "lg"; children: JSX.Element; footer?: JSX.Element; dismissible?: boolean }) {
  const dismissible = () => props.dismissible !== false;
  let dialog!: HTMLDialogElement;
  let opener: Element | null = null;
  let place: FocusPlace | null = null;
  // A click's target is where press and release meet: a text selection dragged out of a field
  // ends "on the backdrop" too. Only a press that began on the backdrop closes.
  let pressedBackdrop = false;

  createEffect(() => {
    if (props.open && !dialog.open) {
      opener = document.activeElement;
      if ((!opener || opener === document.body) && lastFocused?.isConnected) opener = lastFocused;
      place = placeOf(opener);
      dialog.showModal();
    } else if (!props.open && dialog.open) dialog.close();
  });
  let disposed = false;
  onCleanup(() => {
    disposed = true;
    if (dialog?.open) dialog.close();
    restoreFocus();
  });

  const restoreFocus = () => {
    if (opener instanceof HTMLElement && opener.isConnected) {
      opener.focus();
      // A row's button gives the focus to the same place in the next row; a page's own (a task's Cancel, Provide
      // input) to the page's heading, focusable by script.
      const at = place;
      whenRemoved(opener, at ? () => focusPlace(at) : () => document.querySelector<HTMLElement>('#main h1[tabindex="-1"]')?.focus());
    } else if (place) focusPlace(place);
    opener = null;
    place = null;
  };
  const onClose = () => {
    // A dialog closes a task after close() (in Chromium, with the next frame): by then its owner may have taken it
    // away and opened another dialog, which this late event must not close.
    if (disposed) return;
    // Should the browser close it anyway, it opens again.
    if (!dismissible() && props.open) return dialog.showModal();
    restoreFocus();
    if (props.open) props.onClose();
  };

  return (
    <dialog
      ref={dialog}
      class={`modal modal-${props.size ?? "md"}`}
      aria-label={props.title}
      onClose={onClose}
      onKeyDown={(e) => {
        // Escape's default is the browser's close request, which a second press makes uncancellable.
        if (e.key === "Escape" && !dismissible()) e.preventDefault();
      }}
      onCancel={(e) => {
        e.preventDefault();
        if (dismissible()) props.onClose();
      }}
      onPointerDown={(e) => {
        pressedBackdrop = e.target === dialog;
      }}
      onClick={(e) => {
        if (e.target === dialog && pressedBackdrop && dismissible()) props.onClose();
      }}
    >
      <Show when={props.open}>
        <div class="modal-inner">
          <header class="modal-head">
            <h2>{props.title}</h2>
            <Show when={dismissible()}>
              <button class="btn btn-icon btn-ghost" type="button" onClick={() => props.onClose()} aria-label="Close">
                <Icon name="close" />
              </button>
            </Show>
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
