import { RegExpParser, visitRegExpAST } from "@eslint-community/regexpp";
import { analyse, type Report } from "scslre";
import type { TurnRecord } from "../agents/turn";

export const MASK = "[masked]";

/** Shapes of well-known credentials, masked in every organization's traces. */
export const COMMON_SECRET_PATTERNS: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  // API-made tokens are base36; the admin token `npm start` and `npm run deploy` generate is base64url
  /\bfd_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])/g,
  /\bwhsec_[A-Za-z0-9+/=]{16,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

/** Literal secrets shorter than this are not masked: they would match ordinary text. */
export const MIN_LITERAL = 8;

/** Replaces every literal secret (a string) and every match of a pattern (a RegExp) with `[masked]`. */
export function maskSecrets(text: string, patterns: readonly (string | RegExp)[]): string {
  let out = text;
  for (const p of patterns) {
    if (typeof p === "string") {
      if (p.length >= MIN_LITERAL && out.includes(p)) out = out.split(p).join(MASK);
    } else {
      out = out.replace(p.global ? p : new RegExp(p.source, p.flags + "g"), MASK);
    }
  }
  return out;
}

/** Masks a text; `patterns` are what it masks, for a stream that must know where a match could run on (live-mask.ts). */
export type Masker = ((text: string) => string) & { readonly patterns?: readonly (string | RegExp)[] };

const verdicts = new Map<string, string | null>();

/**
 * An organization's pattern is a regular expression that must compile, must not match the empty string and
 * must run in linear time: masking runs on every turn on the one thread that serves every organization, and a
 * backtracking pattern such as `(a+)+$` (or `.*secret.*`, quadratic over a long tool result) would stall it.
 */
export function checkPattern(source: string): string | null {
  let verdict = verdicts.get(source);
  if (verdict === undefined) {
    verdict = patternProblem(source);
    if (verdicts.size > 1000) verdicts.clear();
    verdicts.set(source, verdict);
  }
  return verdict;
}

function patternProblem(source: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(source, "g");
  } catch (e) {
    return e instanceof Error ? e.message : "invalid regular expression";
  }
  if (re.test("")) return "the pattern matches the empty string";
  const shape = countedShape(source);
  if (typeof shape === "string") return shape;
  // a long count costs what an endless repeat does at each start (a{1,50000}b); short ranges multiply each other's tries
  const slow =
    analyse({ source: shape.long, flags: "g" }, { maxReports: 1 }).reports[0] ??
    boundaryMove(shape.long) ??
    analyse({ source: shape.ranged, flags: "g" }, { maxReports: 20 }).reports.find((r) => r.type !== "Move");
  if (!slow) return null;
  const near = JSON.stringify(slow.character.literal.source);
  const time = slow.exponential ? "exponential" : "polynomial";
  const counted = shape.long === source ? "" : `; a count over ${SHORT_COUNT} (${shape.example}) is read as a repeat without end`;
  return slow.type === "Move"
    ? `the pattern can take ${time} time: a search for it can start at every character of a long text and run on from each (near ${near}); anchor it with a fixed prefix, or with \\b before word characters only${counted}`
    : `the pattern can take ${time} time: repeated parts of it can match the same text in many ways (near ${near}); repeat each part once`;
}

/** The most a count may be and still be taken for the bounded work it is, in a lookaround or as a search's start. */
const SHORT_COUNT = 16;

/**
 * scslre reads `+`, `*` and `{n,}`, not counts: `a{1,50000}b` runs 50,000 steps from each start, quadratic in effect,
 * and `a{1,16}a{1,16}a{1,16}b` tries 16³ splits at each. So the pattern is analysed twice over: with every count over
 * SHORT_COUNT read as open-ended (`long`), and, for repeats that trade text, with every range open-ended (`ranged`).
 * What no analysis bounds is refused outright: a back-reference, and a lookaround that repeats (it runs at every character).
 */
