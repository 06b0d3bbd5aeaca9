/** A cron expression's fields (5, or 6 with seconds first); the dashboard reads it too, so no parser here. */
export const cronFields = (expr: string): string[] => expr.trim().split(/\s+/).filter(Boolean);

/** Whether the schedule names seconds: its times must then be shown with them, or a few a minute read alike. */
export const firesBySecond = (expr: string): boolean => cronFields(expr).length === 6;
