export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());

/** Resolves after `ms` (0: the next turn of the event loop). */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
