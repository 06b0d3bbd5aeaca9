/** Plain-language helpers of the offline planner: deterministic, no model. */

const LEAD = /^(?:\d+[.)]\s*|[-*•]\s*|step\s+\d+\s*[:.)-]?\s*|(?:first|firstly|then|next|after that|afterwards|finally|lastly|and)\b[,:]?\s*)+/i;

/**
 * One segment per line, and per sentence within a line; "…, then …" splits too. Spaces are collapsed: the edit
 * patterns backtrack polynomially over a long run of them, and a message may hold 20,000.
 */
export function segments(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    for (const sentence of line.replace(/\s+/g, " ").split(/(?<=[.!?;]) /)) {
      for (const part of sentence.split(/,?\s+(?:and\s+)?then\s+/i)) {
        const clean = part.replace(LEAD, "").replace(/[\s.!?;]+$/, "").trim();
        if (clean) out.push(clean);
      }
    }
  }
  return out;
}

export const words = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

const STOP = new Set(["the", "a", "an", "to", "of", "for", "and", "or", "on", "in", "with", "about", "our", "my", "your", "their", "it", "them", "this", "that", "these", "those", "each", "every", "all", "please", "me", "us", "into", "from", "by", "at"]);

/** A step id from the first meaningful words: `Research the market` → `research_market`. */
export function slug(text: string, max = 3): string {
  const w = words(text).filter((x) => !STOP.has(x)).slice(0, max);
  const s = (w.length ? w : ["step"]).join("_").slice(0, 48);
  return /^[a-z_]/.test(s) ? s : `step_${s}`;
}

export function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  taken.add(id);
  return id;
}

export function sentenceCase(text: string, max = 80): string {
  const t = text.trim().replace(/\s+/g, " ");
  const cut = t.length > max ? `${t.slice(0, max - 1).trimEnd()}…` : t;
  return cut.charAt(0).toUpperCase() + cut.slice(1);
}

/** "the market, competitors and pricing" → three items; a single item stays one. */
export function listItems(text: string): string[] {
  return text
    .split(/\s*,\s*(?:and\s+|or\s+)?|\s+and\s+/i)
    .map((s) => s.trim())
    .filter(Boolean);
}

export const hasWord = (text: string, re: RegExp) => re.test(text.toLowerCase());

/** Imperative verbs that start a new clause: "Scrape the page, compare it, and alert me" is three steps, "the market, competitors and pricing" one list. */
export const ACTION =
  "(?:research|find|search|look|investigate|analy[sz]e|gather|collect|compare|list|identify|fetch|scrape|scan|study|monitor|write|draft|compose|summari[sz]e|rewrite|edit|e-?mail|reply|post|tweet|translate|send|publish|notify|alert|share|review|check|proofread|verify|validate|audit|rank|score|sort|filter|extract|read|download|upload|save|store|create|generate|prepare|outline|update|deploy|ask|get|pick|choose|select|book|pay|delete|merge|tell)\\b";
// " and " after two words, the lookbehind placed after the spaces: there it runs only where a space is, over one word,
// where first it ran at every position and scanned a whole long word back each time
const CLAUSE = new RegExp(`\\s*,\\s*(?:and\\s+)?(?=${ACTION})|\\s+(?<=\\S\\s+\\S+\\s+)and\\s+(?=${ACTION})`, "i");

/** The clauses of a segment, one step each; a "for each …" or "if …" segment is one construct and stays whole. */
export function clauses(text: string): string[] {
  if (/^(?:for (?:each|every)|per|if|when)\b/i.test(text)) return [text];
  return text.split(CLAUSE).map((c) => c.trim()).filter(Boolean);
}

/** When a request asks the work to recur: a plan runs once per start, so that is a cron trigger's job. */
const SCHEDULE =
  /(?<!\bfor\s)\b(?:every|each)\s+(?:(?:\d+|few|other)\s+)?(?:morning|evening|night|day|weekday|week|month|hour|minute|monday|tuesday|wednesday|thursday|friday|saturday|sunday|(?:minutes|hours|days|weeks))\b(?:\s+at\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?)?|\b(?:daily|hourly|weekly|nightly|monthly)\b/i;

export const scheduleOf = (text: string): string | null => SCHEDULE.exec(text)?.[0].toLowerCase() ?? null;

export const unscheduled = (text: string): string => text.replace(new RegExp(SCHEDULE.source, "gi"), " ").replace(/\s+/g, " ").replace(/\s+([,.;:])/g, "$1").trim();
