import { z } from "@hono/zod-openapi";
import { RUN_STATUSES } from "../task/step-status";
import { Tokens } from "./schemas";

/** One run's trace as `GET /tasks/{id}/steps/{step}/runs/{n}/trace` answers it (RunExecutor.trace builds it). */

const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  invalid_arguments: z.string().optional().openapi({ description: "what the model wrote when it was not a JSON object: `arguments` is then empty and the call was not run" }),
});

const Message = z
  .object({
    role: z.enum(["system", "user", "assistant", "tool"]),
    content: z.string(),
    tool_calls: z.array(ToolCall).optional(),
    tool_call_id: z.string().optional(),
    name: z.string().optional(),
    provider_content: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .openapi({ description: "a message as the turn sent it: a `tool` message names the call it answers" });

const ToolResult = z.object({
  call_id: z.string(),
  name: z.string(),
  result: z.string().nullable().openapi({ description: "null until the call has finished (or, for ask_human and spawn_task, been answered)" }),
  truncated: z.boolean().optional(),
  error: z.string().optional(),
  finished_at: z.string().nullable(),
});

const Search = z.object({ query: z.string(), results: z.array(z.object({ title: z.string(), url: z.string(), snippet: z.string() })) });

const Turn = z.object({
  turn_no: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().openapi({ description: "when the model's answer arrived" }),
  sent: z.array(Message).openapi({ description: "what this turn added to the conversation: the system prompt and instructions on turn 1, answers and feedback later" }),
  content: z.string(),
  tool_calls: z.array(ToolCall),
  tool_results: z.array(ToolResult),
  searches: z.array(Search).openapi({ description: "searches the model ran itself, with their results" }),
  paused: z.boolean().optional(),
  carried_from: z.number().int().optional().openapi({ description: "made by this run of the step, which counts its tokens and cost (here they are zero)" }),
  cut_off: z.string().optional(),
  refused: z.string().optional(),
  oversize: z
    .string()
    .optional()
    .openapi({ description: "the answer was too large to keep (its size and the bound): its text and tool-call arguments are cut to fit, its calls were not run, and the run failed" }),
  renamed_tools: z.array(z.object({ name: z.string(), server: z.string(), offered_as: z.string(), taken_by: z.string() })).optional(),
  failed: z
    .string()
    .optional()
    .openapi({ description: "the provider failed the answer after saying what it used (why, in its words): no answer, but its tokens and cost count, and the run failed" }),
  usage: Tokens.extend({ searches: z.number().int() }),
  cost_nanos: z.number().int(),
  cost: z.number(),
});

export const RunTrace = z
  .object({
    step: z.string(),
    run_no: z.number().int(),
    status: z.enum(RUN_STATUSES),
    agent: z.string(),
    model: z.string(),
    system_prompt: z.string(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    error: z.string().nullable(),
    feedback: z.string().nullable(),
    timeout_s: z.number().int().openapi({ description: "what the step's timeout allows a run: its working time, waits for a person or a sub-task not counted" }),
    worked_ms: z.number().int().openapi({ description: "the working time the run has used against timeout_s (live while it runs)" }),
    tokens: Tokens,
    searches: z.number().int(),
    cost: z.number(),
    live_text: z.string().nullable().openapi({ description: "what a running turn has streamed so far" }),
    interrupted_text: z.string().nullable().openapi({ description: "what a turn had streamed when its run was stopped" }),
    turns: z.array(Turn),
  })
  .openapi("RunTrace");
