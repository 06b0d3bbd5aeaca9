import type { OpenApiDocument, Operation } from "./openapi";

type Schema = NonNullable<NonNullable<OpenApiDocument["components"]>["schemas"]>[string];
type Param = Exclude<NonNullable<Operation["parameters"]>[number], { $ref: string }>;
type Content = Record<string, { schema?: Schema }>;
interface Response {
  description?: string;
  content?: Content;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** Backticks in summaries are code; everything else is text. */
const prose = (s: string | undefined) => esc(s ?? "").replace(/`([^`]+)`/g, "<code>$1</code>");

const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);
const anchor = (s: string) => s.replace(/[^\w-]+/g, "-");

function typeOf(s: Schema | undefined): string {
  if (!s) return "any";
  if ("$ref" in s && s.$ref) return `<a href="#schema-${anchor(refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
  if (!("type" in s) && !("anyOf" in s) && !("oneOf" in s) && !("enum" in s) && !("const" in s) && !("properties" in s)) return "any";
  const o = s as Exclude<Schema, { $ref: string }>;
  if (o.const !== undefined) return `<code>${esc(JSON.stringify(o.const))}</code>`;
  if (o.enum) return o.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(" | ");
  const union = o.anyOf ?? o.oneOf;
  if (union) return union.map(typeOf).join(" | ");
  const types = Array.isArray(o.type) ? o.type : o.type ? [o.type] : ["object"];
  return types
    .map((t) => {
      if (t === "array") return `${typeOf(o.items)}[]`;
      if (t === "object" && !o.properties && o.additionalProperties && typeof o.additionalProperties === "object") return `{[key]: ${typeOf(o.additionalProperties)}}`;
      return esc(t);
    })
    .join(" | ");
}

function constraints(s: Schema): string {
  if ("$ref" in s && s.$ref) return "";
  const o = s as Exclude<Schema, { $ref: string }>;
  const bits: string[] = [];
  if (o.minLength !== undefined || o.maxLength !== undefined) bits.push(`length ${o.minLength ?? 0}–${o.maxLength ?? "∞"}`);
  if (o.minimum !== undefined || o.maximum !== undefined) bits.push(`${o.minimum ?? "−∞"} ≤ n ≤ ${o.maximum ?? "∞"}`);
  if (o.maxItems !== undefined) bits.push(`≤ ${o.maxItems} items`);
  if (o.pattern) bits.push(`pattern <code>${esc(o.pattern)}</code>`);
  if (o.default !== undefined) bits.push(`default <code>${esc(JSON.stringify(o.default))}</code>`);
  if (o.description) bits.push(prose(o.description));
  return bits.join("; ");
}

/** Object schemas as a field table, nested objects inline (bounded, so a recursive schema cannot loop). */
function schemaBlock(s: Schema | undefined, depth = 0): string {
  if (!s || ("$ref" in s && s.$ref) || depth > 3) return `<p class="type">${typeOf(s)}</p>`;
  const o = s as Exclude<Schema, { $ref: string }>;
  const variants = o.anyOf ?? o.oneOf;
  if (variants) return `<div class="variants">${variants.map((v, i) => `<p class="note">${i === 0 ? "One of:" : "or:"}</p>${schemaBlock(v, depth + 1)}`).join("")}</div>`;
  if (!o.properties) return `<p class="type">${typeOf(s)}</p>`;
  const required = new Set(o.required ?? []);
  const rows = Object.entries(o.properties).map(([name, p]) => {
    const nested = !("$ref" in p && p.$ref) && (p as Exclude<Schema, { $ref: string }>).properties ? schemaBlock(p, depth + 1) : "";
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? "" : ' <span class="opt">optional</span>'}</td><td>${typeOf(p)}${nested}</td><td>${constraints(p)}</td></tr>`;
  });
  return `<table class="fields"><tbody>${rows.join("")}</tbody></table>`;
}

function operationBlock(path: string, method: string, op: Operation, base: string): string {
  const server = op.servers?.[0]?.url ?? base;
  const full = (server === "/" ? "" : server) + path;
  const params = (op.parameters ?? []).filter((p): p is Param => !("$ref" in p));
  const paramRows = params.map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? "" : ' <span class="opt">optional</span>'}</td><td>${esc(p.in)}</td><td>${typeOf(p.schema)}</td><td>${p.schema ? constraints(p.schema) : ""}${prose(p.description)}</td></tr>`);
  const body = op.requestBody && !("$ref" in op.requestBody) ? op.requestBody.content["application/json"]?.schema : undefined;
  const responses = Object.entries((op.responses ?? {}) as Record<string, Response>).map(([status, r]) => {
    const content = r.content ? Object.entries(r.content)[0] : undefined;
    const type = content ? `${content[0] === "application/json" ? "" : `<code>${esc(content[0])}</code> `}${content[0] === "application/json" ? typeOf(content[1].schema) : ""}` : "";
    return `<tr><td class="status s${esc(status[0])}">${esc(status)}</td><td>${prose(r.description)}</td><td>${type}</td></tr>`;
  });
  const auth = op.security && op.security.length === 0 ? '<span class="public">no auth</span>' : '<span class="auth">bearer token or session</span>';
  return `<section class="op" id="${anchor(`op-${method}-${path}`)}">
<h3><span class="method m-${method}">${method.toUpperCase()}</span> <code>${esc(full)}</code> ${auth}</h3>
<p>${prose(op.summary)}</p>
${paramRows.length ? `<h4>Parameters</h4><table class="fields"><tbody>${paramRows.join("")}</tbody></table>` : ""}
${body ? `<h4>Request body <span class="note">application/json</span></h4>${schemaBlock(body)}` : ""}
<h4>Responses</h4><table class="responses"><tbody>${responses.join("")}</tbody></table>
</section>`;
}

