import { describe, expect, it } from "vitest";
import { TrustedReading } from "../../../worker/lib/trusted-reading";

/** A read that stays on its way until the test answers it. */
function heldRead<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const read = () => new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { read, resolve: (v: T) => resolve(v), reject: (e: Error) => reject(e) };
}

describe("TrustedReading", () => {
  it("reads once within its TTL, and again once told to forget", async () => {
    let reads = 0;
    const r = new TrustedReading<number>(60_000);
    const read = async () => ++reads;
    expect(await r.get(read)).toBe(1);
    expect(await r.get(read)).toBe(1);
    r.forget();
    expect(await r.get(read)).toBe(2);
    expect(reads).toBe(2);
  });

  it("reads again after its TTL", async () => {
    let reads = 0;
    const r = new TrustedReading<number>(0);
    await r.get(async () => ++reads);
    await r.get(async () => ++reads);
    expect(reads).toBe(2);
  });

  it("does not keep a read that was in flight when it was told to forget", async () => {
    const r = new TrustedReading<string>(60_000);
    const held = heldRead<string>();
    const stale = r.get(held.read);
    r.forget();
    held.resolve("before the change");
    expect(await stale).toBe("before the change");
    expect(await r.get(async () => "after the change")).toBe("after the change");
  });

  it("shares a read on its way among the callers that come meanwhile", async () => {
    let reads = 0;
    let release!: () => void;
    const answered = new Promise<void>((res) => (release = res));
    const r = new TrustedReading<number>(60_000);
    const read = async () => {
      await answered;
      return ++reads;
    };
    const together = [r.get(read), r.get(read), r.get(read)];
    release();
    expect(await Promise.all(together)).toEqual([1, 1, 1]);
    expect(reads).toBe(1);
  });

  it("does not hand a read from before a forget to a caller after it", async () => {
    const r = new TrustedReading<string>(60_000);
    const held = heldRead<string>();
    const before = r.get(held.read);
    r.forget();
    const after = r.get(async () => "after the change");
    held.resolve("before the change");
    expect(await before).toBe("before the change");
    expect(await after).toBe("after the change");
    expect(await r.get(async () => "unread")).toBe("after the change");
  });

  it("reads again after a shared read failed", async () => {
    const r = new TrustedReading<string>(60_000);
    const held = heldRead<string>();
    const first = r.get(held.read);
    const joined = r.get(async () => "not read: it joins the read on its way");
    held.reject(new Error("D1 unavailable"));
    await expect(first).rejects.toThrow("D1 unavailable");
    await expect(joined).rejects.toThrow("D1 unavailable");
    expect(await r.get(async () => "read again")).toBe("read again");
  });
});
