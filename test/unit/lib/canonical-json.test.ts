import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../worker/lib/canonical-json";

describe("canonicalJson", () => {
  it("writes the same JSON the same way whatever its spacing and key order, nested objects included", () => {
    const a = canonicalJson('{"title":"t","agent":"writer","inputs":{"b":1,"a":[{"y":2,"x":1}]}}');
    const b = canonicalJson('{ "agent": "writer",\n  "inputs": { "a": [ { "x": 1, "y": 2 } ], "b": 1 }, "title": "t" }');
    expect(a).toBe(b);
    expect(a).toBe('{"agent":"writer","inputs":{"a":[{"x":1,"y":2}],"b":1},"title":"t"}');
  });

  it("keeps what differs: values, array order, and text that is not JSON", () => {
    expect(canonicalJson('{"a":[1,2]}')).not.toBe(canonicalJson('{"a":[2,1]}'));
    expect(canonicalJson('{"a":"1"}')).not.toBe(canonicalJson('{"a":1}'));
    expect(canonicalJson("not json {")).toBe("not json {");
    expect(canonicalJson("")).toBe("");
  });
});
