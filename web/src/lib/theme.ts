import { createSignal } from "solid-js";

export type Theme = "light" | "dark";
const KEY = "flightdeck.theme";

function systemTheme(): Theme {
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function stored(): Theme | null {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : null;
}

const [theme, setThemeSignal] = createSignal<Theme>(stored() ?? systemTheme());
export { theme };

/** Applied from the module (no inline script under CSP); CSS follows the system until a choice is stored. */
export function applyStoredTheme(): void {
  const t = stored();
  if (t) document.documentElement.dataset.theme = t;
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (!stored()) setThemeSignal(systemTheme());
  });
}

export function toggleTheme(): void {
  const next: Theme = theme() === "dark" ? "light" : "dark";
  localStorage.setItem(KEY, next);
  document.documentElement.dataset.theme = next;
  setThemeSignal(next);
}
