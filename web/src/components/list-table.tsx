import { For, type JSX, Show } from "solid-js";
import { EmptyState, type Loaded, LoadedView } from "./states";

/**
 * A loaded list as a table: the given column headers plus an actions column, one row per item,
 * and an empty state when there are none.
 */
export function ListTable<T>(props: {
  loader: Loaded<{ readonly items: readonly T[] }>;
  class?: string;
  columns: JSX.Element;
  row: (item: T) => JSX.Element;
  empty: { title: string; text?: string };
}) {
  return (
    <LoadedView loader={props.loader}>
      <div class="table-wrap">
        <table class={props.class ? `table ${props.class}` : "table"}>
          <thead>
            <tr>
              {props.columns}
              <ActionsHeader />
            </tr>
          </thead>
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

/** The header of a row's actions column: named for screen readers, blank on screen. */
export function ActionsHeader() {
  return (
    <th scope="col">
      <span class="sr-only">Actions</span>
    </th>
  );
}
