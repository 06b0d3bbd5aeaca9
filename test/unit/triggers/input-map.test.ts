import { describe, expect, it } from "vitest";
import { INPUT_PATH, mapInputs, valueAt } from "../../../worker/triggers/input-map";

const push = {
  ref: "refs/heads/main",
  repository: { full_name: "acme/api", private: true, owner: { login: "acme" } },
  commits: [{ id: "c1", message: "fix" }, { id: "c2", message: "feat" }],
  pusher: null,
};

describe("webhook input maps", () => {
  it("reads dot paths through objects and arrays", () => {
    expect(valueAt(push, "ref")).toBe("refs/heads/main");
    expect(valueAt(push, "repository.owner.login")).toBe("acme");
    expect(valueAt(push, "commits.1.id")).toBe("c2");
    expect(valueAt(push, "commits")).toEqual(push.commits);
    expect(valueAt(push, "repository.private")).toBe(true);
  });

  it("has nothing where the body has nothing", () => {
    for (const path of ["nope", "ref.length", "commits.2.id", "commits.x", "pusher.name", "repository.toString", "__proto__", "constructor.name"]) {
      expect(valueAt(push, path), path).toBeUndefined();
    }
  });

  it("fills only the params whose path the body has", () => {
    const inputs = mapInputs(push, { repo: "repository.full_name", sha: "commits.0.id", branch: "base_ref", toString: "ref" });
    expect(inputs).toEqual({ repo: "acme/api", sha: "c1", toString: "refs/heads/main" });
    expect(Object.getPrototypeOf(inputs)).toBe(Object.prototype);
  });

  it("takes dotted keys of at most 20 parts, without blanks or empty parts", () => {
    for (const ok of ["a", "repository.full_name", "commits.0.id", "x-y.$z", Array(20).fill("k").join(".")]) expect(INPUT_PATH.test(ok), ok).toBe(true);
    for (const bad of ["", ".a", "a.", "a..b", "a b", Array(21).fill("k").join("."), "x".repeat(101)]) expect(INPUT_PATH.test(bad), bad).toBe(false);
  });
});
