import { type JSX, Show } from "solid-js";
import { isAdmin, session } from "../lib/session";
import { Skeleton } from "./states";

/**
 * A section only admins may open: its content for admins, a plain sentence for everyone else
 * (instead of a 403 shown as an error), and a skeleton until the session is known.
 */
export function AdminOnly(props: { title: string; text: string; children: JSX.Element }) {
  return (
    <Show when={session()} fallback={<Skeleton rows={3} />}>
      <Show
        when={isAdmin()}
        fallback={
          <div class="card stack">
            <h2>{props.title}</h2>
            <p class="muted" role="note">
              {props.text}
            </p>
          </div>
        }
      >
        {props.children}
      </Show>
    </Show>
  );
}

/** Why a control is disabled for the signed-in role. */
export function RoleNote(props: { children: JSX.Element }) {
  return (
    <p class="muted small" role="note">
      {props.children}
    </p>
  );
}
