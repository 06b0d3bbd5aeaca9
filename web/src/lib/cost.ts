// Costs are whole nanodollars in the API's store (its USD numbers are those over 1e9), so they are read back
// exactly and rounded here in integers: no float rounding (1.005 → "1.00") ever shows.
const MAX_DECIMALS = 9;
const group = new Intl.NumberFormat("en-US");

const nanosOf = (usd: number | null | undefined): number => (usd && usd > 0 && Number.isFinite(usd) ? Math.round(usd * 1e9) : 0);

/** Decimals that show `nanos` to two significant digits: cents at least, nanodollars at most. */
function decimalsFor(nanos: number): number {
  if (nanos <= 0) return 2;
  return Math.min(MAX_DECIMALS, Math.max(2, 11 - String(nanos).length));
}

/** `units` of 10^-decimals dollars, as text: "$1,234.50". */
function dollars(units: number, decimals: number): string {
  const scale = 10 ** decimals;
  const whole = Math.floor(units / scale);
  return `$${group.format(whole)}.${String(units - whole * scale).padStart(decimals, "0")}`;
}

/** `nanos` in units of 10^-decimals dollars, half up: [those units, what was left over in nanos]. */
function split(nanos: number, decimals: number): [number, number] {
  const unit = 10 ** (MAX_DECIMALS - decimals);
  const floor = Math.floor(nanos / unit);
  return [floor, nanos - floor * unit];
}

function rounded(nanos: number, decimals: number): number {
  const [units, rest] = split(nanos, decimals);
  return 2 * rest >= 10 ** (MAX_DECIMALS - decimals) ? units + 1 : units;
}

/**
 * One cost: cents, and under a dime as many decimals as its first two significant digits need, so a
 * $0.0123 task reads "$0.012" beside a $12.34 one, and no cost that is not zero reads "$0.00". Zeros past
 * the cents that carry nothing are dropped ("$0.05", "$0.001").
 */
export function fmtCost(usd: number | null | undefined): string {
  const nanos = nanosOf(usd);
  const d = decimalsFor(nanos);
  return dollars(rounded(nanos, d), d).replace(/(\.\d\d\d*?)0+$/, "$1");
}

/**
 * A column of costs, every one to the same decimals (enough for the smallest cost that is not zero to show two
 * significant digits), so they line up and compare. With the `total` shown under them, rounded so that the rows
 * shown add up to it: the total is rounded as it is, and its last units go to the rows that lost most to
 * rounding (each row is then within one unit of its last digit). A total that is not the rows' sum, or none,
 * leaves every row rounded as it is.
 */
export function fmtCostColumn(costs: readonly (number | null | undefined)[], total?: number | null): { rows: string[]; total: string } {
  const nanos = costs.map(nanosOf);
  const sum = nanos.reduce((n, c) => n + c, 0);
  const totalNanos = total === undefined ? sum : nanosOf(total);
  const smallest = Math.min(...nanos.filter((c) => c > 0), totalNanos > 0 ? totalNanos : Infinity);
  const d = decimalsFor(Number.isFinite(smallest) ? smallest : 0);
  const target = rounded(totalNanos, d);
  const parts = nanos.map((c) => split(c, d));
  let short = target - parts.reduce((n, [units]) => n + units, 0);
  const units = parts.map(([u]) => u);
  if (total === undefined || totalNanos !== sum || short < 0 || short > parts.filter(([, rest]) => rest > 0).length) {
    return { rows: nanos.map((c) => dollars(rounded(c, d), d)), total: dollars(target, d) };
  }
  const byRest = parts.map(([, rest], i) => [rest, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRest) {
    if (short-- <= 0) break;
    units[i]++;
  }
  return { rows: units.map((u) => dollars(u, d)), total: dollars(target, d) };
}

/** Every digit of a cost, to the nanodollar the API keeps (cents at least): for a tooltip beside a rounded one. */
export function fmtCostExact(usd: number | null | undefined): string {
  return dollars(nanosOf(usd), MAX_DECIMALS).replace(/(\.\d\d\d*?)0+$/, "$1");
}
