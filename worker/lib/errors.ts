import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unprocessable"
  | "rate_limited"
  | "internal"
  | "unavailable";

const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** The one error type the API turns into `{"error": {code, message, details?, request_id}}`. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError("bad_request", message, details);
export const notFound = (what: string) => new ApiError("not_found", `${what} not found`);
export const conflict = (message: string, details?: unknown) => new ApiError("conflict", message, details);
export const unprocessable = (message: string, details?: unknown) => new ApiError("unprocessable", message, details);
export const forbidden = (message: string) => new ApiError("forbidden", message);
/** RFC 9110 requires a 401 to say how to authenticate; RFC 6750 adds why a credential given was refused. */
export const challenge = (error?: "invalid_token" | "invalid_request") => `Bearer realm="flightdeck"${error ? `, error="${error}"` : ""}`;
/** `error`: absent when no credential came, `invalid_token` when one was refused, `invalid_request` when it was malformed. */
export const unauthorized = (message = "a valid API token or session is required", error?: "invalid_token" | "invalid_request") =>
  new ApiError("unauthorized", message, undefined, { "www-authenticate": challenge(error) });
