import type {
  Agent,
  AgentInput,
  ApiErrorBody,
  ApiToken,
  AuditEntry,
  Page,
  Plan,
  PlanDefinition,
  PlanVersion,
  Price,
  SessionInfo,
  TaskDetail,
  TaskListItem,
  TaskSource,
  TaskStatus,
  TaskSummary,
  Trace,
  Trigger,
} from "./api-types";

/** The one module that talks HTTP and SSE to the Worker. Same origin, cookie session. */

const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let unauthorized: (() => void) | null = null;
/** Called on every 401 (except the sign-in call itself) so the app can route to sign-in. */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

type Query = Record<string, string | number | null | undefined>;

function qs(query: Query | undefined): string {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  return typeof v === "object" && v !== null && "error" in v && typeof (v as ApiErrorBody).error === "object";
}

async function request<T>(method: string, path: string, body?: unknown, opts: { query?: Query; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(BASE + path + qs(opts.query), {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Cannot reach the server. Check your connection and try again.");
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) unauthorized?.();
    if (isErrorBody(data)) throw new ApiError(res.status, data.error.code, data.error.message, data.error.details);
    throw new ApiError(res.status, "http_" + res.status, res.statusText || `Request failed (${res.status})`);
  }
  return data as T;
}

const enc = encodeURIComponent;

export interface TaskFilters {
  status?: TaskStatus | "";
  source?: TaskSource | "";
  agent?: string;
  q?: string;
  cursor?: string | null;
  limit?: number;
}

export type CreateTaskInput = { agent: string; title: string; description: string } | { plan_id: string; inputs: Record<string, string>; title?: string };

export const api = {
  session: {
    get: () => request<SessionInfo>("GET", "/auth/session", undefined, { quiet401: true }),
    signIn: (token: string) => request<SessionInfo>("POST", "/auth/session", { token }, { quiet401: true }),
    signOut: () => request<unknown>("DELETE", "/auth/session", undefined, { quiet401: true }),
  },
  tasks: {
    summary: (f: { q?: string; source?: string; agent?: string }) => request<TaskSummary>("GET", "/tasks/summary", undefined, { query: f }),
    list: (f: TaskFilters) => request<Page<TaskListItem>>("GET", "/tasks", undefined, { query: { ...f } }),
    get: (id: string) => request<TaskDetail>("GET", `/tasks/${enc(id)}`),
    create: (input: CreateTaskInput) => request<TaskListItem>("POST", "/tasks", input),
    cancel: (id: string) => request<unknown>("DELETE", `/tasks/${enc(id)}`),
    respond: (sessionId: string, callId: string, answers: string[]) =>
      request<unknown>("POST", `/sessions/${enc(sessionId)}/respond`, { call_id: callId, answers }),
    approve: (id: string, step: string) => request<unknown>("POST", `/tasks/${enc(id)}/steps/${enc(step)}/approve`, {}),
    reject: (id: string, step: string, comment: string) =>
      request<unknown>("POST", `/tasks/${enc(id)}/steps/${enc(step)}/reject`, { comment }),
    trace: (id: string, step: string, runNo: number) =>
      request<Trace>("GET", `/tasks/${enc(id)}/steps/${enc(step)}/runs/${runNo}/trace`),
  },
  agents: {
    list: () => request<Page<Agent>>("GET", "/agents", undefined, { query: { limit: 100 } }),
    create: (a: AgentInput) => request<Agent>("POST", "/agents", a),
    update: (id: string, a: AgentInput) => request<Agent>("PUT", `/agents/${enc(id)}`, a),
    remove: (id: string) => request<unknown>("DELETE", `/agents/${enc(id)}`),
  },
  plans: {
    list: (cursor?: string | null) => request<Page<Plan>>("GET", "/plans", undefined, { query: { cursor, limit: 50 } }),
    get: (id: string) => request<Plan>("GET", `/plans/${enc(id)}`),
    create: (def: PlanDefinition) => request<Plan>("POST", "/plans", def),
    update: (id: string, def: PlanDefinition) => request<Plan>("PUT", `/plans/${enc(id)}`, def),
    remove: (id: string) => request<unknown>("DELETE", `/plans/${enc(id)}`),
    versions: (id: string) => request<Page<PlanVersion>>("GET", `/plans/${enc(id)}/versions`),
    run: (id: string, inputs: Record<string, string>, title?: string) =>
      request<TaskListItem>("POST", `/plans/${enc(id)}/run`, { inputs, ...(title ? { title } : {}) }),
  },
  pricing: {
    list: () => request<Page<Price>>("GET", "/pricing"),
    put: (model: string, p: Omit<Price, "model" | "updated_at">) => request<Price>("PUT", `/pricing/${enc(model)}`, p),
  },
  tokens: {
    list: () => request<Page<ApiToken>>("GET", "/tokens"),
    create: (name: string, role: string) => request<ApiToken>("POST", "/tokens", { name, role }),
    revoke: (id: string) => request<unknown>("DELETE", `/tokens/${enc(id)}`),
  },
  triggers: {
    list: () => request<Page<Trigger>>("GET", "/triggers"),
    create: (t: { plan_id: string; kind: "cron" | "webhook"; cron?: string; inputs: Record<string, unknown>; title?: string }) =>
      request<Trigger>("POST", "/triggers", t),
    remove: (id: string) => request<unknown>("DELETE", `/triggers/${enc(id)}`),
    setPaused: (id: string, paused: boolean) => request<Trigger>("POST", `/triggers/${enc(id)}/${paused ? "pause" : "resume"}`, {}),
    runNow: (id: string) => request<TaskListItem>("POST", `/triggers/${enc(id)}/run`, {}),
  },
  audit: {
    list: (cursor?: string | null) => request<Page<AuditEntry>>("GET", "/audit", undefined, { query: { cursor, limit: 50 } }),
  },
};

export type StreamState = "connecting" | "open" | "closed";

export interface StreamEvent {
  type: string;
  data: unknown;
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
    onEvent({ type, data });
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
export const taskEventsPath = (id: string) => `/tasks/${enc(id)}/events`;
