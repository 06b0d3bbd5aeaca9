import { createSignal, For } from "solid-js";

interface Toast {
  id: number;
  kind: "ok" | "error";
  text: string;
}

const [toasts, setToasts] = createSignal<Toast[]>([]);
let seq = 0;

export function toast(text: string, kind: Toast["kind"] = "ok"): void {
  const id = ++seq;
  setToasts((t) => [...t.slice(-3), { id, kind, text }]);
  setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 7000 : 3500);
}

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      <For each={toasts()}>{(t) => <div class={`toast toast-${t.kind}`}>{t.text}</div>}</For>
    </div>
  );
}
