import type { OrgAgent } from "../types";
import { words } from "./text";

/** Role families: the words of a request that call for a role, and the stems that name it in an agent's name or prompt. */
const ROLES: { verbs: RegExp; stems: string[] }[] = [
  { verbs: /\b(review|check|proofread|verify|validate|audit|critique|approve|qa)\b/, stems: ["review", "check", "editor", "qa", "audit"] },
  { verbs: /\b(write|draft|compose|summari[sz]e|rewrite|edit|report|email|reply|post|blog|announce|translate|send|publish|notify|share)\b/, stems: ["writ", "author", "editor", "copy"] },
  { verbs: /\b(research|find|search|look up|investigate|analy[sz]e|gather|collect|compare|list|identify|fetch|scan|study|monitor)\b/, stems: ["research", "analy", "search", "scout"] },
  { verbs: /\b(plan|break down|delegate|coordinate|organi[sz]e)\b/, stems: ["plan", "coordinat", "manag"] },
];

const mentions = (agent: OrgAgent, stems: string[]) => {
  const name = agent.name.toLowerCase();
  const prompt = agent.system_prompt.toLowerCase().slice(0, 400);
  return stems.some((s) => name.includes(s)) ? 2 : stems.some((s) => prompt.includes(s)) ? 1 : 0;
};

/**
 * The agent for a sentence: one named in it ("have the writer …"), else the first role family its
 * verbs call for, matched on agents' names before their prompts; else a default worker.
 */
export function matchAgent(text: string, agents: OrgAgent[]): string {
  const ws = new Set(words(text));
  const named = agents.find((a) => ws.has(a.name.toLowerCase()) || text.toLowerCase().includes(a.name.toLowerCase()));
  if (named) return named.name;
  const lower = text.toLowerCase();
  const hits = ROLES.map((r) => ({ r, at: lower.search(r.verbs) })).filter((h) => h.at >= 0).sort((a, b) => a.at - b.at);
  for (const { r } of hits) {
    let best: OrgAgent | null = null;
    let score = 0;
    for (const a of agents) {
      const s = mentions(a, r.stems);
      if (s > score) (best = a), (score = s);
    }
    if (best) return best.name;
  }
  return defaultAgent(agents);
}

/** The agent for a sentence that can do it: one it names, else, when the role's agent cannot fetch a URL the sentence gives, one that can. */
export function agentFor(text: string, agents: OrgAgent[]): { name: string; info: OrgAgent | undefined } {
  const name = matchAgent(text, agents);
  const info = agents.find((a) => a.name === name);
  const named = text.toLowerCase().includes(name.toLowerCase());
  if (named || !/https?:\/\//i.test(text) || info?.tools.includes("http_fetch")) return { name, info };
  const able = agents.find((a) => !/plan/i.test(a.name) && a.tools.includes("http_fetch"));
  return able ? { name: able.name, info: able } : { name, info };
}

export function defaultAgent(agents: OrgAgent[]): string {
  return (agents.find((a) => !/plan/i.test(a.name)) ?? agents[0])?.name ?? "researcher";
}

/** Tools a sentence calls for, among those its agent has. */
export function pickTools(text: string, agent: Pick<OrgAgent, "tools"> | undefined): string[] {
  const has = new Set(agent?.tools ?? []);
  const lower = text.toLowerCase();
  const want: string[] = [];
  if (/\b(search|web|online|internet|news|look up|find)\b/.test(lower)) want.push("web_search");
  if (/\b(fetch|url|website|page|download|api)\b|https?:\/\//.test(lower)) want.push("http_fetch");
  if (/\b(ask|confirm with|check with|clarify)\b/.test(lower)) want.push("ask_human");
  return want.filter((t) => has.has(t));
}

const RISKY =
  /\b(send|sends|sending|publish|tweet|deploy|release(?! notes?\b)|delete|pay|purchase|buy|transfer|submit|merge|ship|notify|alert|reply to|post (?:it|them|to|on)|e-?mail (?:me|us|it|them|him|her|the|this|that|everyone))\b|^(?:e-?mail|mail|post)\b/;
const ASKS_APPROVAL = /\b(approve|approval|approves|sign[- ]off|review it|my review|i review|let me (?:check|review|see))\b/;

/** Risky steps (sending, publishing, paying, deleting…) and steps the person asks to approve wait for review. */
export const needsApproval = (text: string): boolean => RISKY.test(text.toLowerCase()) || ASKS_APPROVAL.test(text.toLowerCase());
