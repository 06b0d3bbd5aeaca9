import { For } from "solid-js";

export const SORTS = [
  { id: "newest", label: "Newest first" },
  { id: "oldest", label: "Oldest first" },
  { id: "cost", label: "Highest cost" },
  { id: "duration", label: "Longest duration" },
] as const;

export interface ListOrder {
  sort: string;
  created_from: string;
  created_to: string;
}

/** Sort order and creation-date range of a task list; empty strings mean the defaults (newest, any date). */
export function SortControls(props: { value: ListOrder; onChange: (k: keyof ListOrder, v: string) => void }) {
  return (
    <>
      <label class="field field-inline">
        <span>Sort</span>
        <select aria-label="Sort" value={props.value.sort || "newest"} onChange={(e) => props.onChange("sort", e.currentTarget.value === "newest" ? "" : e.currentTarget.value)}>
          <For each={SORTS}>{(s) => <option value={s.id}>{s.label}</option>}</For>
        </select>
      </label>
      <label class="field field-inline">
        <span>From</span>
        <input type="date" aria-label="Created from" value={props.value.created_from} max={props.value.created_to || undefined} onChange={(e) => props.onChange("created_from", e.currentTarget.value)} />
      </label>
      <label class="field field-inline">
        <span>To</span>
        <input type="date" aria-label="Created to" value={props.value.created_to} min={props.value.created_from || undefined} onChange={(e) => props.onChange("created_to", e.currentTarget.value)} />
      </label>
    </>
  );
}
