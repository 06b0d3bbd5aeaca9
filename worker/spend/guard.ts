import type { Bindings } from "../env";
import { type Masker, makeMasker, providerKeysOf } from "../lib/mask";
import { parseOrgSettings } from "../lib/org-settings";
import { monthStart } from "./ledger";

const TTL_MS = 15_000;

interface Snapshot {
  cap_nanos: number | null;
  /** the organization's spend this month, this task's own excluded (the task adds its live total) */
  others_nanos: number;
  month: string;
  mask: Masker;
  at: number;
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

  refresh(now = Date.now()): Promise<void> {
    if (this.snap && now - this.snap.at < TTL_MS && this.snap.month === monthStart(now)) return Promise.resolve();
    this.loading ??= this.load(now).finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(now: number): Promise<void> {
    const month = monthStart(now);
    const [settings, spent] = await this.env.DB.batch<{ settings?: string; n?: number }>([
      this.env.DB.prepare("SELECT settings FROM orgs WHERE id = ?").bind(this.orgId()),
      this.env.DB.prepare("SELECT coalesce(sum(cost_nanos), 0) AS n FROM spend WHERE org_id = ? AND day >= ? AND task_id != ?").bind(this.orgId(), month, this.taskId()),
    ]);
    const s = parseOrgSettings(settings.results[0]?.settings);
    this.snap = { cap_nanos: s.monthly_spend_cap_nanos, others_nanos: spent.results[0]?.n ?? 0, month, mask: makeMasker(providerKeysOf(this.env), s.mask_patterns), at: now };
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
  mask: Masker = (text) => (this.snap ? this.snap.mask(text) : makeMasker(providerKeysOf(this.env), [])(text));
}
