import { describe, expect, it } from "vitest";
import { fingerprint, open, SecretsKeyMissing, seal } from "../../../worker/lib/secret-box";

describe("secret box", () => {
  it("opens what it sealed, with the same key and context, and the sealed text holds no plaintext", async () => {
    const sealed = await seal("key-one", '{"Authorization":"Bearer abc"}', "org_a\nnotes\nhttps://mcp.example.com");
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain("Bearer");
    expect(await open("key-one", sealed, "org_a\nnotes\nhttps://mcp.example.com")).toBe('{"Authorization":"Bearer abc"}');
    // a fresh IV each time
    expect(await seal("key-one", "x", "c")).not.toBe(await seal("key-one", "x", "c"));
  });

  it("opens nothing under another key, another context (organization, name or URL) or an altered text", async () => {
    const sealed = await seal("key-one", "value", "org_a\nnotes\nhttps://mcp.example.com");
    expect(await open("key-two", sealed, "org_a\nnotes\nhttps://mcp.example.com")).toBeNull();
    expect(await open("key-one", sealed, "org_b\nnotes\nhttps://mcp.example.com")).toBeNull();
    expect(await open("key-one", sealed, "org_a\nnotes\nhttps://evil.example.com")).toBeNull();
    const [v, iv, data] = sealed.split(".");
    expect(await open("key-one", `${v}.${iv}.${data.slice(0, -4)}AAAA`, "org_a\nnotes\nhttps://mcp.example.com")).toBeNull();
    expect(await open("key-one", "not sealed", "c")).toBeNull();
  });

  it("refuses to seal, open or fingerprint without a key", async () => {
    await expect(seal(undefined, "v", "c")).rejects.toBeInstanceOf(SecretsKeyMissing);
    await expect(open("", "v1.a.b", "c")).rejects.toBeInstanceOf(SecretsKeyMissing);
    await expect(fingerprint(undefined, "v")).rejects.toBeInstanceOf(SecretsKeyMissing);
  });

  it("fingerprints a value by key: stable, 12 hex digits, different for another value or key", async () => {
    const f = await fingerprint("key-one", "Bearer abc");
    expect(f).toMatch(/^[0-9a-f]{12}$/);
    expect(await fingerprint("key-one", "Bearer abc")).toBe(f);
    expect(await fingerprint("key-one", "Bearer abd")).not.toBe(f);
    expect(await fingerprint("key-two", "Bearer abc")).not.toBe(f);
  });
});
