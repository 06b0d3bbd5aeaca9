import type { Bindings } from "../env";
import { type Masker, makeMasker, instanceSecretsOf } from "../lib/mask";
import { parseOrgSettings } from "../lib/org-settings";
import { monthEndMs, monthStart } from "./ledger";

const TTL_MS = 15_000;

interface Snapshot {
  cap_nanos: number | null;
  /** the organization's spend this month, this task's own excluded (the task adds its live total) */
  others_nanos: number;
  month: string;
  mask: Masker;
  /** good until the TTL runs out or the month ends, whichever comes first */
  until: number;
}

/** The organization's settings and what its other tasks spent this month, as read at `at`. */
export interface OrgReading {
  settings: string | null;
  others_nanos: number;
  month: string;
  at: number;
}

/**
 * The columns of an `OrgReading`, for a SELECT of one row whose parameters are ?1 the organization, ?2 the
 * month and ?3 the task: its settings, and the month's total (migrations/0007) less this task's own ledger
 * rows (one row and a primary-key range, however many tasks ran).
 */
export const ORG_READING_COLUMNS = `(SELECT settings FROM orgs WHERE id = ?1) AS settings,
  coalesce((SELECT cost_nanos FROM spend_months WHERE org_id = ?1 AND month = ?2), 0)
    - coalesce((SELECT sum(cost_nanos) FROM spend WHERE task_id = ?3 AND day >= ?2), 0) AS others_nanos`;

export type OrgReadingRow = { settings: string | null; others_nanos: number };

export function orgReading(row: OrgReadingRow | null, month: string, at: number): OrgReading {
  return { settings: row?.settings ?? null, others_nanos: row?.others_nanos ?? 0, month, at };
}

/**
 * What a task's runs need from their organization: the monthly spend cap, what
 * the other tasks spent this month, and the secrets to mask. Read at a run's
 * start at most every few seconds — never per model turn.
 */
export class OrgGuard {
  private snap: Snapshot | null = null;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly env: Bindings,
    private readonly orgId: () => string,
    private readonly taskId: () => string,
  ) {}

  /** `force`: read again now, as when the cap has just changed. */
  refresh(now = Date.now(), force = false): Promise<void> {
    if (!force && this.snap && now < this.snap.until) return Promise.resolve();
    this.loading ??= this.load(now).finally(() => (this.loading = null));
    return this.loading;
  }

  /** A reading made elsewhere (the batch that created the task) counts as this guard's own. */
  prime(r: OrgReading): void {
    const s = parseOrgSettings(r.settings);
    const until = Math.min(r.at + TTL_MS, monthEndMs(r.month));
    this.snap = { cap_nanos: s.monthly_spend_cap_nanos, others_nanos: r.others_nanos, month: r.month, mask: makeMasker(instanceSecretsOf(this.env), s.mask_patterns), until };
  }

  private async load(now: number): Promise<void> {
    const month = monthStart(now);
    const row = await this.env.DB.prepare(`SELECT ${ORG_READING_COLUMNS}`).bind(this.orgId(), month, this.taskId()).first<OrgReadingRow>();
    this.prime(orgReading(row, month, now));
  }

  /** Whether the organization has a monthly cap at all: without one, nothing needs counting. */
  get capped(): boolean {
    return this.snap?.cap_nanos != null;
  }

  /** Would a turn costing `estimate` take the organization past its monthly cap? */
  overCap(ownMonthNanos: number, estimate: number): boolean {
    const s = this.snap;
    return s?.cap_nanos != null && s.others_nanos + ownMonthNanos + estimate > s.cap_nanos;
  }

  monthSpent(ownMonthNanos: number): { cap_nanos: number | null; spent_nanos: number } {
    return { cap_nanos: this.snap?.cap_nanos ?? null, spent_nanos: (this.snap?.others_nanos ?? 0) + ownMonthNanos };
  }

  get month(): string {
    return this.snap?.month ?? monthStart(Date.now());
  }

  /** Before the first read only the provider keys and common shapes apply. */
  mask: Masker = (text) => this.masker()(text);

  /** The masker as of the last read, with its patterns. */
  masker(): Masker {
    return this.snap ? this.snap.mask : makeMasker(instanceSecretsOf(this.env), []);
  }
}
