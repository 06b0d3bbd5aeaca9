import { describe, expect, it } from "vitest";
import type { Param } from "../../../worker/task/plan-schema";
import { triggerGaps } from "../../../worker/triggers/plan-fit";

const param = (name: string, o: Partial<Param> = {}): Param => ({ name, description: "", required: false, ...o });
const cron = (inputs: Record<string, unknown>) => ({ kind: "cron" as const, inputs: JSON.stringify(inputs), input_map: null });
const hook = (inputs: Record<string, unknown>, map: Record<string, string> | null = null) => ({ kind: "webhook" as const, inputs: JSON.stringify(inputs), input_map: map && JSON.stringify(map) });

describe("triggerGaps", () => {
  const params = [param("topic", { required: true }), param("region", { required: true, default: "eu" }), param("note")];

  it("finds nothing wrong with inputs that fit", () => {
    expect(triggerGaps(params, cron({ topic: "a" }))).toEqual([]);
    expect(triggerGaps(params, hook({}))).toEqual([]);
    expect(triggerGaps(params, hook({}, { topic: "repository.name" }))).toEqual([]);
    expect(triggerGaps(params, hook({ topic: "a" }, { note: "message" }))).toEqual([]);
  });

  it("names a required param a cron trigger lacks (an empty or null value is none) and params the plan does not declare", () => {
    expect(triggerGaps(params, cron({}))).toEqual([{ param: "topic", message: "is required" }]);
    expect(triggerGaps(params, cron({ topic: "" }))).toEqual([{ param: "topic", message: "is required" }]);
    expect(triggerGaps(params, cron({ topic: null }))).toEqual([{ param: "topic", message: "is required" }]);
    expect(triggerGaps(params, cron({ topic: "a", old: 1 }))).toEqual([{ param: "old", message: "unknown param; the plan declares topic, region, note" }]);
  });

  it("lets a webhook with no input_map take any param from its deliveries, but not one its map and inputs leave out", () => {
    expect(triggerGaps(params, hook({}, { note: "message" }))).toEqual([{ param: "topic", message: "is required: neither the trigger's inputs nor its input_map give it" }]);
    expect(triggerGaps(params, hook({}, { topic: "a", gone: "b" }))).toEqual([{ param: "gone", message: "unknown param; the plan declares topic, region, note" }]);
    expect(triggerGaps([], hook({}, { topic: "a" }))).toEqual([{ param: "topic", message: "unknown param; the plan declares none" }]);
  });
});
