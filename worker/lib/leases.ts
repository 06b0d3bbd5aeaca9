/**
 * Stream slots, each held until given back or until its lease runs out unrenewed (the isolate that held
 * it went away without a word). In memory: an object that restarts forgets them, and counts low until
 * their streams come back.
 */
export class Leases {
  private readonly until = new Map<string, number>();

  size(now = Date.now()): number {
    for (const [id, at] of this.until) if (at <= now) this.until.delete(id);
    return this.until.size;
  }

  take(id: string, ms: number): void {
    this.until.set(id, Date.now() + ms);
  }

  /** Only a slot still held: one given back stays given back. */
  renew(id: string, ms: number): void {
    if (this.until.has(id)) this.until.set(id, Date.now() + ms);
  }

  give(id: string): void {
    this.until.delete(id);
  }
}
