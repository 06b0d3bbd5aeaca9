import { For, type JSX } from "solid-js";
import type { FieldProps } from "../../lib/field-errors";

export const EVENTS = ["task.completed", "task.failed", "task.needs_input"] as const;
export type EventName = (typeof EVENTS)[number];

/** What stops a subscription from being saved, before the API is asked, and the field it is about; null when nothing does. */
export function subscriptionProblem(url: string, events: EventName[]): { message: string; field: "url" | "events" } | null {
  if (!url.trim()) return { message: "Enter the URL that receives the events.", field: "url" };
  if (!events.length) return { message: "Pick at least one event.", field: "events" };
  return null;
}

/** A subscription's URL, description and events, as adding one and editing one both ask for them. */
export function SubscriptionFields(props: {
  url: string;
  description: string;
  events: EventName[];
  onUrl: (url: string) => void;
  onDescription: (description: string) => void;
  onEvents: (events: EventName[]) => void;
  /** the URL and description side by side, with examples, as the add form shows them */
  wide?: boolean;
  /** ties the form's error to a field (lib/field-errors.ts) */
  field?: (name: string) => FieldProps;
}) {
  const toggle = (ev: EventName, on: boolean) => props.onEvents(on ? [...new Set([...props.events, ev])] : props.events.filter((x) => x !== ev));
  const text = (): JSX.Element => (
    <>
      <label class="field">
        <span>Endpoint URL</span>
        <input {...props.field?.("url")} type="url" value={props.url} onInput={(e) => props.onUrl(e.currentTarget.value)} placeholder={props.wide ? "https://example.com/hooks/flightdeck" : undefined} />
      </label>
      <label class="field">
        <span>Description</span>
        <input {...props.field?.("description")} type="text" value={props.description} onInput={(e) => props.onDescription(e.currentTarget.value)} placeholder={props.wide ? "on-call channel" : undefined} />
      </label>
    </>
  );
  return (
    <>
      {props.wide ? <div class="grid-2">{text()}</div> : text()}
      {/* focusable by script only: an error about the events brings the person to them */}
      <fieldset {...props.field?.("events")} class="row gap-sm wrap" tabindex="-1">
        <legend>Events</legend>
        <For each={EVENTS}>
          {(ev) => (
            <label class="row gap-xs">
              <input type="checkbox" checked={props.events.includes(ev)} onChange={(e) => toggle(ev, e.currentTarget.checked)} />
              <code>{ev}</code>
            </label>
          )}
        </For>
      </fieldset>
    </>
  );
}
