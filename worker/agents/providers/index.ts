import type { Bindings } from "../../env";
import { type Provider, StepError } from "../types";
import { createAnthropicProvider } from "./anthropic";
import { createOpenAIProvider } from "./openai";
import { simProvider } from "./sim";

export type ProviderKind = "sim" | "openai" | "anthropic";

type ProviderEnv = Pick<Bindings, "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "ANTHROPIC_API_KEY" | "ANTHROPIC_BASE_URL">;

/** `sim`, `openai:<model>` or `anthropic:<model>` → which provider and the model name it is given. */
export function parseModel(model: string): { kind: ProviderKind; name: string } {
  if (model === "sim") return { kind: "sim", name: "sim" };
  const colon = model.indexOf(":");
  const prefix = colon < 0 ? "" : model.slice(0, colon);
  const name = model.slice(colon + 1);
  if ((prefix === "openai" || prefix === "anthropic") && name) return { kind: prefix, name };
  throw new StepError(`unknown model "${model}": use sim, openai:<model> or anthropic:<model>`, false);
}

/** The provider for an agent's model; keys and base URLs come from the environment only. */
export function providerFor(model: string, env: ProviderEnv, opts: { timeoutMs?: number } = {}): Provider {
  switch (parseModel(model).kind) {
    case "sim":
      return simProvider;
    case "openai":
      return createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL || undefined, ...opts });
    case "anthropic":
      return createAnthropicProvider({ apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL || undefined, ...opts });
  }
}
