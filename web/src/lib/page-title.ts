import { useLocation } from "@solidjs/router";
import { createEffect } from "solid-js";

const APP = "Flightdeck";

/** Whether a page has been shown yet: the first one is the document's own, which the browser and screen reader announce. */
let shownOne = false;
let region: HTMLElement | undefined;
/** The control last given the focus: when it leaves the document, the focus falls to its start unseen (no focusin). */
let lastFocused: EventTarget | null = null;

/**
 * Names the page in the tab's title ("Task table · Flightdeck") from `title`, undefined while it is not known yet (a task
 * still loading). Reached by the app's own navigation, where the browser says nothing, each address it shows is announced
 * by that title once it is known; and when the control that led there went with the page left (a row's link), the
 * page's heading takes the focus rather than the document's start, so the next Tab goes on from the new page.
 */
export function usePageTitle(title: () => string | undefined): void {
  const location = useLocation();
  const live = liveRegion();
  let announcedAt: string | null = null;
  createEffect(() => {
    const t = title();
    if (!t) return;
    document.title = `${t} · ${APP}`;
    if (announcedAt === location.pathname) return;
    announcedAt = location.pathname;
    if (!shownOne) return void (shownOne = true);
    live.textContent = t;
    focusHeadingIfLost();
  });
}

/** An empty polite live region, on the page before anything is said in it: a region added with its text is not read. */
function liveRegion(): HTMLElement {
  if (region) return region;
  region = document.createElement("div");
  region.className = "sr-only";
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  region.dataset.testid = "page-announcer";
  document.body.appendChild(region);
  document.addEventListener("focusin", (e) => (lastFocused = e.target));
  return region;
}

/** Only a focus lost with its control: a button merely off while its request runs gets it back itself (lib/submit.ts). */
function focusHeadingIfLost(): void {
  const active = document.activeElement;
  if ((active && active !== document.body) || (lastFocused instanceof Node && lastFocused.isConnected)) return;
  const heading = document.querySelector<HTMLElement>("main h1");
  if (!heading) return;
  if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
  heading.focus();
}
