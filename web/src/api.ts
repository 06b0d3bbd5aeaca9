import type { AgentInput, McpServerInput, Page, Plan, PlanDefinition, PlanVersion, PriceInput, Role, TaskDetail, TaskSource, TaskStatus, TaskSummary, Trace } from "./api-types";
import type { ClientResponse, InferRequestType } from "hono/client";
import { ApiError, createClient, namesNothing, type Ok, unwrap } from "./client";

/** The one module that talks HTTP and SSE to the Worker: the typed client (same origin, cookie session) and EventSource. */

export { ApiError, namesNothing };

const BASE = "/api/v1";
const fd = createClient();

let unauthorized: (() => void) | null = null;
/** Called on every 401 (except the sign-in calls themselves) so the app can route to sign-in. */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

let forbidden: (() => void) | null = null;
/** Called on every 403: the token's role may have changed since the page read it. */
export function onForbidden(fn: () => void): void {
  forbidden = fn;
}

async function call<R extends ClientResponse<unknown, number, string>>(req: Promise<R>, quiet401 = false): Promise<Ok<R>> {
  try {
    return await unwrap(req);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && !quiet401) unauthorized?.();
    if (e instanceof ApiError && e.status === 403) forbidden?.();
    throw e;
  }
}

/** Query values as the API takes them: strings, empty ones left out. */
function query<T extends Record<string, string | number | null | undefined>>(q: T): { [K in keyof T]?: string } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") out[k] = String(v);
  return out as { [K in keyof T]?: string };
}

/** The audit log's filters; each left out (or empty) does not filter. */
export interface AuditFilters {
  action?: string;
  actor?: string;
  target?: string;
}

export interface TaskFilters {
  status?: TaskStatus | "";
  source?: TaskSource | "";
  agent?: string;
  trigger_id?: string;
  q?: string;
  cursor?: string | null;
  limit?: number;
}

/** Every page of a list the dashboard shows whole (agents, plans, prices, tokens, triggers), 100 items a request. */
async function allPages<T>(page: (q: { limit: string; cursor?: string }) => Promise<{ items: T[]; next_cursor: string | null }>): Promise<{ items: T[]; next_cursor: null }> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page({ limit: "100", ...(cursor ? { cursor } : {}) });
    items.push(...p.items);
    cursor = p.next_cursor ?? undefined;
  } while (cursor);
  return { items, next_cursor: null };
}

/** A new trigger as the API takes it (cron with its timezone, or webhook). */
export type TriggerInput = InferRequestType<typeof fd.triggers.$post>["json"];
/** A trigger's change as the API takes it: only the fields that change. */
export type TriggerPatch = InferRequestType<(typeof fd.triggers)[":id"]["$patch"]>["json"];

/** A rerun as the API takes it: where from, changed inputs, the plan version to run. */
export type RerunInput = InferRequestType<(typeof fd.tasks)[":id"]["rerun"]["$post"]>["json"];

export type CreateTaskInput = { agent: string; title: string; description: string } | { plan_id: string; inputs: Record<string, string>; title?: string };

const filters = (f: TaskFilters) => {
  const { status, source, ...rest } = f;
  return { ...query(rest), ...(status ? { status } : {}), ...(source ? { source } : {}) };
};

