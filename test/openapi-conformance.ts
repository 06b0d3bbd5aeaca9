/**
 * Checks an answer against what the served OpenAPI document declares for its operation and status: the
 * JSON Schema subset the document uses, with an object that lists its properties read as closed, so a field the
 * API sends but does not document is a problem as much as a documented one it leaves out.
 */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
};
type Media = { schema?: Schema };
type Response = { content?: Record<string, Media>; headers?: Record<string, { schema?: Schema }> };
type Operation = { responses: Record<string, Response>; servers?: { url: string }[]; requestBody?: { content: Record<string, Media> } };
export type OpenApiDoc = { servers: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const typeOf = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;

const typeFits = (want: string, got: string) => want === got || (want === "number" && got === "integer");

export function validate(doc: OpenApiDoc, schema: Schema, value: unknown, path = "$"): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = doc.components.schemas[name];
    if (!target) return [`${path}: unknown $ref ${schema.$ref}`];
    return validate(doc, target, value, path);
  }
  if (schema.allOf) {
    const { allOf, ...rest } = schema;
    return validate(doc, allOf.map((s) => resolve(doc, s)).reduce(merge, rest), value, path);
  }
  for (const alts of [schema.anyOf, schema.oneOf]) {
    if (!alts) continue;
    const tries = alts.map((s) => validate(doc, s, value, path));
    if (!tries.some((p) => p.length === 0)) return [`${path}: matches none of its ${alts.length} alternatives (${tries.map((p) => p[0]).join(" | ")})`];
  }
  const got = typeOf(value);
  if (schema.type !== undefined) {
    const wants = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!wants.some((w) => typeFits(w, got))) return [`${path}: ${JSON.stringify(value)?.slice(0, 60)} is ${got}, documented ${wants.join("|")}`];
  }
  if (schema.const !== undefined && schema.const !== value) return [`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`];
  if (schema.enum && !schema.enum.some((e) => e === value)) return [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const problems: string[] = [];
  if (typeof value === "string") {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) problems.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) problems.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) problems.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: ${value} below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: ${value} above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => problems.push(...validate(doc, schema.items!, v, `${path}[${i}]`)));
  }
  if (got === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) problems.push(`${path}.${key}: documented as required, missing`);
    for (const [key, v] of Object.entries(obj)) {
      const declared = schema.properties?.[key];
      if (declared) problems.push(...validate(doc, declared, v, `${path}.${key}`));
      else if (typeof schema.additionalProperties === "object") problems.push(...validate(doc, schema.additionalProperties, v, `${path}.${key}`));
      else if (schema.additionalProperties === false || (schema.properties && schema.additionalProperties === undefined))
        problems.push(`${path}.${key}: sent but not documented`);
    }
  }
  return problems;
}

const resolve = (doc: OpenApiDoc, s: Schema): Schema => (s.$ref ? resolve(doc, doc.components.schemas[s.$ref.replace("#/components/schemas/", "")] ?? {}) : s);

/** allOf parts read as one object, so each part's properties are documented for the others. */
const merge = (a: Schema, b: Schema): Schema => ({
  ...a,
  ...b,
  properties: a.properties || b.properties ? { ...a.properties, ...b.properties } : undefined,
  required: [...(a.required ?? []), ...(b.required ?? [])],
});

/** The documented operation a concrete `/api/v1/...` (or `/hooks/...`) path and method stand for. */
export function operationFor(doc: OpenApiDoc, method: string, url: string): { template: string; op: Operation } | undefined {
  const path = new URL(url, "http://x").pathname;
  const base = doc.servers[0].url;
  let best: { template: string; op: Operation; literal: number } | undefined;
  for (const [template, item] of Object.entries(doc.paths)) {
    const op = item[method.toLowerCase()];
    if (!op) continue;
    const prefix = op.servers?.[0]?.url === "/" ? "" : base;
    const re = new RegExp(`^${prefix}${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`);
    if (!re.test(path)) continue;
    const literal = template.replace(/\{\w+\}/g, "").length;
    if (!best || literal > best.literal) best = { template, op, literal };
  }
  return best && { template: best.template, op: best.op };
}

/** Everything wrong with one answer, judged by the document: its status, content type, headers and JSON body. */
export function conformance(
  doc: OpenApiDoc,
  req: { method: string; url: string },
  res: { status: number; headers: Headers; body: unknown },
): string[] {
  const found = operationFor(doc, req.method, req.url);
  const where = `${req.method} ${new URL(req.url, "http://x").pathname}`;
  if (!found) return [`${where}: not documented`];
  const declared = found.op.responses[String(res.status)];
  if (!declared) return [`${where}: answered ${res.status}, documented ${Object.keys(found.op.responses).join(", ")}`];
  const problems: string[] = [];
  for (const [name, header] of Object.entries(declared.headers ?? {})) {
    const value = res.headers.get(name);
    if (value === null) problems.push(`${where} ${res.status}: header ${name} documented, not sent`);
    else if (header.schema?.type === "integer" && !/^\d+$/.test(value)) problems.push(`${where} ${res.status}: header ${name} is ${JSON.stringify(value)}, documented an integer`);
  }
  if (!declared.content) {
    if (res.body !== undefined && res.body !== null && res.body !== "") problems.push(`${where} ${res.status}: a body sent where none is documented`);
    return problems;
  }
  const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  const media = declared.content[type];
  if (!media) return [...problems, `${where} ${res.status}: content type ${type || "(none)"}, documented ${Object.keys(declared.content).join(", ")}`];
  if (type === "application/json" && media.schema) problems.push(...validate(doc, media.schema, res.body).map((p) => `${where} ${res.status} ${p}`));
  return problems;
}
