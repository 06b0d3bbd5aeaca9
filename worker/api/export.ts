import { createRoute, z } from "@hono/zod-openapi";
import { TASK_SOURCES, TASK_STATUSES } from "../db/schema";
import { allTasksSorted, type ListRange, moreThan, type SortedRow, TASK_SORTS } from "../db/task-sort";
import { toListItem } from "../db/task-row";
import { badRequest } from "../lib/errors";
import { log } from "../lib/log";
import { iso, isoShape, onCalendar } from "../lib/time";
import { usdDecimal } from "../agents/cost";
import { newApp } from "./app";
import { filterValue } from "./list-query";
import { errors, LIMITS, TaskListItem } from "./schemas";

export const EXPORT_CAP = 10_000;

const IsoDate = z
  .string()
  .max(40)
  .refine((s) => isoShape(s) !== null, { message: "an ISO date (2026-05-01) or date-time with offset (2026-05-01T09:00:00Z)", abort: true })
  .refine(onCalendar, { message: "no such day in the calendar" });

const TriggerId = filterValue(100).optional().openapi({ description: "tasks this trigger started (kept after it is deleted)" });

/** The list filters every task list shares: what to show, in which order, created when. */
export const TaskListFilters = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  source: z.enum(TASK_SOURCES).optional(),
  agent: filterValue(LIMITS.agentName).optional().openapi({ description: "tasks with this agent on any of their steps" }),
  q: z.string().max(500).optional(),
  trigger_id: TriggerId,
  parent_id: filterValue(100).optional().openapi({ description: "the sub-tasks this task's agents started (spawn_task)" }),
  sort: z.enum(TASK_SORTS).default("newest").openapi({ description: "newest or oldest (creation), cost or duration (highest first; unfinished tasks last)" }),
  created_from: IsoDate.optional().openapi({ description: "created at or after; a date means its start (UTC)" }),
  created_to: IsoDate.optional().openapi({ description: "created at or before; a date means through its end (UTC)" }),
});

/**
 * Tasks are stamped to the millisecond and Date.parse drops what a date-time has below one: a lower bound with
 * more (`…:59.5319Z`) starts at the next millisecond, so a task stamped `…:59.531` stays before it.
 */
const fromInstant = (s: string) => Date.parse(s) + (/\.\d{3}\d*[1-9]/.test(s) ? 1 : 0);

/** Date-only bounds cover whole UTC days; the upper bound becomes exclusive. */
export function rangeOf(q: { created_from?: string; created_to?: string }): ListRange {
  const from = q.created_from == null ? undefined : isoShape(q.created_from) === "date" ? Date.parse(`${q.created_from}T00:00:00Z`) : fromInstant(q.created_from);
  const to = q.created_to == null ? undefined : isoShape(q.created_to) === "date" ? Date.parse(`${q.created_to}T00:00:00Z`) + 86_400_000 : Date.parse(q.created_to) + 1;
  if (from != null && to != null && from >= to) {
    throw badRequest("invalid request: created_to: before created_from: the range holds no time", [{ path: "created_to", message: "before created_from: the range holds no time" }]);
  }
  return { created_from: from, created_to: to };
}

const CSV_COLUMNS = [
  "id", "title", "status", "source", "agent", "created_by", "created_at", "started_at", "finished_at", "duration_ms", "cost_usd",
  "tokens_input", "tokens_cache", "tokens_cache_write", "tokens_output", "tokens_web_search", "searches", "steps_done", "steps_total", "parent_id", "trigger_id", "plan_id",
  // last, so the columns before keep their places; `agent` is the first step's, `agents` every one the agent filter matches
  "agents",
] as const;

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. Text that a
 * spreadsheet would run as a formula (= + - @, tab, CR or NUL first: OWASP ASVS 1.2.10) gets a leading apostrophe.
 */
