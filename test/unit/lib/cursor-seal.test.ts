import { describe, expect, it } from "vitest";
import { cursorSeal, sealPage } from "../../../worker/lib/cursor-seal";

const sealA = cursorSeal("key-one", "org_a");

describe("sealed task cursors", () => {
  it("opens what it sealed, and the sealed cursor says nothing of the number inside, not even its digits", async () => {
    const short = await sealA.seal(btoa("s:7"));
    const long = await sealA.seal(btoa("c:123456789012345678:123456789012345"));
    expect(await sealA.open(short)).toBe(btoa("s:7"));
    expect(await sealA.open(long)).toBe(btoa("c:123456789012345678:123456789012345"));
    expect(short).toMatch(/^x[A-Za-z0-9_-]+$/);
    expect(short.length).toBe(long.length);
    expect(short).not.toContain(btoa("s:7").slice(0, 3));
    // the same position seals the same, so a page read twice reads the same; another position, another IV
    expect(await sealA.seal(btoa("s:7"))).toBe(short);
    expect((await sealA.seal(btoa("s:8"))).slice(0, 17)).not.toBe(short.slice(0, 17));
  });

  it("opens nothing sealed for another organization, under another key, or altered", async () => {
    const sealed = await sealA.seal(btoa("s:42"));
    expect(await cursorSeal("key-one", "org_b").open(sealed)).toBeNull();
    expect(await cursorSeal("key-two", "org_a").open(sealed)).toBeNull();
    expect(await sealA.open(`${sealed.slice(0, -4)}AAAA`)).toBeNull();
    expect(await sealA.open("x")).toBeNull();
    expect(await sealA.open("x!!")).toBeNull();
  });

  it("takes no unsealed cursor, which anyone could write to find row numbers by trying; without a key hands them out unsealed", async () => {
    expect(await sealA.open(btoa("s:42"))).toBeNull();
    const keyless = cursorSeal(undefined, "org_a");
    expect(await keyless.seal(btoa("s:42"))).toBe(btoa("s:42"));
    expect(await keyless.open(btoa("s:42"))).toBe(btoa("s:42"));
    expect(await keyless.open(await sealA.seal(btoa("s:42")))).toBeNull();
  });

  it("seals a page's next cursor, and leaves a last page as it is", async () => {
    const last = { items: [1], next_cursor: null };
    expect(await sealPage(sealA, last)).toBe(last);
    const page = await sealPage(sealA, { items: [1], next_cursor: btoa("s:3") });
    expect(page.items).toEqual([1]);
    expect(await sealA.open(page.next_cursor!)).toBe(btoa("s:3"));
  });
});
