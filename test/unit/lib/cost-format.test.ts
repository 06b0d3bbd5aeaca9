import { describe, expect, it } from "vitest";
import { fmtCost, fmtCostColumn } from "../../../web/src/lib/cost";

const nanos = (s: string) => Math.round(Number(s.replace(/[$,]/g, "")) * 1e9);
const sumOf = (shown: string[]) => shown.reduce((n, s) => n + nanos(s), 0);

describe("fmtCost", () => {
  it("shows cents, and under a dime the first two significant digits", () => {
    expect(fmtCost(12.34)).toBe("$12.34");
    expect(fmtCost(0.0123)).toBe("$0.012");
    expect(fmtCost(0.5)).toBe("$0.50");
    expect(fmtCost(0.123)).toBe("$0.12");
    expect(fmtCost(0.0987)).toBe("$0.099");
    expect(fmtCost(0.0000012)).toBe("$0.0000012");
    expect(fmtCost(0.000000001)).toBe("$0.000000001");
  });

  it("never reads zero for a cost that is not, nor loses the cents of a large one", () => {
    expect(fmtCost(0.0049)).toBe("$0.0049");
    expect(fmtCost(123.45)).toBe("$123.45");
    expect(fmtCost(1234.5)).toBe("$1,234.50");
    expect(fmtCost(1_000_000)).toBe("$1,000,000.00");
  });

  it("rounds half up on the exact amount, not on its float", () => {
    expect(fmtCost(1.005)).toBe("$1.01");
    expect(fmtCost(0.0125)).toBe("$0.013");
    expect(fmtCost(2.675)).toBe("$2.68");
  });

  it("drops zeros past the cents that carry nothing, and reads nothing as $0.00", () => {
    expect(fmtCost(0.05)).toBe("$0.05");
    expect(fmtCost(0.001)).toBe("$0.001");
    expect(fmtCost(0.0000001)).toBe("$0.0000001");
    expect(fmtCost(10)).toBe("$10.00");
    expect(fmtCost(0)).toBe("$0.00");
    expect(fmtCost(null)).toBe("$0.00");
    expect(fmtCost(undefined)).toBe("$0.00");
    expect(fmtCost(Number.NaN)).toBe("$0.00");
  });
});

describe("fmtCostColumn", () => {
  it("gives every row and the total the decimals of the smallest cost's two significant digits", () => {
    expect(fmtCostColumn([12.34, 0.0123])).toEqual({ rows: ["$12.340", "$0.012"], total: "$12.352" });
    expect(fmtCostColumn([1.5, 2.25])).toEqual({ rows: ["$1.50", "$2.25"], total: "$3.75" });
    expect(fmtCostColumn([0, 0])).toEqual({ rows: ["$0.00", "$0.00"], total: "$0.00" });
    expect(fmtCostColumn([])).toEqual({ rows: [], total: "$0.00" });
  });

  it("adds up to the total it shows, each row within one unit of its last digit", () => {
    // three thirds of a dollar and a bit: rounded alone, $0.33 × 3 would show $0.99 under a $1.00 total
    const costs = [0.3333, 0.3333, 0.3334];
    const { rows, total } = fmtCostColumn(costs.map((c) => c * 100), 100);
    expect(sumOf(rows)).toBe(nanos(total));
    expect(total).toBe("$100.00");
    rows.forEach((r, i) => expect(Math.abs(nanos(r) - costs[i] * 100 * 1e9)).toBeLessThanOrEqual(1e7));
    // many rows that each round down: the units the total keeps go to those that lost most
    const days = [1.004, 1.004, 1.004, 2.009, 0.01];
    const col = fmtCostColumn(days, days.reduce((a, b) => a + b, 0));
    expect(col.total).toBe("$5.031");
    expect(sumOf(col.rows)).toBe(nanos(col.total));
  });

  it("holds for any column of exact nanodollar costs", () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 200; n++) {
      const costs = Array.from({ length: 1 + (n % 31) }, () => Math.round(next() ** 3 * 50 * 1e9) / 1e9);
      const sum = costs.reduce((a, c) => a + Math.round(c * 1e9), 0) / 1e9;
      const { rows, total } = fmtCostColumn(costs, sum);
      expect(sumOf(rows), JSON.stringify(costs)).toBe(nanos(total));
      const unit = 10 ** (9 - (total.split(".")[1]?.length ?? 0));
      rows.forEach((r, i) => expect(Math.abs(nanos(r) - Math.round(costs[i] * 1e9))).toBeLessThan(unit));
      expect(new Set([...rows, total].map((s) => s.split(".")[1].length)).size).toBe(1);
    }
  });

  it("shows a total that is not the rows' sum rounded, as it is, rather than bend the rows to it", () => {
    expect(fmtCostColumn([1, 1], 3)).toEqual({ rows: ["$1.00", "$1.00"], total: "$3.00" });
  });

  it("rounds every row as it is when no total is shown under them", () => {
    expect(fmtCostColumn([0.3333, 0.3333, 0.3334].map((c) => c * 100)).rows).toEqual(["$33.33", "$33.33", "$33.34"]);
    expect(fmtCostColumn([0.3333, 0.3333, 0.3334].map((c) => c * 100), 100).rows).toEqual(["$33.33", "$33.33", "$33.34"]);
    expect(fmtCostColumn([0.335, 0.335, 0.33]).rows).toEqual(["$0.34", "$0.34", "$0.33"]);
    // with their total, $1.01 would not add up: the row that lost most gives its unit back
    expect(fmtCostColumn([0.335, 0.335, 0.33], 1)).toEqual({ rows: ["$0.34", "$0.33", "$0.33"], total: "$1.00" });
  });
});