function countedShape(source: string): string | { long: string; ranged: string; example: string } {
  let ast;
  try {
    ast = new RegExpParser({ ecmaVersion: 2025 }).parsePattern(source, 0, source.length, { unicode: false });
  } catch (e) {
    return e instanceof Error ? e.message : "invalid regular expression";
  }
  let problem: string | null = null;
  let lookarounds = 0;
  const long: [number, number, string][] = [];
  const ranged: [number, number, string][] = [];
  let example = "";
  visitRegExpAST(ast, {
    onBackreferenceEnter: (b) => {
      problem ??= `the pattern refers back to a group (${b.raw}), which no check can bound in time; match the text itself`;
    },
    onAssertionEnter: (a) => void (a.kind === "lookahead" || a.kind === "lookbehind" ? lookarounds++ : 0),
    onAssertionLeave: (a) => void (a.kind === "lookahead" || a.kind === "lookbehind" ? lookarounds-- : 0),
    onQuantifierEnter: (q) => {
      const isRange = q.min < q.max;
      if (lookarounds && (isRange || q.max > SHORT_COUNT)) {
        problem ??= `a lookahead or lookbehind runs at every character, so it may repeat only a fixed count of at most ${SHORT_COUNT} (not ${JSON.stringify(q.raw)})`;
      }
      if (q.max === Infinity) return;
      // the quantifier's own text: after its element, before its lazy `?`
      const at: [number, number, string] = [q.element.end, q.end - (q.greedy ? 0 : 1), `{${q.min},}`];
      if (q.max > SHORT_COUNT) {
        long.push(at);
        example ||= q.raw.slice(q.element.raw.length);
      }
      if (isRange) ranged.push(at);
    },
  });
  if (problem) return problem;
  const open = (edits: [number, number, string][]) =>
    edits.sort((a, b) => b[0] - a[0]).reduce((s, [from, to, text]) => s.slice(0, from) + text + s.slice(to), source);
  return { long: open(long), ranged: open(ranged), example };
}

/**
 * scslre takes a leading `\b` to bound where a match can start; it does not when the repeated class after it
 * holds word and non-word characters alike: in `\b[\w.+-]+@…` every position of "a.a.a.…" is a boundary, and
 * the search runs on from each (quadratic: 5.7 s over 80 KB). Such a pattern is analysed without the `\b`.
 */
function boundaryMove(source: string): Report | undefined {
  const bounded = /^(?:\\[bB])+/.exec(source);
  if (!bounded) return undefined;
  const moved = analyse({ source: source.slice(bounded[0].length), flags: "g" }, { maxReports: 1 }).reports[0];
  if (moved?.type !== "Move") return undefined;
  const repeated = new RegExp(`^${moved.character.literal.source}$`, moved.character.literal.flags);
  const spans = ["a", "0", "_"].some((c) => repeated.test(c)) && [".", "-", "+", "@", " ", "/", ":", ","].some((c) => repeated.test(c));
  return spans ? moved : undefined;
}

/** The masker for one organization: the instance's secrets first (longest first), then its own patterns, then the common shapes. */
export function makeMasker(instanceSecrets: readonly (string | undefined)[], orgPatterns: readonly string[]): Masker {
  const literals = instanceSecrets.filter((k): k is string => !!k).sort((a, b) => b.length - a.length);
  const own = orgPatterns.filter((p) => checkPattern(p) === null).map((p) => new RegExp(p, "g"));
  const all: (string | RegExp)[] = [...literals, ...own, ...COMMON_SECRET_PATTERNS];
  return Object.assign((text: string) => maskSecrets(text, all), { patterns: all });
}

/** The instance's own credentials, masked as they are wherever a run could quote them (a provider echoing its key). */
export const instanceSecretsOf = (env: { OPENAI_API_KEY?: string; ANTHROPIC_API_KEY?: string; FLIGHTDECK_ADMIN_TOKEN?: string; SECRETS_KEY?: string }) => [
  env.OPENAI_API_KEY,
  env.ANTHROPIC_API_KEY,
  env.FLIGHTDECK_ADMIN_TOKEN,
  env.SECRETS_KEY,
];

/** Every string in a JSON-like value, masked, but those under the keys in `keep`; the value itself is not changed. */
export function maskDeep<T>(value: T, mask: Masker, keep?: ReadonlySet<string>): T {
  if (typeof value === "string") return mask(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, mask, keep)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = keep?.has(k) ? v : maskDeep(v, mask, keep);
    return out as T;
  }
  return value;
}

/** What ties a provider's blocks together or only it can read (ids, encrypted results, signatures): masked, the answer could not be sent back. */
const OPAQUE = new Set(["type", "id", "tool_use_id", "encrypted_content", "encrypted_index", "signature", "data"]);

/** A turn as it is stored: what was said, tool arguments and results, searches — not the ids that tie them together. */
export function maskTurn(turn: TurnRecord, mask: Masker): TurnRecord {
  return {
    ...turn,
    sent: turn.sent.map((m) => ({ ...m, content: mask(m.content) })),
    content: mask(turn.content),
    tool_calls: turn.tool_calls.map((c) => ({ ...c, arguments: maskDeep(c.arguments, mask), ...(c.invalid_arguments === undefined ? {} : { invalid_arguments: mask(c.invalid_arguments) }) })),
    tool_results: turn.tool_results.map((r) => ({ ...r, result: r.result === null ? null : mask(r.result), ...(r.error === undefined ? {} : { error: mask(r.error) }) })),
    searches: turn.searches.map((s) => maskDeep(s, mask)),
    ...(turn.provider_content ? { provider_content: maskDeep(turn.provider_content, mask, OPAQUE) } : {}),
    // a provider's error may quote the key it was sent, as a run's error is masked
    ...(turn.failed === undefined ? {} : { failed: mask(turn.failed) }),
  };
}
