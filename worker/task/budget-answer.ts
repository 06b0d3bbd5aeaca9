/** A person's answer to a budget question: stop the task, or raise its budget to `usd` (NaN when the amount is not a number). */
export type BudgetAnswer = { kind: "stop" } | { kind: "raise"; usd: number };

// decimal only: Number() would also read "0x10" as 16 and "" as 0; the exponent is what String(n) writes for small amounts
const AMOUNT = /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** `["stop"]` or `["raise", "<usd>"]`, nothing more: anything else (`["stop", "no"]`) is no answer, so it stops nothing. */
export function parseBudgetAnswer(answers: readonly string[]): BudgetAnswer | null {
  if (answers.length === 1 && answers[0] === "stop") return { kind: "stop" };
  if (answers.length !== 2 || answers[0] !== "raise") return null;
  const amount = answers[1].trim();
  return { kind: "raise", usd: AMOUNT.test(amount) ? Number(amount) : NaN };
}
