export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
