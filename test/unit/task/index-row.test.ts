import { describe, expect, it } from "vitest";
import type { PendingItem } from "../../../worker/db/task-row";
import { indexedPending, PENDING_INDEX_CHARS } from "../../../worker/task/index-row";

describe("the index row's copy of a task's questions", () => {
  it("is the questions whole while they are short", () => {
    const items: PendingItem[] = [{ kind: "question", step: "a", call_id: "call_1", question: "Which segment?" }, { kind: "approval", step: "b", run: 1 }];
    expect(indexedPending(items)).toBe(JSON.stringify(items));
  });

  it("cuts each question short when together they would pass the bound, keeping every item: a loop's 100 questions of 20,000 characters", () => {
    const items: PendingItem[] = Array.from({ length: 100 }, (_, i) => ({ kind: "question", step: `each[${i}].ask`, call_id: `call_${i}`, question: "q".repeat(20_000) }));
    const kept = JSON.parse(indexedPending(items)) as PendingItem[];
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(PENDING_INDEX_CHARS);
    expect(kept.map((k) => k.call_id)).toEqual(items.map((k) => k.call_id));
    expect(kept[0].question).toMatch(/^q+…$/);
  });

  it("stays under 2 MB for a loop's 10,000 iterations, each asking", () => {
    const items: PendingItem[] = Array.from({ length: 10_000 }, (_, i) => ({ kind: "question", step: `each[${i}].ask`, call_id: `call_${i}`, question: "q".repeat(20_000) }));
    expect(indexedPending(items).length).toBeLessThan(2_000_000);
  });
});
