import { For, type JSX } from "solid-js";

export const EVENTS = ["task.completed", "task.failed", "task.needs_input"] as const;
export type EventName = (typeof EVENTS)[number];

/** What stops a subscription from being saved, before the API is asked; null when nothing does. */
export function subscriptionProblem(url: string, events: EventName[]): string | null {
  if (!url.trim()) return "Enter the URL that receives the events.";
  if (!events.length) return "Pick at least one event.";
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
}) {
  const toggle = (ev: EventName, on: boolean) => props.onEvents(on ? [...new Set([...props.events, ev])] : props.events.filter((x) => x !== ev));
  const text = (): JSX.Element => (
    <>
      <label class="field">
        <span>Endpoint URL</span>
        <input type="url" value={props.url} onInput={(e) => props.onUrl(e.currentTarget.value)} placeholder={props.wide ? "https://example.com/hooks/flightdeck" : undefined} />
      </label>
      <label class="field">
        <span>Description</span>
        <input type="text" value={props.description} onInput={(e) => props.onDescription(e.currentTarget.value)} placeholder={props.wide ? "on-call channel" : undefined} />
      </label>
    </>
  );
  return (
    <>
      {props.wide ? <div class="grid-2">{text()}</div> : text()}
      <fieldset class="row gap-sm wrap">
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
