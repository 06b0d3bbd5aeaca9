import { describe, expect, it } from "vitest";
import { TASK_STATUSES } from "../../../worker/db/schema";
import { BOARD_GROUPS, STATUS_LABEL, STATUS_OPTIONS } from "../../../web/src/lib/format";

describe("status words", () => {
  it("offers every task status once in a status filter, in board order, in the board's words", () => {
    expect(STATUS_OPTIONS.map((o) => o.value)).toEqual([...BOARD_GROUPS]);
    expect([...STATUS_OPTIONS.map((o) => o.value)].sort()).toEqual([...TASK_STATUSES].sort());
    for (const o of STATUS_OPTIONS) expect(o.label).toBe(STATUS_LABEL[o.value]);
  });

  it("never shows the API's own word for a status", () => {
    for (const s of TASK_STATUSES) expect(STATUS_LABEL[s]).not.toMatch(/_/);
    expect(new Set(TASK_STATUSES.map((s) => STATUS_LABEL[s])).size).toBe(TASK_STATUSES.length);
  });
});
