import { For, type JSX, Show } from "solid-js";
import { EmptyState, type Loaded, LoadedView } from "./states";

/**
 * A loaded list as a table: the given column headers plus an actions column, one row per item,
 * and an empty state when there are none. Its box scrolls sideways on a phone and takes a Tab stop, named `label`,
 * so the keyboard can scroll it: with no rows there is no control inside to bring its columns into view.
 */
export function ListTable<T>(props: {
  loader: Loaded<{ readonly items: readonly T[] }>;
  class?: string;
  label: string;
  columns: readonly Column[];
  row: (item: T) => JSX.Element;
  empty: { title: string; text?: string };
}) {
  return (
    <LoadedView loader={props.loader}>
      <div class="table-wrap" tabindex="0" role="region" aria-label={props.label}>
        <table class={props.class ? `table ${props.class}` : "table"}>
          <TableHead columns={props.columns} actions />
          <tbody>
            <For each={props.loader.data?.items}>{(item) => props.row(item)}</For>
          </tbody>
        </table>
        <Show when={!props.loader.data?.items.length}>
          <EmptyState title={props.empty.title}>{props.empty.text}</EmptyState>
        </Show>
      </div>
    </LoadedView>
  );
}

/** A column's header: its label, and `num` for figures (right-aligned, as their cells). */
export type Column = string | { label: string; num?: boolean };

/** A table's header row: a `th` per column, then the actions column's when the rows have actions. */
export function TableHead(props: { columns: readonly Column[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        <For each={props.columns}>{(c) => (typeof c === "string" ? <th scope="col">{c}</th> : <th scope="col" class={c.num ? "num" : undefined}>{c.label}</th>)}</For>
        <Show when={props.actions}>
          <ActionsHeader />
        </Show>
      </tr>
    </thead>
  );
}

/** The header of a row's actions column: named for screen readers, blank on screen. */
function ActionsHeader() {
  return (
    <th scope="col">
      <span class="sr-only">Actions</span>
    </th>
  );
}
