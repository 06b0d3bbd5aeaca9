/**
 * Pretty-prints JSON exactly like JSON.stringify(v, null, 2) while recording the line of every path,
 * so a validation error at `steps.2.depends_on.0` can be shown beside the line that holds it.
 */
export function prettyWithLines(value: unknown): { text: string; lines: Map<string, number> } {
  const lines = new Map<string, number>();
  let line = 1;
  const out: string[] = [];
  const write = (s: string) => {
    out.push(s);
    for (const ch of s) if (ch === "\n") line++;
  };
  const visit = (v: unknown, path: string, indent: string) => {
    lines.set(path, line);
    if (Array.isArray(v)) {
      if (v.length === 0) return write("[]");
      write("[\n");
      v.forEach((item, i) => {
        write(indent + "  ");
        visit(item, path ? `${path}.${i}` : String(i), indent + "  ");
        write(i < v.length - 1 ? ",\n" : "\n");
      });
      write(indent + "]");
    } else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return write("{}");
      write("{\n");
      entries.forEach(([k, x], i) => {
        write(`${indent}  ${JSON.stringify(k)}: `);
        visit(x, path ? `${path}.${k}` : k, indent + "  ");
        write(i < entries.length - 1 ? ",\n" : "\n");
      });
      write(indent + "}");
    } else write(JSON.stringify(v) ?? "null");
  };
  visit(value, "", "");
  return { text: out.join(""), lines };
}

/** "steps[2].depends_on[0]" or "/steps/2/depends_on/0" → "steps.2.depends_on.0" */
export function normalizePath(p: string): string {
  return p
    .replace(/^\$\.?/, "")
    .replace(/\[(\d+)\]/g, ".$1")
    .replace(/\[["']?([^\]"']+)["']?\]/g, ".$1")
    .replace(/\//g, ".")
    .replace(/^\.+|\.+$/g, "")
    .replace(/\.{2,}/g, ".");
}

/** Path of the step with this id, searching nested loop bodies and branch cases. */
export function findStepPath(def: unknown, id: string): string | null {
  const search = (steps: unknown, base: string): string | null => {
    if (!Array.isArray(steps)) return null;
    for (let i = 0; i < steps.length; i++) {
      const s: unknown = steps[i];
      if (typeof s !== "object" || s === null) continue;
      const p = `${base}.${i}`;
      const rec = s as Record<string, unknown>;
      if (rec.id === id) return p;
      const inner = search(rec.body, `${p}.body`) ?? search(rec.default, `${p}.default`);
      if (inner) return inner;
      if (rec.cases && typeof rec.cases === "object")
        for (const [k, v] of Object.entries(rec.cases as Record<string, unknown>)) {
          const r = search(v, `${p}.cases.${k}`);
          if (r) return r;
        }
    }
    return null;
  };
  return typeof def === "object" && def !== null ? search((def as { steps?: unknown }).steps, "steps") : null;
}

/** The line an issue points at: the full path, else the path under its step, else the nearest known parent. */
export function lineFor(lines: Map<string, number>, def: unknown, issue: { step?: string | null; path: string }): number {
  const path = normalizePath(issue.path ?? "");
  const candidates: string[] = [path];
  if (issue.step) {
    const sp = findStepPath(def, issue.step);
    if (sp) candidates.push(path ? `${sp}.${path}` : sp);
  }
  for (const c of candidates) {
    let p = c;
    while (true) {
      const l = lines.get(p);
      if (l !== undefined && (p !== "" || c === "")) return l;
      if (!p.includes(".")) break;
      p = p.slice(0, p.lastIndexOf("."));
    }
    const l = lines.get(p);
    if (l !== undefined && p) return l;
  }
  return 1;
}

/** Line of a JSON.parse error, from "at position N" or "line N column M" in the engine's message. */
export function parseErrorLine(text: string, message: string): number | null {
  const lc = /line (\d+)/i.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /position (\d+)/i.exec(message);
  if (pos) return text.slice(0, Number(pos[1])).split("\n").length;
  return null;
}
