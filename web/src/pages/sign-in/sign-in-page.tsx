import { useNavigate, useSearchParams } from "@solidjs/router";
import { createSignal, onMount, Show } from "solid-js";
import { api } from "../../api";
import { loadSession, sessionEnded, setSession, setSessionEnded } from "../../lib/session";
import { signInError } from "./sign-in-error";
import { usePageTitle } from "../../lib/page-title";

export function SignInPage() {
  usePageTitle(() => "Sign in");
  const navigate = useNavigate();
  const [params] = useSearchParams<{ next?: string }>();
  const [token, setToken] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let field!: HTMLInputElement;
  /** Said under the token, which takes the focus, so a person (and a screen reader) lands on what to fix. */
  const fail = (text: string) => (setError(text), queueMicrotask(() => field.focus()));

  /** A page of this origin only: the browser reads `/\\host` and `/<tab>/host` as `//host`, another site. */
  const target = () => {
    const n = params.next;
    if (typeof n !== "string" || !n.startsWith("/")) return "/";
    const url = new URL(n, location.origin);
    return url.origin === location.origin && !url.pathname.startsWith("/sign-in") ? url.pathname + url.search + url.hash : "/";
  };

  onMount(async () => {
    if (await loadSession()) navigate(target(), { replace: true });
  });

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!token().trim()) return fail("Enter an API token.");
    setBusy(true);
    setError(null);
    try {
      const s = await api.session.signIn(token().trim());
      setToken("");
      setSessionEnded(false);
      setSession(s.org ? s : await api.session.get());
      navigate(target(), { replace: true });
    } catch (err) {
      fail(signInError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form class="signin-card card" onSubmit={submit} aria-labelledby="signin-title" novalidate>
        <div class="brand brand-lg">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <span>Flightdeck</span>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p class="muted">Use an API token of your organization. The dashboard keeps a session cookie, never the token.</p>
        <Show when={sessionEnded()}>
          <p class="form-notice" role="status">
            Your session has ended: its token was revoked, or you signed out in another tab. Sign in again to go on.
          </p>
        </Show>
        <label class="field">
          <span>API token</span>
          <input ref={field} type="password" name="token" autocomplete="current-password" value={token()} onInput={(e) => setToken(e.currentTarget.value)} aria-invalid={error() ? "true" : undefined} aria-describedby={error() ? "signin-error" : undefined} autofocus />
        </label>
        <Show when={error()}>
          <p id="signin-error" class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <button class="btn btn-primary btn-block" type="submit" disabled={busy()}>
          {busy() ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
