import { For } from "solid-js";
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
  return (
    <details class="export-menu" ref={details}>
      <summary class="btn btn-sm" role="button">
        Export
      </summary>
      <div class="export-menu-list" role="menu" aria-label="Export the filtered list">
        <For each={FORMATS}>
          {(f) => (
            <a role="menuitem" href={href(f.id)} download="" onClick={() => (details.open = false)}>
              {f.label}
            </a>
          )}
        </For>
      </div>
    </details>
  );
}
