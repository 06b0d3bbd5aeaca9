import { describe, expect, it } from "vitest";
import { TrustedReading } from "../../../worker/lib/trusted-reading";

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
    let release!: (v: string) => void;
    const stale = r.get(() => new Promise<string>((res) => (release = res)));
    r.forget();
    release("before the change");
    expect(await stale).toBe("before the change");
    expect(await r.get(async () => "after the change")).toBe("after the change");
  });
});
