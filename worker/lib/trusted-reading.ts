/**
 * A value read from D1 and kept in an object's memory for `ttlMs`. The writer of
 * the value tells the object (`forget`), so the TTL only bounds a telling that was
 * lost; a read that was in flight when `forget` came is not kept.
 */
export class TrustedReading<T> {
  private held: { value: T; at: number } | null = null;
  private epoch = 0;

  constructor(private readonly ttlMs: number) {}

  async get(read: () => Promise<T>): Promise<T> {
    if (this.held && Date.now() - this.held.at < this.ttlMs) return this.held.value;
    const epoch = this.epoch;
    const at = Date.now();
    const value = await read();
    if (epoch === this.epoch) this.held = { value, at };
    return value;
  }

  forget(): void {
    this.epoch++;
    this.held = null;
  }
}
