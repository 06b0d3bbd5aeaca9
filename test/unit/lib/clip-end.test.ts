import { describe, expect, it } from "vitest";
import { clipEnd } from "../../../web/src/lib/format";

describe("clipEnd (a spend chart's bar labels, a loop item's row)", () => {
  it("keeps what fits whole and cuts a longer text at its end, never its start", () => {
    expect(clipEnd("2026-12-07", 10)).toBe("2026-12-07");
    expect(clipEnd("writer", 10)).toBe("writer");
    expect(clipEnd("Research the top competitors", 10)).toBe("Research…");
    expect(clipEnd("No saved plan", 10)).toBe("No saved…");
  });
});
