import { createSignal } from "solid-js";

const [now, setNow] = createSignal(Date.now());
let ticking = false;

/**
 * The time, as a signal that moves once a second: what reads it (a running step's duration) counts up
 * without a refresh. The timer starts with the first reader.
 */
export function clock(): number {
  if (!ticking) {
    ticking = true;
    setInterval(() => setNow(Date.now()), 1000);
  }
  return now();
}
