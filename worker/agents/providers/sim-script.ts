import { StepError } from "../types";

export type SimAction =
  | { kind: "ask"; question: string }
  | { kind: "tool"; name: string; args: Record<string, unknown> }
  | { kind: "search"; query: string };

export interface SimScript {
  /** the `@output` lines joined by newlines, if any */
  output?: string;
  /** `@ask`, `@tool` and `@search`, one turn each, in order */
  actions: SimAction[];
  delayMs: number;
  /** `at`: the turn it fails before, the number of `@ask`, `@tool` and `@search` lines above it (0: the first) */
  fail?: ({ transient: true; runs: number } | { transient: false }) & { at: number };
  /** the instructions without directive lines, whitespace collapsed */
  text: string;
}

const bad = (line: string, why: string) => new StepError(`sim: ${why}: ${line}`, false);

/** Reads the sim directives: lines whose first non-blank character is `@`. */
export function parseSimScript(instructions: string): SimScript {
  const script: SimScript = { actions: [], delayMs: 0, text: "" };
  const outputs: string[] = [];
  const text: string[] = [];
  for (const raw of instructions.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^@(\w+)(?:\s+([\s\S]*))?$/.exec(line);
    if (!m) {
      if (line) text.push(line);
      continue;
    }
    const arg = (m[2] ?? "").trim();
    switch (m[1]) {
      case "output":
        outputs.push(arg);
        break;
      case "ask":
        if (!arg) throw bad(line, "@ask needs a question");
        script.actions.push({ kind: "ask", question: arg });
        break;
      case "search":
        if (!arg) throw bad(line, "@search needs a query");
        script.actions.push({ kind: "search", query: arg });
        break;
      case "tool":
        script.actions.push(parseTool(line, arg));
        break;
      case "delay": {
        const ms = Number(arg);
        if (!Number.isInteger(ms) || ms < 0) throw bad(line, "@delay needs a whole number of milliseconds");
        script.delayMs = ms;
        break;
      }
      case "fail":
        script.fail = { ...parseFail(line, arg), at: script.actions.length };
        break;
      default:
        text.push(line);
    }
  }
  if (outputs.length) script.output = outputs.join("\n");
  script.text = text.join(" ").replace(/\s+/g, " ");
  return script;
}

function parseTool(line: string, arg: string): SimAction {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(arg);
  if (!m) throw bad(line, "@tool needs a tool name");
  let args: unknown = {};
  if (m[2]) {
    try {
      args = JSON.parse(m[2]);
    } catch {
      throw bad(line, "@tool arguments are not valid JSON");
    }
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw bad(line, "@tool arguments must be a JSON object");
  return { kind: "tool", name: m[1], args: args as Record<string, unknown> };
}

function parseFail(line: string, arg: string): { transient: true; runs: number } | { transient: false } {
  const [kind, n] = arg.split(/\s+/);
  if (kind === "permanent") return { transient: false };
  if (kind === "transient") {
    const runs = n === undefined ? 1 : Number(n);
    if (!Number.isInteger(runs) || runs < 0) throw bad(line, "@fail transient needs a whole number of runs");
    return { transient: true, runs };
  }
  throw bad(line, "@fail is `transient <n>` or `permanent`");
}
