import { AsyncLocalStorage } from "node:async_hooks";

const current = new AsyncLocalStorage<string>();

/** Runs `fn` with `requestId` as the id every log line inside it (awaits and timers included) carries. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return current.run(requestId, fn);
}

export function currentRequestId(): string | undefined {
  return current.getStore();
}

/** An id for work no HTTP request started (an alarm, a cron fire), so its log lines still group. */
export const invocationId = (kind: string) => `${kind}_${crypto.randomUUID()}`;