export function csvField(v: string | number | null): string {
  if (v == null) return "";
  if (typeof v === "number") return String(v);
  const safe = /^[=+\-@\t\r\0]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvLine(r: SortedRow): string {
  const by = JSON.parse(r.created_by) as { name: string };
  const values: (string | number | null)[] = [
    r.id, r.title, r.status, r.source, r.agent, by.name, iso(r.created_at), iso(r.started_at), iso(r.finished_at), r.duration_ms, usdDecimal(r.cost_nanos),
    r.tokens_input, r.tokens_cache, r.tokens_cache_write, r.tokens_output, r.tokens_web_search, r.searches, r.progress_done, r.progress_total, r.parent_id, r.trigger_id, r.plan_id,
    (JSON.parse(r.agents) as string[]).join(" "),
  ];
  return values.map(csvField).join(",") + "\r\n";
}

const ExportQuery = TaskListFilters.extend({ format: z.enum(["csv", "json"]).default("csv") });
type Format = z.infer<typeof ExportQuery>["format"];

/**
 * The file, a chunk of rows at a time. A read that fails part-way (D1 unreachable) must not end as a whole
 * file: the last line says so (CSV: a row whose first field is `#export cut off …`; JSON: an `{"error"}`
 * element and no closing bracket, so it does not parse), then the stream errors, which aborts the transfer
 * where the connection can tell (a local runtime ends it as if complete, hence the line).
 */
function exportBody(first: SortedRow | undefined, rest: AsyncIterator<SortedRow>, format: Format, requestId: string): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const line = (r: SortedRow, i: number) => (format === "csv" ? csvLine(r) : (i ? "," : "") + JSON.stringify(toListItem(r)));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const head = format === "csv" ? CSV_COLUMNS.join(",") + "\r\n" : "[";
      controller.enqueue(enc.encode(first ? head + line(first, sent++) : head + (format === "json" ? "]\n" : "")));
      if (!first) controller.close();
    },
    async pull(controller) {
      let chunk = "";
      try {
        for (let i = 0; i < 100; i++) {
          const next = await rest.next();
          if (next.done) {
            controller.enqueue(enc.encode(chunk + (format === "json" ? "]\n" : "")));
            controller.close();
            return;
          }
          chunk += line(next.value, sent++);
        }
      } catch (e) {
        // past the handler, the request's context (and its id) is gone from the log's reach
        log("error", "export cut off", { request_id: requestId, rows: sent, error: String(e) });
        const message = `export cut off after ${sent} rows by an error: this file is incomplete; export again`;
        const error = { error: { code: "export_cut_off", message, request_id: requestId } };
        controller.enqueue(enc.encode(chunk + (format === "csv" ? csvField(`#${message} (request ${requestId})`) + "\r\n" : `,${JSON.stringify(error)}\n`)));
        controller.error(new Error(message));
        return;
      }
      controller.enqueue(enc.encode(chunk));
    },
  });
}

export const exportApi = newApp().openapi(
  createRoute({
    method: "get", path: "/", tags: ["tasks"],
    summary: `Export the filtered list as CSV or JSON (an array of tasks), streamed, in the list's order; at most ${EXPORT_CAP.toLocaleString("en")} rows (x-export-truncated: true when more matched)`,
    description: 'An export cut off part-way by an error ends with a line saying so, never as a whole file: in CSV a row whose first field starts `#export cut off`, in JSON an `{"error": {code: "export_cut_off", message, request_id}}` element and no closing bracket; the transfer is then aborted where the connection allows.',
    request: { query: ExportQuery },
    responses: {
      200: { description: "the tasks", content: { "text/csv": { schema: z.string() }, "application/json": { schema: z.array(TaskListItem) } } },
      ...errors(400, 401),
    },
  }),
  async (c) => {
    const { format, sort, created_from, created_to, ...filters } = c.req.valid("query");
    const range = rangeOf({ created_from, created_to });
    const orgId = c.get("principal").org_id;
    const truncated = await moreThan(c.env.DB, orgId, filters, range, EXPORT_CAP);
    const rows = allTasksSorted(c.env.DB, orgId, filters, range, sort, EXPORT_CAP);
    // the first page is read before answering, so an export that cannot start is an error response, not a file
    const first = await rows.next();
    const stamp = new Date().toISOString().slice(0, 10);
    return c.body(exportBody(first.done ? undefined : first.value, rows, format, c.get("requestId")), 200, {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      // a browser's download shows the name, not the headers
      "content-disposition": `attachment; filename="tasks-${stamp}${truncated ? `-first-${EXPORT_CAP}` : ""}.${format}"`,
      "cache-control": "no-store",
      "x-export-cap": String(EXPORT_CAP),
      "x-export-truncated": String(truncated),
    });
  },
);
