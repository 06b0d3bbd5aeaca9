/** What a task object's RPC answers: a value, or why not, which the API turns into its JSON error. */
export type RpcResult<T = null> = { ok: true; value: T } | { ok: false; code: "not_found" | "conflict" | "unprocessable"; message: string; details?: unknown };
export const ok = <T>(value: T): RpcResult<T> => ({ ok: true, value });
export const fail = (code: "not_found" | "conflict" | "unprocessable", message: string): RpcResult<never> => ({ ok: false, code, message });
