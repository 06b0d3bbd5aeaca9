/**
 * The keys of a tablist (the ARIA tabs pattern its role promises a screen reader's user): arrows move
 * to the next or previous tab, Home and End to the first or last, selecting the tab they land on.
 * Put it on the tablist; only the selected tab is in the Tab order (tabindex 0, the others -1).
 */
export function onTabKeys(e: KeyboardEvent & { currentTarget: HTMLElement }): void {
  const tabs = [...e.currentTarget.querySelectorAll<HTMLElement>('[role="tab"]')];
  const i = tabs.findIndex((t) => t === document.activeElement);
  if (i < 0) return;
  let next: number;
  if (e.key === "ArrowRight") next = (i + 1) % tabs.length;
  else if (e.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
  else if (e.key === "Home") next = 0;
  else if (e.key === "End") next = tabs.length - 1;
  else return;
  e.preventDefault();
  tabs[next].focus();
  tabs[next].click();
}
