/**
 * A value read from D1 and kept in an object's memory for `ttlMs`. The writer of
 * the value tells the object (`forget`), so the TTL only bounds a telling that was
 * lost; a read that was in flight when `forget` came is not kept. Callers that come
 * while a read is on its way share it: a cold object's first burst (every request of a
 * busy token, every task of a busy organization) makes one read, not one each.
 */
export class TrustedReading<T> {
  private held: { value: T; at: number } | null = null;
  private reading: { epoch: number; value: Promise<T> } | null = null;
  private epoch = 0;

  constructor(private readonly ttlMs: number) {}

  async get(read: () => Promise<T>): Promise<T> {
    if (this.held && Date.now() - this.held.at < this.ttlMs) return this.held.value;
    if (this.reading?.epoch === this.epoch) return this.reading.value;
    const reading = { epoch: this.epoch, value: read() };
    const at = Date.now();
    this.reading = reading;
    try {
      const value = await reading.value;
      if (reading.epoch === this.epoch) this.held = { value, at };
      return value;
    } finally {
      if (this.reading === reading) this.reading = null;
    }
  }

  forget(): void {
    this.epoch++;
    this.held = null;
  }
}
