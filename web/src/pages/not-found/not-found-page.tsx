import { A, useLocation } from "@solidjs/router";
import { usePageTitle } from "../../lib/page-title";

/** A dashboard address that names no page: say so, rather than showing another page as if the link had worked. */
export function NotFoundPage() {
  usePageTitle(() => "Page not found");
  const location = useLocation();
  return (
    <section class="page" aria-labelledby="not-found-title">
      <header class="page-head">
        <div>
          <h1 id="not-found-title">Page not found</h1>
          <p class="muted">
            There is no page at <code>{location.pathname}</code>. The link may be old or mistyped.
          </p>
        </div>
      </header>
      <div class="state state-empty">
        <div class="muted">
          <A href="/">Go to Tasks</A> · <A href="/settings">Settings</A> (pricing, tokens, triggers, audit log, notifications, limits and spend)
        </div>
      </div>
    </section>
  );
}
