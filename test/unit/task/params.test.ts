import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Param, paramSchema } from "../../../worker/task/plan-schema";
import { MAX_PARAM_VALUE_CHARS, resolveInputs } from "../../../worker/task/params";

const p = (name: string, extra: Partial<Param> = {}): Param => ({ name, description: "", required: false, ...extra });

describe("resolveInputs", () => {
  it("passes strings through and applies defaults", () => {
    const r = resolveInputs([p("a"), p("b", { default: "B" }), p("c", { required: true })], { a: "x", c: "y" });
    expect(r).toEqual({ ok: true, values: { a: "x", b: "B", c: "y" } });
  });

  it("an input overrides the default", () => {
    expect(resolveInputs([p("b", { default: "B" })], { b: "given" })).toEqual({ ok: true, values: { b: "given" } });
  });

  it("an optional param with no value nor default is the empty string", () => {
    expect(resolveInputs([p("a")], {})).toEqual({ ok: true, values: { a: "" } });
  });

  it("names a missing required param", () => {
    const r = resolveInputs([p("a", { required: true }), p("b", { required: true })], { b: "ok" });
    expect(r).toEqual({ ok: false, issues: [{ param: "a", message: "is required" }] });
  });

  it("treats an empty string or null as missing for a required param", () => {
    const r = resolveInputs([p("a", { required: true }), p("b", { required: true })], { a: "", b: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.param)).toEqual(["a", "b"]);
  });

  it("a required param with a default is satisfied by it", () => {
    expect(resolveInputs([p("a", { required: true, default: "d" })], {})).toEqual({ ok: true, values: { a: "d" } });
  });

  it("a blank value (spaces, a newline) is no value for a required param: its default applies, else it is missing", () => {
    const r = resolveInputs([p("a", { required: true }), p("b", { required: true, default: "d" }), p("c", { required: true, default: "e" })], { a: "  \n", b: " ", c: "" });
    expect(r).toEqual({ ok: false, issues: [{ param: "a", message: "is required" }] });
    expect(resolveInputs([p("b", { required: true, default: "d" }), p("c", { required: true, default: "e" })], { b: " ", c: "" })).toEqual({ ok: true, values: { b: "d", c: "e" } });
    // an optional param takes what it is given, blank included
    expect(resolveInputs([p("o", { default: "d" })], { o: " " })).toEqual({ ok: true, values: { o: " " } });
  });

  it("null falls back to the default", () => {
    expect(resolveInputs([p("a", { default: "d" })], { a: null })).toEqual({ ok: true, values: { a: "d" } });
  });

  it("refuses unknown inputs, naming them and the declared params", () => {
    const r = resolveInputs([p("topic")], { topc: "x", topic: "y" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0].param).toBe("topc");
      expect(r.issues[0].message).toContain("topic");
    }
    const none = resolveInputs([], { x: 1 });
    expect(none.ok === false && none.issues[0].message).toContain("declares none");
  });

  it("stringifies scalars and JSON-encodes objects and arrays", () => {
    const params = ["n", "f", "t", "big", "obj", "arr"].map((n) => p(n));
    const r = resolveInputs(params, { n: 42, f: 1.5, t: false, big: 10n, obj: { a: [1, "x"] }, arr: [1, 2] });
    expect(r).toEqual({ ok: true, values: { n: "42", f: "1.5", t: "false", big: "10", obj: '{"a":[1,"x"]}', arr: "[1,2]" } });
  });

  it("refuses non-finite numbers, functions and unserializable objects", () => {
    const r = resolveInputs([p("a"), p("b"), p("c")], { a: Number.NaN, b: () => 1, c: { x: 1n } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.param)).toEqual(["a", "b", "c"]);
  });

  it("refuses values longer than the limit", () => {
    const r = resolveInputs([p("a")], { a: "x".repeat(MAX_PARAM_VALUE_CHARS + 1) });
    expect(r.ok).toBe(false);
  });

  it("is not fooled by prototype keys", () => {
    const inputs = JSON.parse('{"__proto__": "x"}') as Record<string, unknown>;
    const r = resolveInputs([p("a")], inputs);
    expect(r.ok === false && r.issues[0].param).toBe("__proto__");
    expect(resolveInputs([p("toString")], {})).toEqual({ ok: true, values: { toString: "" } });
    const c = resolveInputs([p("constructor")], { constructor: "v" });
    expect(c.ok && Object.hasOwn(c.values, "constructor") && c.values.constructor).toBe("v");
  });

  it("an enum param takes only one of its values, named in the refusal; left empty, an optional one stays empty", () => {
    const params = [p("tone", { enum: ["formal", "casual"], default: "formal" }), p("n", { enum: ["1", "2"] }), p("opt", { enum: ["x"] })];
    expect(resolveInputs(params, { n: 2 })).toEqual({ ok: true, values: { tone: "formal", n: "2", opt: "" } });
    const r = resolveInputs(params, { tone: "Formal", n: "3" });
    expect(r).toEqual({
      ok: false,
      issues: [
        { param: "tone", message: 'must be one of "formal", "casual"; got "Formal"' },
        { param: "n", message: 'must be one of "1", "2"; got "3"' },
      ],
    });
    // a webhook's saved inputs are partial, but what they do give must still be one of the values
    expect(resolveInputs([p("tone", { required: true, enum: ["a"] })], { tone: "b" }, { partial: true }).ok).toBe(false);
  });

  it("every declared param gets a value when resolution succeeds (property)", () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), { maxLength: 6 });
    fc.assert(
      fc.property(names, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.array(fc.jsonValue(), { minLength: 6, maxLength: 6 }), (ns, req, vals) => {
        const params = ns.map((n, i) => p(n, { required: req[i] }));
        const inputs = Object.fromEntries(ns.map((n, i) => [n, vals[i]]));
        const r = resolveInputs(params, inputs);
        if (r.ok) {
          expect(Object.keys(r.values).sort()).toEqual([...ns].sort());
          for (const v of Object.values(r.values)) expect(typeof v).toBe("string");
        } else {
          for (const i of r.issues) expect(ns).toContain(i.param);
          // only required params with an empty/absent value can fail here
          for (const i of r.issues) expect(i.message).toBe("is required");
        }
      }),
    );
  });
});

describe("paramSchema: enum", () => {
  const issues = (raw: unknown) => {
    const r = paramSchema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("takes a non-empty list of distinct strings, and a default among them", () => {
    expect(issues({ name: "tone", enum: ["formal", "casual"], default: "casual", required: true })).toEqual([]);
  });

  it("refuses an empty list, a repeated value, a value that is not a string and a default outside the list, naming each", () => {
    expect(issues({ name: "a", enum: [] })).toHaveLength(1);
    expect(issues({ name: "a", enum: ["x", "y", "x"] })).toEqual(['enum.2: "x" is listed twice']);
    expect(issues({ name: "a", enum: ["x", 2] })[0]).toMatch(/^enum\.1: /);
    expect(issues({ name: "a", enum: [""] })[0]).toMatch(/^enum\.0: /);
    expect(issues({ name: "a", enum: ["x", "y"], default: "z" })).toEqual(['default: "z" is not one of the enum\'s values "x", "y"']);
  });
});
