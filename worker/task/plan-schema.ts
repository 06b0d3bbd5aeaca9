import { z } from "zod";

/** Plans: a DAG of steps. Step ids are unique across the whole plan, nested bodies included. Unknown keys are refused: a misspelt `depends_on` or `approval` would otherwise drop an edge or a review without a word. */

export const stepId = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, "a step id is 1–64 letters, digits, _ or -, starting with a letter or _");

/** What an agent or a plan's step may be given: a built-in tool, or a remote MCP server's tools. */
export const toolName = z
  .string()
  .regex(
    /^(ask_human|http_fetch|web_search|spawn_task|mcp:https?:\/\/\S{1,500}|mcp:[a-z0-9][a-z0-9_-]{0,63})$/,
    "a tool is ask_human, http_fetch, web_search, spawn_task, mcp:<url> or mcp:<name> of a configured MCP server",
  );

export const retrySchema = z.strictObject({
  max_attempts: z.number().int().min(1).max(20).default(3),
  backoff: z
    .strictObject({
      initial_ms: z.number().int().min(0).max(3_600_000).default(1000),
      max_ms: z.number().int().min(0).max(86_400_000).default(60_000),
    })
    .default({ initial_ms: 1000, max_ms: 60_000 }),
});

const common = {
  id: stepId,
  // a name of blanks would show as none at all (an empty one shows the id)
  name: z.string().max(200).refine((n) => n === "" || n.trim() !== "", "a step's name is not only blanks: write one, or leave it out").optional(),
  depends_on: z.array(stepId).max(1000).default([]),
};

export const agentStepSchema = z.strictObject({
  ...common,
  kind: z.literal("agent"),
  agent: z.string().min(1).max(100),
  instructions: z.string().max(100_000).default(""),
  tools: z.array(toolName).max(64).default([]),
  approval: z.boolean().default(false),
  retry: retrySchema.optional(),
  timeout_s: z.number().int().min(1).max(86_400).optional(),
});

const loopBase = z.strictObject({
  ...common,
  kind: z.literal("loop"),
  over: stepId,
  concurrency: z.number().int().min(1).max(1000).default(10),
});

const branchBase = z.strictObject({
  ...common,
  kind: z.literal("branch"),
  on: stepId,
});

// Recursive schemas need their types spelled out, or TypeScript infers `any` for every step.
export type AgentStep = z.infer<typeof agentStepSchema>;
export type LoopStep = z.output<typeof loopBase> & { body: Step[] };
/** `default` omitted: an output that matches no case fails the branch; `default: []` lets it complete with nothing run. */
export type BranchStep = z.output<typeof branchBase> & { cases: Record<string, Step[]>; default?: Step[] };
export type Step = AgentStep | LoopStep | BranchStep;
type StepInput =
  | (Omit<z.input<typeof agentStepSchema>, "kind"> & { kind?: "agent" })
  | (z.input<typeof loopBase> & { body: StepInput[] })
  | (z.input<typeof branchBase> & { cases: Record<string, StepInput[]>; default?: StepInput[] });

export const loopStepSchema = loopBase.extend({
  get body() {
    return z.array(stepSchema).min(1).max(100);
  },
});

export const branchStepSchema = branchBase.extend({
  get cases() {
    return z.record(z.string().max(200), z.array(stepSchema).max(100));
  },
  get default() {
    return z.array(stepSchema).max(100).optional();
  },
});

/** `kind` may be omitted for agent steps. */
export const stepSchema: z.ZodType<Step, StepInput> = z.preprocess(
  (v) => (v && typeof v === "object" && !("kind" in v) ? { ...v, kind: "agent" } : v),
  z.discriminatedUnion("kind", [agentStepSchema, loopStepSchema, branchStepSchema]),
);

export const paramSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a param name is letters, digits or _")
      // no request could give it a value: a `__proto__` key is refused in every body (api/well-formed.ts)
      .refine((n) => n !== "__proto__", "__proto__ cannot be a param's name"),
    description: z.string().max(2000).default(""),
    required: z.boolean().default(false),
    /** the only values the param takes, matched exactly */
    enum: z.array(z.string().min(1).max(1000)).min(1).max(100).optional(),
    default: z.string().max(100_000).optional(),
  })
  .superRefine((p, ctx) => {
    if (!p.enum) return;
    p.enum.forEach((v, i) => {
      if (p.enum!.indexOf(v) !== i) ctx.addIssue({ code: "custom", path: ["enum", i], message: `"${v}" is listed twice` });
    });
    if (p.default !== undefined && !p.enum.includes(p.default)) {
      ctx.addIssue({ code: "custom", path: ["default"], message: `"${p.default}" is not one of the enum's values ${listOf(p.enum)}` });
    }
  });

export const listOf = (values: string[]) => values.map((v) => JSON.stringify(v)).join(", ");

export const planSchema = z.strictObject({
  name: z.string().trim().min(1, "a plan needs a name").max(200),
  description: z.string().max(10_000).default(""),
  params: z.array(paramSchema).max(100).default([]),
  steps: z.array(stepSchema).min(1),
  /** A step whose output is the task's output; else the last top-level step's, in the plan's order, that completed. */
  output: stepId.optional(),
});

export type Param = z.infer<typeof paramSchema>;
export type Plan = z.infer<typeof planSchema>;
export type RetryPolicy = z.infer<typeof retrySchema>;
export type PlanInput = z.input<typeof planSchema>;

export const DEFAULT_RETRY: RetryPolicy = { max_attempts: 3, backoff: { initial_ms: 1000, max_ms: 60_000 } };
export const DEFAULT_TIMEOUT_S = 600;
