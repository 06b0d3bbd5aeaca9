import type { TestProject } from "vitest/node";
import { startAnthropic } from "./fake-servers/anthropic";
import { startHttp } from "./fake-servers/http";
import { startMcp } from "./fake-servers/mcp";
import { startOpenAI } from "./fake-servers/openai";
import { startPlanner } from "./fake-servers/planner";
import { startReceiver } from "./fake-servers/receiver";

/** Starts the fake provider, MCP and HTTP servers on loopback ports for the tests that run in workerd. */
export default async function ({ provide }: TestProject) {
  // two HTTP servers: a redirect from one to the other crosses origins
  const [openai, anthropic, mcp, http, httpOther, receiver, planner] = await Promise.all([startOpenAI(), startAnthropic(), startMcp(), startHttp(), startHttp(), startReceiver(), startPlanner()]);
  provide("fakeServers", { openai: openai.port, anthropic: anthropic.port, mcp: mcp.port, http: http.port, httpOther: httpOther.port, receiver: receiver.port, planner: planner.port });
  return async () => {
    await Promise.all([openai, anthropic, mcp, http, httpOther, receiver, planner].map((s) => s.close()));
  };
}
