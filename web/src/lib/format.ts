import type { StepStatus, TaskStatus, Tokens, Waiting } from "../api-types";
import { clock } from "./clock";

export const STATUS_LABEL: Record<StepStatus, string> = {
  needs_input: "Approval Required",
  in_progress: "Running",
  pending: "Waiting",
  failed: "Failed",
  completed: "Finished",
  cancelled: "Cancelled",
  skipped: "Skipped",
};

/** A run's own words (`running`, `waiting`) in a step's, for its badge. */
export const runBadgeStatus = (s: string): StepStatus => (s === "running" ? "in_progress" : s === "waiting" ? "needs_input" : (s as StepStatus));

/** Board order: what needs a person first, then what moves, then what is done. */
export const BOARD_GROUPS: readonly TaskStatus[] = ["needs_input", "in_progress", "pending", "failed", "completed", "cancelled"];

/** A status filter's options in board order, in the words of the board, the badges and the inbox (the API's as values). */
export const STATUS_OPTIONS: readonly { value: TaskStatus; label: string }[] = BOARD_GROUPS.map((s) => ({ value: s, label: STATUS_LABEL[s] }));

export const CANCELLABLE: ReadonlySet<string> = new Set(["pending", "in_progress", "needs_input"]);

const num = new Intl.NumberFormat("en-US");
const ordinal = new Intl.PluralRules("en-US", { type: "ordinal" });
const ORDINAL_SUFFIX: Record<string, string> = { one: "st", two: "nd", few: "rd", other: "th" };

/** The cap a pending task is queued behind, in words: "researcher is at its limit of 2 running tasks (3rd in line)". */
export function fmtWaiting(w: Waiting): string {
  const who = w.reason === "agent_cap" ? (w.agent ?? "its agent") : "the organization";
  const place = w.position === 1 ? "next in line" : `${w.position}${ORDINAL_SUFFIX[ordinal.select(w.position)]} in line`;
  return `${who} is at its limit of ${num.format(w.cap)} running task${w.cap === 1 ? "" : "s"} (${place})`;
}
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** `text` in at most `max` characters: cut at its end (never its start, which says what it is), with an ellipsis. */
export const clipEnd = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

export function fmtInt(n: number): string {
  return num.format(n);
}

export function fmtCompact(n: number): string {
  return n < 10_000 ? num.format(n) : compact.format(n);
}

/** The spend report's tokens have no cache writes (its ledger does not keep them). */
export function totalTokens(t: (Omit<Tokens, "cache_write"> & { cache_write?: number }) | null | undefined): number {
  if (!t) return 0;
  return t.input + t.cache + (t.cache_write ?? 0) + t.output + t.web_search;
}

export { fmtCost, fmtCostColumn, fmtCostExact } from "./cost";

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return "—";
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  if (ms < 9950) return `${(ms / 1000).toFixed(1)} s`;
  // rounded once, before it is split: 119.6 s is "2m 0s", never "1m 60s"
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Until `end`, or, while something still runs, until now: read in a view, it counts up by itself (`clock`). */
export function durationBetween(start: string | null, end: string | null, now?: number): number | null {
  if (!start) return null;
  const a = Date.parse(start);
  // clock() only subscribes (it moves once a second): a step started since its last tick must not read as negative
  const b = end ? Date.parse(end) : (now ?? Math.max(clock(), Date.now()));
  return Number.isFinite(a) && Number.isFinite(b) ? b - a : null;
}

/** How long until `iso`, counting down by itself (`clock`): "in 12 s", "in 2m 5s", or "now" once it is due. */
export function fmtUntil(iso: string): string {
  const ms = Date.parse(iso) - Math.max(clock(), Date.now());
  if (!(ms > 0)) return "now";
  const s = Math.ceil(ms / 1000);
  return `in ${s < 60 ? `${s} s` : fmtDuration(s * 1000)}`;
}

const dateFmt = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
// with the time zone's name: the API, exports and webhooks give times in UTC
const fullFmt = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "long" });

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : dateFmt.format(d);
}

const secondsFmt = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** With seconds: where runs a backoff apart would otherwise read the same minute. */
export function fmtDateSeconds(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : secondsFmt.format(d);
}

export function fmtDateFull(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : fullFmt.format(d);
}

/** "3 min ago", moving on by itself in a view (`clock`): a page left open does not keep saying "just now". */
export function fmtRelative(iso: string | null | undefined, now?: number): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "—";
  const s = Math.round(((now ?? Math.max(clock(), Date.now())) - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return fmtDate(iso);
}

export function pretty(v: unknown): string {
  if (typeof v === "string") {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  if (v === undefined) return "";
  return JSON.stringify(v, null, 2);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
