import { For, onCleanup } from "solid-js";
import "./export-menu.css";

const FORMATS = [
  { id: "csv", label: "Download CSV" },
  { id: "json", label: "Download JSON" },
] as const;

/** Links to GET /tasks/export with the list's own filters and order; the session cookie authorizes the download. */
export function ExportMenu(props: { filters: Record<string, string | undefined> }) {
  const href = (format: string) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(props.filters)) if (v) q.set(k, v);
    q.set("format", format);
    return `/api/v1/tasks/export?${q}`;
  };
  let details!: HTMLDetailsElement;
  // A menu: arrows move between its items, Escape or a download closes it back to its button (a closed menu's items
  // are hidden, which would drop the focus to the page's start), and a press or focus elsewhere closes it.
  const close = (refocus: boolean) => {
    details.open = false;
    if (refocus) details.querySelector("summary")?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (!details.open) return;
    const items = [...details.querySelectorAll<HTMLElement>("[role=menuitem]")];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") close(true);
    else if (e.key === "ArrowDown") items[(i + 1) % items.length]?.focus();
    else if (e.key === "ArrowUp") items[(i - 1 + items.length) % items.length]?.focus();
    else return;
    e.preventDefault();
  };
  const onPointerDown = (e: PointerEvent) => {
    if (details.open && !details.contains(e.target as Node)) close(false);
  };
  document.addEventListener("pointerdown", onPointerDown);
  onCleanup(() => document.removeEventListener("pointerdown", onPointerDown));
  return (
    <details class="export-menu" ref={details} onKeyDown={onKeyDown} onFocusOut={(e) => details.open && !details.contains(e.relatedTarget as Node | null) && close(false)}>
      <summary class="btn btn-sm" role="button">
        Export
      </summary>
      <div class="export-menu-list" role="menu" aria-label="Export the filtered list">
        <For each={FORMATS}>
          {(f) => (
            <a role="menuitem" href={href(f.id)} download="" onClick={() => close(true)}>
              {f.label}
            </a>
          )}
        </For>
      </div>
    </details>
  );
}
