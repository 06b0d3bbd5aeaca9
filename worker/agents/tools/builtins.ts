import type { ToolSpec } from "../types";

/** A question waits in the task's list item, its notifications and the inbox: as long as a task's description may be. */
export const MAX_QUESTION_CHARS = 20_000;

export const askHumanSpec: ToolSpec = {
  name: "ask_human",
  description: "Ask the person overseeing this task a question and wait for the answer.",
  parameters: {
    type: "object",
    properties: { question: { type: "string", description: "one clear question" } },
    required: ["question"],
  },
};

export const spawnTaskSpec: ToolSpec = {
  name: "spawn_task",
  description: "Start a sub-task done by another agent. With wait, the result is the sub-task's output; otherwise its id.",
  parameters: {
    type: "object",
    properties: {
      title: { type: "string" },
      description: { type: "string", description: "what the sub-task must do" },
      agent: { type: "string", description: "name of the agent to do it" },
      wait: { type: "boolean", description: "wait for the sub-task to finish" },
    },
    required: ["title", "description", "agent"],
  },
};