export const api = {
  session: {
    get: () => call(fd.auth.session.$get(), true),
    signIn: (token: string) => call(fd.auth.session.$post({ json: { token } }), true),
    signOut: () => call(fd.auth.session.$delete(), true),
  },
  tasks: {
    summary: (f: Pick<TaskFilters, "q" | "source" | "agent">) => call(fd.tasks.summary.$get({ query: filters(f) })) as Promise<TaskSummary>,
    list: (f: TaskFilters) => call(fd.tasks.$get({ query: filters(f) })),
    get: (id: string) => call(fd.tasks[":id"].$get({ param: { id }, query: {} })) as Promise<TaskDetail>,
    create: (input: CreateTaskInput) => call(fd.tasks.$post({ json: input })),
    cancel: (id: string) => call(fd.tasks[":id"].$delete({ param: { id } })),
    rerun: (id: string, body: RerunInput) => call(fd.tasks[":id"].rerun.$post({ param: { id }, json: body })),
    respond: (sessionId: string, callId: string, answers: string[]) =>
      call(fd.sessions[":session_id"].respond.$post({ param: { session_id: sessionId }, json: { call_id: callId, answers } })),
    /** `run`: the run whose output was shown (the pending item's), so the review cannot land on a newer one */
    approve: (id: string, step: string, run?: number) => call(fd.tasks[":id"].steps[":step"].approve.$post({ param: { id, step }, json: { run } })),
    reject: (id: string, step: string, comment: string, run?: number) => call(fd.tasks[":id"].steps[":step"].reject.$post({ param: { id, step }, json: { comment, run } })),
    trace: (id: string, step: string, runNo: number) =>
      call(fd.tasks[":id"].steps[":step"].runs[":n"].trace.$get({ param: { id, step, n: String(runNo) } })) as Promise<Trace>,
  },
  agents: {
    list: () => allPages((query) => call(fd.agents.$get({ query }))),
    create: (a: AgentInput) => call(fd.agents.$post({ json: a })),
    // sent for the version the form or list showed: an edit saved meanwhile is a 409, not silently undone
    update: (id: string, a: AgentInput, base: number) => call(fd.agents[":id"].$put({ param: { id }, json: a }, { headers: { "if-match": `"${base}"` } })),
    remove: (id: string, base: number) => call(fd.agents[":id"].$delete({ param: { id } }, { headers: { "if-match": `"${base}"` } })),
  },
  plans: {
    list: () => allPages((query) => call(fd.plans.$get({ query })) as Promise<Page<Plan>>),
    get: (id: string) => call(fd.plans[":id"].$get({ param: { id } })) as Promise<Plan>,
    create: (def: PlanDefinition) => call(fd.plans.$post({ json: def })) as Promise<Plan>,
    /**
     * Saves over version `base` only (the 409 names the version saved meanwhile otherwise);
     * `pauseTriggers`: save even though it breaks some triggers, pausing them (the 409 names them otherwise).
     */
    update: (id: string, def: PlanDefinition, base: number, pauseTriggers = false) =>
      call(fd.plans[":id"].$put({ param: { id }, query: pauseTriggers ? { triggers: "pause" } : {}, json: def }, { headers: { "if-match": `"${base}"` } })) as Promise<Plan>,
    /** Deletes the plan only while it is at version `base` (the 409 names the version saved meanwhile otherwise). */
    remove: (id: string, base: number) => call(fd.plans[":id"].$delete({ param: { id } }, { headers: { "if-match": `"${base}"` } })),
    versions: (id: string) => allPages((query) => call(fd.plans[":id"].versions.$get({ param: { id }, query })) as Promise<Page<PlanVersion>>),
    /** Runs `version` of the plan (the one the page shows), not whatever version is current by then. */
    run: (id: string, version: number, inputs: Record<string, string>, title?: string) =>
      call(fd.plans[":id"].run.$post({ param: { id }, json: { inputs, version, ...(title ? { title } : {}) } })),
  },
  pricing: {
    list: () => allPages((query) => call(fd.pricing.$get({ query }))),
    put: (model: string, p: PriceInput) => call(fd.pricing[":model"].$put({ param: { model }, json: p })),
    revert: (model: string) => call(fd.pricing[":model"].$delete({ param: { model } })),
  },
  mcpServers: {
    list: () => allPages((query) => call(fd["mcp-servers"].$get({ query }))),
    /** never over a server of that name (409) */
    add: (name: string, s: McpServerInput) => call(fd["mcp-servers"][":name"].$put({ param: { name }, json: s }, { headers: { "if-none-match": "*" } })),
    update: (name: string, s: McpServerInput, base: number) => call(fd["mcp-servers"][":name"].$put({ param: { name }, json: s }, { headers: { "if-match": `"${base}"` } })),
    remove: (name: string, base: number) => call(fd["mcp-servers"][":name"].$delete({ param: { name } }, { headers: { "if-match": `"${base}"` } })),
  },
  tokens: {
    list: () => allPages((query) => call(fd.tokens.$get({ query }))),
    create: (name: string, role: Role, expires_at?: string) => call(fd.tokens.$post({ json: { name, role, ...(expires_at ? { expires_at } : {}) } })),
    update: (id: string, change: { name?: string; role?: Role }) => call(fd.tokens[":id"].$patch({ param: { id }, json: change })),
    revoke: (id: string) => call(fd.tokens[":id"].$delete({ param: { id } })),
  },
  triggers: {
    list: () => allPages((query) => call(fd.triggers.$get({ query }))),
    create: (t: TriggerInput) => call(fd.triggers.$post({ json: t })),
    remove: (id: string) => call(fd.triggers[":id"].$delete({ param: { id } })),
    setPaused: (id: string, paused: boolean) => call(paused ? fd.triggers[":id"].pause.$post({ param: { id } }) : fd.triggers[":id"].resume.$post({ param: { id } })),
    runNow: (id: string) => call(fd.triggers[":id"].run.$post({ param: { id }, json: {} })),
    update: (id: string, patch: TriggerPatch) => call(fd.triggers[":id"].$patch({ param: { id }, json: patch })),
    /** `graceSeconds`: how long the replaced secret still verifies (the server's default when left out; 0: not at all) */
    rotateSecret: (id: string, graceSeconds?: number) =>
      call(fd.triggers[":id"]["rotate-secret"].$post({ param: { id }, json: graceSeconds === undefined ? {} : { grace_seconds: graceSeconds } })),
    expirePreviousSecret: (id: string) => call(fd.triggers[":id"]["expire-previous-secret"].$post({ param: { id } })),
    nextFires: (cron: string, timezone: string) => call(fd.triggers["next-fires"].$get({ query: { cron, timezone, count: "3" } })),
  },
  audit: {
    list: (cursor: string | null, filters: AuditFilters) => call(fd.audit.$get({ query: query({ cursor, limit: 50, ...filters }) })),
  },
};

