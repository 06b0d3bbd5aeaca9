import { describe, expect, it } from "vitest";
import { parseBudgetAnswer } from "../../../worker/task/budget-answer";

describe("parseBudgetAnswer", () => {
  it("reads stop and a raise, the amount as the dashboard writes it", () => {
    expect(parseBudgetAnswer(["stop"])).toEqual({ kind: "stop" });
    expect(parseBudgetAnswer(["raise", "10"])).toEqual({ kind: "raise", usd: 10 });
    expect(parseBudgetAnswer(["raise", " 0.5 "])).toEqual({ kind: "raise", usd: 0.5 });
    expect(parseBudgetAnswer(["raise", "1e-7"])).toEqual({ kind: "raise", usd: 1e-7 });
  });

  it("is no answer when more or less is said", () => {
    for (const a of [["stop", "no, go on"], ["raise"], ["raise", "10", "now"], ["Stop"], [], ["maybe"]]) expect(parseBudgetAnswer(a), a.join(",")).toBeNull();
  });

  it("reads an amount that is not a decimal number as NaN, never as another number", () => {
    for (const s of ["0x10", "0b1", "", " ", "Infinity", "1,5", "-1", "ten"]) expect(parseBudgetAnswer(["raise", s]), s).toEqual({ kind: "raise", usd: NaN });
  });
});
