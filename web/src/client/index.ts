import { type ClientResponse, hc } from "hono/client";
import type { SuccessStatusCode } from "hono/utils/http-status";
import type { AppType } from "../../../worker/api";

/**
 * The typed Flightdeck client: `hc` over the Worker's own route types, so paths,
 * parameters, bodies and answers are checked against the zod schemas the API validates with.
 */
export type { AppType };

export interface ClientOptions {
  /** Origin of the Worker, e.g. `http://localhost:8443`; empty for same-origin (the dashboard). */
  baseUrl?: string;
  /** An API token; without one the browser's session cookie is used. */
  token?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  init?: RequestInit;
}

export function createClient(opts: ClientOptions = {}) {
  const base = `${(opts.baseUrl ?? "").replace(/\/+$/, "")}/api/v1`;
  const headers = { ...opts.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
  // Called unbound: a browser's fetch refuses any other `this`.
  const send: typeof fetch = (input, init) =>
    (opts.fetch ?? globalThis.fetch)(input, init).catch((e: unknown) => {
      throw new ApiError(0, "network", "Cannot reach the server. Check your connection and try again.", null, e instanceof Error ? e.message : String(e));
    });
  return hc<AppType>(base, { fetch: send, headers, init: opts.init });
}

export type FlightdeckClient = ReturnType<typeof createClient>;

/** An error answer: `{"error": {code, message, details?, request_id}}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The resource an address names does not exist: unknown (404), or an id the API refuses outright (400: too long, not an id's shape). Trying again cannot help. */
export const namesNothing = (e: unknown): boolean => e instanceof ApiError && (e.status === 404 || e.status === 400);

type Responded = ClientResponse<unknown, number, "json" | "text" | string>;

/** The body type of a response's 2xx variants. */
export type Ok<R> = R extends ClientResponse<infer T, infer S, infer _F> ? (S extends SuccessStatusCode ? T : never) : never;

interface ErrorShape {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

const isErrorShape = (v: unknown): v is ErrorShape =>
  typeof v === "object" && v !== null && "error" in v && typeof v.error === "object" && v.error !== null && "code" in v.error;

/** Awaits a client call: the parsed body of a 2xx answer (`undefined` for 204), else throws `ApiError`. */
export async function unwrap<R extends Responded>(call: Promise<R> | R): Promise<Ok<R>> {
  const res = await call;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (res.ok) return data as Ok<R>;
  const requestId = res.headers.get("x-request-id");
  if (isErrorShape(data)) throw new ApiError(res.status, data.error.code, data.error.message, data.error.request_id ?? requestId, data.error.details);
  throw new ApiError(res.status, `http_${res.status}`, res.statusText || `request failed (${res.status})`, requestId);
}
