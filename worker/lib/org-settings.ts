/** An organization's operating settings, kept in `orgs.settings` (JSON). A missing key means the default. */
export interface OrgSettings {
  max_concurrent_tasks: number | null;
  retention_days: number | null;
  monthly_spend_cap_nanos: number | null;
  mask_patterns: string[];
}

export const DEFAULT_MAX_CONCURRENT_TASKS = 100;

const int = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : null);

export function parseOrgSettings(raw: string | null | undefined): OrgSettings {
  let o: Record<string, unknown> = {};
  try {
    const v: unknown = raw ? JSON.parse(raw) : {};
    if (v && typeof v === "object" && !Array.isArray(v)) o = v as Record<string, unknown>;
  } catch {
    o = {};
  }
  return {
    max_concurrent_tasks: int(o.max_concurrent_tasks),
    retention_days: int(o.retention_days),
    monthly_spend_cap_nanos: int(o.monthly_spend_cap_nanos),
    mask_patterns: Array.isArray(o.mask_patterns) ? o.mask_patterns.filter((p): p is string => typeof p === "string") : [],
  };
}

export async function readOrgSettings(d1: D1Database, orgId: string): Promise<OrgSettings> {
  const row = await d1.prepare("SELECT settings FROM orgs WHERE id = ?").bind(orgId).first<{ settings: string }>();
  return parseOrgSettings(row?.settings);
}
