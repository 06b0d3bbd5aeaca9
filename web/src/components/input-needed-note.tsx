import { A } from "@solidjs/router";
import { Show } from "solid-js";
import type { InputNeeded } from "../api-types";

/**
 * A task running while a sub-task it waits on asks a person: its own status says Running, so this line says who
 * is needed and links to the task where the answer is given.
 */
export function InputNeededNote(props: { needed: InputNeeded[] | undefined }) {
  return (
    <Show when={props.needed?.[0]}>
      {(first) => (
        <p class="task-input-needed small" data-testid="input-needed">
          <span class="tag tag-warn">Input needed</span> in sub-task <A href={`/tasks/${first().task_id}`}>{first().title}</A>
          <Show when={props.needed!.length > 1}> and {props.needed!.length - 1} more</Show>
        </p>
      )}
    </Show>
  );
}
