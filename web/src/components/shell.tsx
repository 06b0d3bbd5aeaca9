import { A, useLocation, useNavigate, type RouteSectionProps } from "@solidjs/router";
import { onCleanup, onMount, Show, Suspense } from "solid-js";
import { api, onForbidden, onUnauthorized } from "../api";
import { orgFeedState, startOrgFeed, stopOrgFeed } from "../lib/live";
import { loadSession, refreshSession, session, setSession, setSessionEnded } from "../lib/session";
import { theme, toggleTheme } from "../lib/theme";
import { ConnectionIndicator } from "./connection-indicator";
import { Icon, type IconName } from "./icons";
import { InboxBadge } from "./inbox-badge";
import { PageBoundary } from "./page-boundary";
import { Loading } from "./states";
import { Toasts } from "./toast";

const NAV: { href: string; label: string; icon: IconName; end?: boolean }[] = [
  { href: "/", label: "Tasks", icon: "board", end: true },
  { href: "/tasks", label: "Task table", icon: "table", end: true },
  { href: "/chat", label: "Chat", icon: "steps" },
  { href: "/plans", label: "Plans", icon: "plans" },
  { href: "/agents", label: "Agents", icon: "agents" },
  { href: "/settings", label: "Settings", icon: "settings" },
];

/** How often an open dashboard reads its session again, for a role changed elsewhere that no refusal has shown. */
const ROLE_REREAD_MS = 60_000;

export function Shell(props: RouteSectionProps) {
  const navigate = useNavigate();
  const location = useLocation();
  let main!: HTMLElement;

  const toSignIn = () => {
    // Several requests may fail with 401 at once; only the first one routes.
    if (location.pathname.startsWith("/sign-in")) return;
    stopOrgFeed();
    if (session()) setSessionEnded(true);
    setSession(null);
    const next = location.pathname + location.search;
    navigate(`/sign-in${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`, { replace: true });
  };

  // The page renders at once and loads in parallel with the session check: any 401 routes to sign-in.
  onUnauthorized(toSignIn);
  onCleanup(() => onUnauthorized(() => undefined));
  // A role changed elsewhere shows without a reload: at a refusal (403), when the tab is looked at again, and each minute
  onForbidden(() => void refreshSession());
  onCleanup(() => onForbidden(() => undefined));
  const reread = () => document.visibilityState === "visible" && void refreshSession();
  document.addEventListener("visibilitychange", reread);
  const minutely = setInterval(reread, ROLE_REREAD_MS);
  onCleanup(() => (document.removeEventListener("visibilitychange", reread), clearInterval(minutely)));
  onMount(async () => {
    const s = await loadSession();
    if (!s) return toSignIn();
    startOrgFeed();
  });
  onCleanup(stopOrgFeed);

  const signOut = async () => {
    try {
      await api.session.signOut();
    } finally {
      stopOrgFeed();
      setSession(null);
      navigate("/sign-in", { replace: true });
    }
  };

  return (
    <div class="app">
      {/* The router would only scroll to #main; focus has to move there too, or the next Tab starts over in the sidebar. */}
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.focus();
        }}
      >
        Skip to content
      </a>
      <aside class="sidebar">
        <A href="/" class="brand" aria-label="Flightdeck home">
          <img src="/favicon.svg" alt="" width="26" height="26" />
          <span>Flightdeck</span>
        </A>
        <InboxBadge />
        <nav aria-label="Main">
          <ul class="nav">
            {NAV.map((n) => (
              <li>
                <A href={n.href} end={n.end} activeClass="active" class="nav-link">
                  <Icon name={n.icon} />
                  <span>{n.label}</span>
                </A>
              </li>
            ))}
          </ul>
        </nav>
        <div class="sidebar-foot">
          <ConnectionIndicator state={orgFeedState()} />
          <Show when={session()}>
            {(s) => (
              <div class="whoami">
                <span class="org">{s().org.name}</span>
                <span class="muted small">
                  {s().token.name} · {s().token.role}
                </span>
              </div>
            )}
          </Show>
          <div class="row gap-xs">
            <button class="btn btn-ghost btn-icon" type="button" onClick={toggleTheme} aria-label={theme() === "dark" ? "Switch to light theme" : "Switch to dark theme"} title="Toggle theme">
              <Icon name={theme() === "dark" ? "sun" : "moon"} />
            </button>
            <button class="btn btn-ghost btn-sm" type="button" onClick={signOut}>
              <Icon name="out" /> Sign out
            </button>
          </div>
        </div>
      </aside>
      <main id="main" class="main" tabindex="-1" ref={main}>
        <PageBoundary>
          <Suspense fallback={<Loading />}>{props.children}</Suspense>
        </PageBoundary>
      </main>
      <Toasts />
    </div>
  );
}
