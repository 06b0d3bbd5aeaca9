import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderTemplate, TemplateTooLarge, templateRefs } from "../../../worker/task/template";

const vars = { params: { topic: "cats", n: "3" }, steps: { research: "notes", "draft-1": "text", skipped: undefined } };

describe("renderTemplate", () => {
  it("substitutes params, step outputs, item and index", () => {
    const text = "About {{params.topic}} ({{params.n}}): {{steps.research.output}} / {{steps.draft-1.output}} #{{index}} {{item}}";
    expect(renderTemplate(text, { ...vars, item: "a", index: 2 })).toBe("About cats (3): notes / text #2 a");
  });

  it("tolerates whitespace inside the braces", () => {
    expect(renderTemplate("{{ params.topic }}|{{\tsteps.research.output\n}}|{{  item}}", { ...vars, item: "x" })).toBe("cats|notes|x");
  });

  it("renders a step that has no output (skipped, not run) as the empty string", () => {
    expect(renderTemplate("[{{steps.skipped.output}}]", vars)).toBe("[]");
  });

  it("leaves a reference to nothing the task has (an undeclared param, an unknown step, an item outside a loop) as written", () => {
    // a single-agent task's description is its message, never checked as a plan's templates are
    const text = "[{{params.nope}}][{{steps.gone.output}}][{{ item }}][{{index}}]";
    expect(renderTemplate(text, vars)).toBe(text);
  });

  it("renders index 0", () => {
    expect(renderTemplate("{{index}}", { ...vars, index: 0 })).toBe("0");
  });

  it("leaves braces that are not references alone", () => {
    const text = '{"a": {"b": 1}} {{ foo }} {{paramsx}} {{items}} {{steps.a.outputs}} {{params.}} {x}';
    expect(renderTemplate(text, vars)).toBe(text);
  });

  it("handles braces around a reference", () => {
    expect(renderTemplate("{{{params.topic}}}", vars)).toBe("{cats}");
  });

  it("does not look up inherited properties", () => {
    expect(renderTemplate("[{{params.constructor}}][{{steps.toString.output}}]", vars)).toBe("[{{params.constructor}}][{{steps.toString.output}}]");
  });

  it("never expands a substituted value again (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const out = renderTemplate("{{params.a}}|{{params.b}}", { params: { a, b }, steps: {} });
        expect(out).toBe(`${a}|${b}`);
      }),
    );
  });

  it("is the identity on text without '{{' (property)", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("{{")),
        (s) => {
          expect(renderTemplate(s, vars)).toBe(s);
          expect(templateRefs(s)).toEqual([]);
        },
      ),
    );
  });
});

describe("renderTemplate's bound", () => {
  const big = { params: { x: "y".repeat(100_000), e: "é".repeat(400) }, steps: {} };

  it("renders up to its bound in UTF-8 bytes, the text around the references included", () => {
    expect(renderTemplate("{{params.x}}".repeat(10), big, 1_000_000)).toHaveLength(1_000_000);
    expect(() => renderTemplate(`!${"{{params.x}}".repeat(10)}`, big, 1_000_000)).toThrow(TemplateTooLarge);
    // 400 characters, 800 bytes
    expect(renderTemplate("{{params.e}}", big, 800)).toHaveLength(400);
    expect(() => renderTemplate("{{params.e}}", big, 799)).toThrow("more than 799 bytes");
    expect(() => renderTemplate("x".repeat(11), { params: {}, steps: {} }, 10)).toThrow(TemplateTooLarge);
  });

  it("gives up as soon as it passes the bound, never building what thousands of references would make", () => {
    const started = Date.now();
    // 8,000 references to 100,000 characters would be 800 MB
    expect(() => renderTemplate("{{params.x}}".repeat(8_000), big, 1_000_000)).toThrow("are more than 1,000,000 bytes");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("templateRefs", () => {
  it("lists references with their positions", () => {
    const text = "x {{params.a}} {{ steps.s1.output }} {{item}} {{index}}";
    const refs = templateRefs(text);
    expect(refs.map((r) => r.kind)).toEqual(["param", "step", "item", "index"]);
    expect(refs[0]).toMatchObject({ kind: "param", name: "a" });
    expect(refs[1]).toMatchObject({ kind: "step", id: "s1" });
    for (const r of refs) expect(text.slice(r.start, r.end)).toMatch(/^\{\{.*\}\}$/);
  });

  it("flags things that look like references but are not", () => {
    const refs = templateRefs("{{steps.a}} {{steps.a.outptu}} {{params.a.b}} {{item.name}} {{ index + 1 }}");
    expect(refs.map((r) => r.kind)).toEqual(["invalid", "invalid", "invalid", "invalid", "invalid"]);
    expect(refs[0]).toMatchObject({ text: "{{steps.a}}" });
  });

  it("ignores unrelated double braces", () => {
    expect(templateRefs("{{ user }} {{paramsx}} {{stepsy}}")).toEqual([]);
  });

  it("round-trips: rendering a generated reference yields its value (property)", () => {
    const id = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,10}$/);
    const ws = fc.constantFrom("", " ", "  ", "\t");
    fc.assert(
      fc.property(id, fc.string(), ws, ws, (name, value, l, r) => {
        const pid = name.replace(/-/g, "_");
        expect(renderTemplate(`{{${l}steps.${name}.output${r}}}`, { params: {}, steps: { [name]: value } })).toBe(value);
        expect(renderTemplate(`{{${l}params.${pid}${r}}}`, { params: { [pid]: value }, steps: {} })).toBe(value);
      }),
    );
  });
});
