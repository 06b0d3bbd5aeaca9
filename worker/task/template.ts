/**
 * Step templates: `{{params.x}}`, `{{steps.<id>.output}}`, `{{item}}`, `{{index}}`,
 * with optional whitespace inside the braces.
 *
 * Rendering is one pass: a substituted value is never expanded again, so an
 * output that happens to contain `{{…}}` cannot inject a reference.
 * A step the task knows that has no output (skipped, not run) renders as the empty string.
 * A reference to nothing the task has (an undeclared param, an unknown step, `{{item}}`
 * outside a loop) is left as written: saving a plan refuses them (validate.ts), so they come
 * only from a single-agent task's description, which is its message as the person wrote it.
 * Braces that are not a reference (`{{ foo }}`, `{ "json": 1 }`) are left as they are.
 */

export type TemplateRef =
  | { kind: "param"; name: string; start: number; end: number }
  | { kind: "step"; id: string; start: number; end: number }
  | { kind: "item"; start: number; end: number }
  | { kind: "index"; start: number; end: number }
  /**
   * Starts like a reference, in any case, singular or plural (`{{params.`, `{{param.`, `{{Steps.`, `{{ITEM`, `{{indexes`),
   * but is not one: a slip a save refuses, which would otherwise reach the model as written.
   */
  | { kind: "invalid"; text: string; start: number; end: number };

export interface TemplateVars {
  params: Record<string, string>;
  steps: Record<string, string | undefined>;
  item?: string;
  index?: number;
}

const REF =
  /\{\{\s*(?:params\.([A-Za-z_][A-Za-z0-9_]*)|steps\.([A-Za-z_][A-Za-z0-9_-]*)\.output|(item)|(index))\s*\}\}/y;
// a root word followed by anything but a letter or digit: `{{item_name}}` and `{{item-name}}` are slips alike, `{{stepsister}}` no reference
const CANDIDATE = /\{\{\s*(?:params?|steps?|items?|index(?:es)?)(?![A-Za-z0-9])[^{}]*\}\}/gi;

export function templateRefs(text: string): TemplateRef[] {
  const refs: TemplateRef[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const start = m.index;
    const end = start + m[0].length;
    REF.lastIndex = start;
    const r = REF.exec(text);
    if (!r || REF.lastIndex !== end) refs.push({ kind: "invalid", text: m[0], start, end });
    else if (r[1] !== undefined) refs.push({ kind: "param", name: r[1], start, end });
    else if (r[2] !== undefined) refs.push({ kind: "step", id: r[2], start, end });
    else if (r[3] !== undefined) refs.push({ kind: "item", start, end });
    else refs.push({ kind: "index", start, end });
  }
  return refs;
}

/** Thrown by `renderTemplate` once what it makes passes its `maxBytes`, before the rest is made. */
export class TemplateTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`its instructions, rendered with their params and upstream outputs, are more than ${maxBytes.toLocaleString("en-US")} bytes, more than a step may send`);
  }
}

const utf8 = new TextEncoder();

/**
 * `maxBytes` (UTF-8) bounds what a few references to a large output or param could multiply: the text is given up on
 * as soon as its UTF-16 length (never more than its UTF-8 size) passes the bound, so it is never built whole.
 */
export function renderTemplate(text: string, vars: TemplateVars, maxBytes = Number.POSITIVE_INFINITY): string {
  const refs = templateRefs(text);
  let out = "";
  let at = 0;
  for (const ref of refs) {
    out += text.slice(at, ref.start) + valueOf(ref, vars, text);
    at = ref.end;
    if (out.length > maxBytes) throw new TemplateTooLarge(maxBytes);
  }
  out += text.slice(at);
  if (out.length > maxBytes || (maxBytes < Number.POSITIVE_INFINITY && out.length * 3 > maxBytes && utf8.encode(out).byteLength > maxBytes)) {
    throw new TemplateTooLarge(maxBytes);
  }
  return out;
}

function valueOf(ref: TemplateRef, vars: TemplateVars, text: string): string {
  const asWritten = text.slice(ref.start, ref.end);
  switch (ref.kind) {
    case "param":
      return Object.hasOwn(vars.params, ref.name) ? vars.params[ref.name] : asWritten;
    case "step":
      return Object.hasOwn(vars.steps, ref.id) ? (vars.steps[ref.id] ?? "") : asWritten;
    case "item":
      return vars.item ?? asWritten;
    case "index":
      return vars.index === undefined ? asWritten : String(vars.index);
    case "invalid":
      return asWritten;
  }
}
