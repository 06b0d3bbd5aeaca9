import { analyse } from "scslre";
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
  const slow = analyse({ source, flags: "g" }, { maxReports: 1 }).reports[0] ?? boundaryMove(source);
  if (!slow) return null;
  const near = JSON.stringify(slow.character.literal.source);
  const time = slow.exponential ? "exponential" : "polynomial";
  return slow.type === "Move"
    ? `the pattern can take ${time} time: a search for it can start at every character of a long text and run on from each (near ${near}); anchor it with a fixed prefix, or with \\b before word characters only`
    : `the pattern can take ${time} time: repeated parts of it can match the same text in many ways (near ${near}); repeat each part once`;
}

/**
 * scslre takes a leading `\b` to bound where a match can start; it does not when the repeated class after it
 * holds word and non-word characters alike: in `\b[\w.+-]+@…` every position of "a.a.a.…" is a boundary, and
 * the search runs on from each (quadratic: 5.7 s over 80 KB). Such a pattern is analysed without the `\b`.
 */
function boundaryMove(source: string) {
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
  };
}
