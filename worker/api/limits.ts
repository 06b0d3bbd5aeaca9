/** Lengths the API holds texts to; the dashboard reads them too, to say so before it sends. */
export const LIMITS = {
  title: 200,
  description: 20_000,
  agentName: 64,
  systemPrompt: 20_000,
  answers: 20,
  answer: 20_000,
  comment: 20_000,
} as const;
