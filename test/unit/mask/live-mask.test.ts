import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LiveMask } from "../../../worker/lib/live-mask";
import { makeMasker, MASK } from "../../../worker/lib/mask";

const mask = makeMasker(["provider-key-0123456789"], ["ACME \\d{6}"]);

/** What a stream cut into `pieces` sends, all told. */
function streamed(pieces: string[]): { sent: string[]; whole: string } {
  const live = new LiveMask(mask);
  const sent = pieces.map((p) => live.push(p));
  sent.push(live.end());
  return { sent, whole: sent.join("") };
}

/** `text` cut at the given points. */
const cut = (text: string, at: number[]) => {
  const points = [...new Set(at.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((p, i) => text.slice(p, points[i] ?? text.length));
};

const SECRETS = [
  "sk-proj-abcdefghijklmnopqrstuvwx",
  "Authorization: Bearer abcdefgh12345678",
  "provider-key-0123456789",
  "order ACME 123456 shipped",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
];

describe("LiveMask", () => {
  it("sends what masking the whole text would, however the text is cut, a secret split between pieces included", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SECRETS), fc.lorem({ maxCount: 8 }), fc.lorem({ maxCount: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (secret, before, after, at) => {
        const text = `${before} ${secret} ${after}`;
        expect(streamed(cut(text, at)).whole).toBe(mask(text));
      }),
      { numRuns: 500 },
    );
  });

  it("holds back no more than the last two words of ordinary text", () => {
    const { sent } = streamed(["one two three ", "four five ", "six"]);
    expect(sent).toEqual(["one two ", "three four ", "", "five six"]);
  });

  it("never sends a key streamed a few characters at a time, nor the token after a Bearer sent before it", () => {
    const key = "sk-proj-abcdefghijklmnopqrstuvwx";
    const { whole } = streamed(["use ", ...key.match(/.{1,3}/g)!, " now, with Bearer ", "abcdefgh", "12345678 ", "ok"]);
    expect(whole).toBe(`use ${MASK} now, with Bearer ${MASK} ok`);
  });

  it("holds a PEM block until it ends, and sends an endless word after 64 KB", () => {
    const live = new LiveMask(mask);
    expect(live.push("key: -----BEGIN PRIVATE KEY-----\nMIIE ")).toBe("key: ");
    expect(live.push("abc def ghi\n")).toBe("");
    expect(live.push("-----END PRIVATE KEY----- done and more")).toBe(`${MASK} done `);
    const word = "x".repeat(70_000);
    const long = new LiveMask(mask);
    expect(long.push(word).length).toBeGreaterThan(60_000);
  });
});