export type StreamState = "connecting" | "open" | "closed";

export interface StreamEvent {
  type: string;
  data: unknown;
  /** The server's event id: a stream opened anew replays from the start, so ids tell what was seen. */
  id: number;
}

/**
 * One EventSource with named events. The browser reconnects on its own after a drop;
 * if it gives up (non-200, e.g. a restart answering 5xx) we open a new one with backoff.
 */
export function openStream(path: string, types: readonly string[], onEvent: (e: StreamEvent) => void, onState: (s: StreamState) => void): () => void {
  let es: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;

  const handle = (type: string) => (ev: MessageEvent<string>) => {
    let data: unknown = null;
    try {
      data = ev.data ? JSON.parse(ev.data) : null;
    } catch {
      data = ev.data;
    }
    onEvent({ type, data, id: Number(ev.lastEventId) || 0 });
  };

  const connect = () => {
    if (stopped) return;
    onState("connecting");
    es = new EventSource(BASE + path, { withCredentials: false });
    es.onopen = () => {
      attempt = 0;
      onState("open");
    };
    es.onerror = () => {
      if (!es) return;
      if (es.readyState === EventSource.CLOSED) {
        es = null;
        onState("closed");
        // EventSource hides the refusal's status: a 401 (token revoked, signed out elsewhere) goes to sign-in, not a retry
        void call(fd.auth.session.$get()).catch(() => {});
        const delay = Math.min(30_000, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
        timer = setTimeout(connect, delay);
      } else onState("connecting");
    };
    for (const t of types) es.addEventListener(t, handle(t) as EventListener);
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    es?.close();
    es = null;
  };
}

export const orgEventsPath = "/events";
export const taskEventsPath = (id: string) => `/tasks/${encodeURIComponent(id)}/events`;
