import { describe, expect, it } from "vitest";
import { invalidField } from "../../../web/src/lib/invalid-field";

describe("invalidField", () => {
  it("names the form's field an API error's details point at, exactly or by its parent", () => {
    expect(invalidField([{ path: "name", message: "bad" }], ["name", "model"])).toBe("name");
    expect(invalidField([{ path: "inputs.topic", message: "required" }], ["inputs.topic", "inputs"])).toBe("inputs.topic");
    expect(invalidField([{ path: "mask_patterns[2]", message: "bad" }], ["mask_patterns"])).toBe("mask_patterns");
    expect(invalidField([{ path: "inputs.region", message: "required" }], ["inputs"])).toBe("inputs");
  });

  it("takes the first detail about one of the form's fields", () => {
    expect(invalidField([{ path: "headers", message: "x" }, { path: "output", message: "y" }, { path: "input", message: "z" }], ["input", "output"])).toBe("output");
  });

  it("names the first key of an object's details that is one of the form's fields (a 422's refused value)", () => {
    expect(invalidField({ url: "http://127.0.0.1:9/x" }, ["url", "description"])).toBe("url");
    expect(invalidField({ cron: "0 0 30 2 *", timezone: "UTC" }, ["title", "timezone", "cron"])).toBe("cron");
    expect(invalidField({ plan_id: "pln_x" }, ["kind", "plan_id"])).toBe("plan_id");
  });

  it("names none when the details are about no field of the form, or are not details", () => {
    expect(invalidField([{ path: "steps[0].agent", message: "unknown" }], ["name"])).toBeNull();
    expect(invalidField([{ message: "no path" }], ["name"])).toBeNull();
    expect(invalidField({ path: "name" }, ["name"])).toBeNull();
    expect(invalidField({ agents: ["nobody"] }, ["name"])).toBeNull();
    expect(invalidField(null, ["name"])).toBeNull();
    expect(invalidField(undefined, ["name"])).toBeNull();
    expect(invalidField([null, "name"], ["name"])).toBeNull();
  });
});
