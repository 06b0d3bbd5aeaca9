import { afterAll, beforeAll, expect, it } from "vitest";
import { ANTHROPIC_KEY, startAnthropic } from "../fake-servers/anthropic";
import type { FakeServer } from "../fake-servers/listen";
import { OPENAI_KEY, startOpenAI } from "../fake-servers/openai";
import { type App, apiCall, startApp, uid } from "./helpers";

/** The provider variables of the shell that runs `npm start` reach the Worker, as the README's configuration says. */

let app: App;
let openai: FakeServer;
let anthropic: FakeServer;

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([startOpenAI(), startAnthropic()]);
  app = await startApp(110_000, {
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `http://127.0.0.1:${openai.port}/v1`,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${anthropic.port}`,
    },
  });
});
afterAll(async () => {
  await app?.stop();
  await Promise.all([openai?.close(), anthropic?.close()]);
});

type Task = { id: string; status: string; output: string | null; steps: { error: string | null }[] };

it.each(["openai", "anthropic"])("an agent on %s reaches the base URL set for npm start, with its key", async (provider) => {
  const name = `${provider}-${uid()}`;
  await apiCall(app, "POST", "/agents", { name, model: `${provider}:echo`, system_prompt: "Echo.", tools: [] });
  const task = await apiCall<Task>(app, "POST", "/tasks", { agent: name, title: "Provider env", description: "hello there" });
  const done = await apiCall<Task>(app, "GET", `/tasks/${task.id}?wait=30`);
  expect(done.steps[0].error).toBeNull();
  expect(done.status).toBe("completed");
  expect(done.output).toMatch(/^echo:? hello there$/);
});
