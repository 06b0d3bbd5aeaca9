/** JSON Schema of a plan, as the model planner's structured output (the `submit_plan` tool's arguments). */

const id = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_-]{0,63}$" };
const ids = { type: "array", items: id };
const steps = { type: "array", items: { $ref: "#/$defs/step" } };

const agentStep = {
  type: "object",
  properties: {
    kind: { const: "agent" },
    id,
    name: { type: "string" },
    agent: { type: "string", description: "the name of one of the organization's agents" },
    instructions: { type: "string", description: "may use {{params.<name>}}, {{steps.<id>.output}} of upstream steps, and {{item}} inside a loop body" },
    depends_on: ids,
    tools: { type: "array", items: { type: "string" } },
    approval: { type: "boolean", description: "true for risky steps (sending, publishing, paying, deleting): a person reviews the output before dependents run" },
  },
  required: ["kind", "id", "name", "agent", "instructions", "depends_on"],
};

const loopStep = {
  type: "object",
  properties: {
    kind: { const: "loop" },
    id,
    name: { type: "string" },
    over: { ...id, description: "an upstream step whose output is a list (a JSON array, or one item per line)" },
    concurrency: { type: "integer", minimum: 1, maximum: 1000 },
    depends_on: ids,
    body: { ...steps, minItems: 1, description: "steps run once per item; they see {{item}} and {{index}}" },
  },
  required: ["kind", "id", "name", "over", "depends_on", "body"],
};

const branchStep = {
  type: "object",
  properties: {
    kind: { const: "branch" },
    id,
    name: { type: "string" },
    on: { ...id, description: "an upstream step whose output picks the case (trimmed, case-insensitive)" },
    depends_on: ids,
    cases: { type: "object", additionalProperties: steps },
    default: steps,
  },
  required: ["kind", "id", "name", "on", "depends_on", "cases"],
};

export const PLAN_JSON_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 200 },
    description: { type: "string" },
    params: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: { type: "string" },
          description: { type: "string" },
          required: { type: "boolean" },
          enum: { type: "array", items: { type: "string" }, minItems: 1, description: "the only values the param takes; a default must be one of them" },
          default: { type: "string" },
        },
        required: ["name"],
      },
    },
    steps: { ...steps, minItems: 1 },
  },
  required: ["name", "steps"],
};

/** Shared by every `#/$defs/step` reference; it sits at the root of whatever schema embeds the plan. */
const $defs = { step: { anyOf: [agentStep, loopStep, branchStep] } };

export const SUBMIT_PLAN_TOOL = {
  name: "submit_plan",
  description: "Submit the complete plan draft. Always call this, with the whole plan, once per answer.",
  parameters: {
    type: "object",
    properties: {
      reply: { type: "string", description: "one or two sentences to the person: what you drafted or changed" },
      plan: PLAN_JSON_SCHEMA,
    },
    required: ["reply", "plan"],
    $defs,
  },
};
