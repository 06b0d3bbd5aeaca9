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
      if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) return unconfigured("openai", "OPENAI_API_KEY", "OPENAI_BASE_URL");
      return createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL || undefined, ...opts });
    case "anthropic":
      if (!env.ANTHROPIC_API_KEY && !env.ANTHROPIC_BASE_URL) return unconfigured("anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL");
      return createAnthropicProvider({ apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL || undefined, ...opts });
  }
}

/** With neither a key nor a server of one's own, a request could only go to the vendor unsigned: the prompt is not sent. */
const unconfigured = (name: string, key: string, url: string): Provider => ({
  call: async () => {
    throw new StepError(`${name}: ${key} is not set (nor ${url}, for a compatible server that needs no key)`, false);
  },
});
