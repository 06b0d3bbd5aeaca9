import { describe, expect, it } from "vitest";
import { dependencyOrder } from "../../../worker/task/step-order";

const keys = (nodes: { key: string }[]) => nodes.map((n) => n.key);
const node = (key: string, ...deps: string[]) => ({ key, deps });

describe("dependencyOrder", () => {
  it("puts each step after the siblings it depends on, steps of the same depth in the plan's order", () => {
    const order = dependencyOrder([node("report", "draft"), node("draft", "gather"), node("route", "gather"), node("gather"), node("other")]);
    expect(keys(order)).toEqual(["gather", "other", "draft", "route", "report"]);
  });

  it("keeps the plan's order where nothing depends on anything, and ignores dependencies outside the siblings", () => {
    expect(keys(dependencyOrder([node("emails[0].b", "list"), node("emails[0].a", "list")]))).toEqual(["emails[0].b", "emails[0].a"]);
  });

  it("orders by the longest chain, so a step waiting on a late step comes after it", () => {
    expect(keys(dependencyOrder([node("d", "a", "c"), node("a"), node("c", "b"), node("b", "a")]))).toEqual(["a", "b", "c", "d"]);
  });
});