/** Server-rendered, script-free HTML: the page is readable under a CSP that allows only our own stylesheet. */
export function renderReference(doc: OpenApiDocument): string {
  const base = doc.servers?.[0]?.url ?? "";
  const byTag = new Map<string, string[]>();
  const nav = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "other";
      (byTag.get(tag) ?? byTag.set(tag, []).get(tag)!).push(operationBlock(path, method, op, base));
      (nav.get(tag) ?? nav.set(tag, []).get(tag)!).push(`<li><a href="#${anchor(`op-${method}-${path}`)}"><span class="method m-${method}">${method.toUpperCase()}</span> ${esc(path)}</a></li>`);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(([name, s]) => `<section class="schema" id="schema-${anchor(name)}"><h3>${esc(name)}</h3>${schemaBlock(s)}</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} reference</title><link rel="stylesheet" href="${esc(base)}/reference.css"></head>
<body><nav><h1>${esc(doc.info.title)}</h1><p><a href="${esc(base)}/openapi.json">openapi.json</a> · OpenAPI ${esc(doc.openapi)}</p>
${[...nav].map(([tag, items]) => `<h2><a href="#tag-${anchor(tag)}">${esc(tag)}</a></h2><ul>${items.join("")}</ul>`).join("")}
<h2><a href="#schemas">schemas</a></h2></nav>
<main><header><h1>${esc(doc.info.title)} <span class="note">v${esc(doc.info.version)}</span></h1><p>${prose(doc.info.description)}</p>
<p>Base URL <code>${esc(base)}</code>. Send <code>Authorization: Bearer &lt;token&gt;</code> unless an operation says <span class="public">no auth</span>.</p></header>
${[...byTag].map(([tag, ops]) => `<h2 id="tag-${anchor(tag)}">${esc(tag)}</h2>${ops.join("")}`).join("")}
<h2 id="schemas">Schemas</h2>${schemas.join("")}</main></body></html>`;
}

export const REFERENCE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --panel: #f6f8fa; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --bg: #0d1117; --panel: #151b23; --accent: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; display: grid; grid-template-columns: 18rem 1fr; font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
nav { position: sticky; top: 0; height: 100vh; overflow: auto; padding: 1rem; border-right: 1px solid var(--line); background: var(--panel); }
nav h1 { font-size: 1.1rem; margin: 0 0 .25rem; } nav h2 { font-size: .8rem; text-transform: uppercase; color: var(--muted); margin: 1rem 0 .25rem; }
nav ul { list-style: none; margin: 0; padding: 0; } nav li a { display: block; padding: .1rem 0; font-size: .8rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
main { padding: 1rem 2rem 4rem; max-width: 70rem; } main > h2 { border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2.5rem; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; }
.op, .schema { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
.op h3, .schema h3 { margin: 0 0 .25rem; font-size: 1rem; } .op h4 { margin: .75rem 0 .25rem; font-size: .85rem; color: var(--muted); }
.method { display: inline-block; min-width: 3.6rem; text-align: center; border-radius: 4px; padding: 0 .3rem; font: 600 11px ui-monospace, monospace; color: #fff; background: #59636e; }
.m-get { background: #1f6feb; } .m-post { background: #1a7f37; } .m-put { background: #9a6700; } .m-delete { background: #cf222e; } .m-patch { background: #8250df; }
.public, .auth, .opt, .note { font-size: .75rem; color: var(--muted); font-weight: normal; } .public { color: #1a7f37; }
table { border-collapse: collapse; width: 100%; } td { border-top: 1px solid var(--line); padding: .3rem .5rem; vertical-align: top; }
td:first-child { white-space: nowrap; width: 1%; } .fields .fields { margin-top: .25rem; font-size: .9em; }
.status { font: 600 12px ui-monospace, monospace; } .s2 { color: #1a7f37; } .s4 { color: #9a6700; } .s5 { color: #cf222e; }
.type { margin: .25rem 0; }
@media (max-width: 50rem) { body { display: block; } nav { position: static; height: auto; } }
`;
