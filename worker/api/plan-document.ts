import { z } from "@hono/zod-openapi";
import { planSchema } from "../task/plan-schema";

type JsonSchema = Record<string, unknown>;

/**
 * The plan format for the OpenAPI document, made from the zod schema every save is checked with, so the document
 * cannot drift from what a save accepts. The route itself takes any object: it tells a malformed plan (400) from
 * one whose graph cannot run (422) and names the path of each problem.
 */
export function planDocumentSchemas(): Record<string, JsonSchema> {
  const { $schema: _, $defs = {}, ...plan } = z.toJSONSchema(planSchema, { io: "input", unrepresentable: "any" }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const names = Object.keys($defs);
  const nameOf = (def: string) => (names.length === 1 ? "PlanStep" : `PlanStep_${def}`);
  const text = JSON.stringify({ plan, $defs }).replace(/"#\/\$defs\/([^"]+)"/g, (_m, def: string) => JSON.stringify(`#/components/schemas/${nameOf(def)}`));
  const out = JSON.parse(text) as { plan: JsonSchema; $defs: Record<string, JsonSchema> };
  const schemas: Record<string, JsonSchema> = { PlanDefinition: { ...out.plan, description: "a plan: its params and its steps, a DAG (see DESIGN.md)" } };
  for (const def of names) schemas[nameOf(def)] = agentKindOptional(out.$defs[def]);
  return schemas;
}

/** A step with no `kind` is an agent step (plan-schema.ts fills it in before the union reads it). */
function agentKindOptional(step: JsonSchema): JsonSchema {
  const variants = step.oneOf as JsonSchema[] | undefined;
  if (!variants) return step;
  return {
    ...step,
    description: "a step: `agent` (the default when `kind` is left out), `loop` or `branch`",
    oneOf: variants.map((v) => {
      const kind = (v.properties as Record<string, { const?: string }> | undefined)?.kind?.const;
      return kind === "agent" ? { ...v, required: (v.required as string[]).filter((r) => r !== "kind") } : v;
    }),
  };
}
