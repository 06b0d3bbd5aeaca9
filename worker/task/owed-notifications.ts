import type { TaskTransition } from "../notify/events";

/**
 * A task's transitions its organization's Notifier does not have yet, in the task's own storage: stored with the
 * status change, forgotten once handed over, and handed over again after a restart (worker/task/index-sync.ts).
 */
const KEY = "owed_notifications";

export const owedTransitions = (storage: DurableObjectStorage): TaskTransition[] => storage.kv.get<TaskTransition[]>(KEY) ?? [];

export function oweTransition(storage: DurableObjectStorage, t: TaskTransition): void {
  storage.kv.put(KEY, [...owedTransitions(storage), t]);
}

export function forgetTransitions(storage: DurableObjectStorage, keys: string[]): void {
  const left = owedTransitions(storage).filter((t) => !keys.includes(t.key));
  if (left.length) storage.kv.put(KEY, left);
  else storage.kv.delete(KEY);
}
