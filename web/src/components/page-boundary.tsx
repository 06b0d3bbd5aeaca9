import { useLocation } from "@solidjs/router";
import { createEffect, ErrorBoundary, on, type JSX } from "solid-js";
import { usePageTitle } from "../lib/page-title";
import { ErrorState } from "./states";

/** A page's code that could not be fetched (the server down when it was first opened), as Chromium, Firefox and Safari word it. */
const isChunkError = (e: unknown) => e instanceof TypeError && /dynamically imported module|module script failed/i.test(e.message);

let chunkFailures = 0;

/** The browser keeps a failed import() for the document's life: only a reload fetches that page's code again. */
const reload = () => window.location.reload();

/** Once the server answers again: a page whose code failed before fails at once from the browser's memory, so going there again reloads. */
async function reloadIfServerAnswers(): Promise<void> {
  try {
    if ((await fetch("/favicon.svg", { cache: "no-store" })).ok) reload();
  } catch {
    /* still down: the error stays, with Try again */
  }
}

/** A page whose code could not be loaded says so with Try again, rather than staying blank; any other error goes on up. */
export function PageBoundary(props: { children: JSX.Element }) {
  const location = useLocation();
  return (
    <ErrorBoundary
      fallback={(error, reset) => {
        if (!isChunkError(error)) throw error;
        createEffect(on(() => location.pathname, reset, { defer: true }));
        if (chunkFailures++ > 0) void reloadIfServerAnswers();
        usePageTitle(() => "Could not load this page");
        return <ErrorState title="Could not load this page" error={new Error("The server could not be reached.")} retry={reload} heading />;
      }}
    >
      {props.children}
    </ErrorBoundary>
  );
}
