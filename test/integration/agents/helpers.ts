import { inject } from "vitest";
import type { ModelRequest } from "../../../worker/agents/types";
import { StepError } from "../../../worker/agents/types";

export const servers = () => inject("fakeServers");
export const local = (port: number, path = "") => `http://127.0.0.1:${port}${path}`;

export const request = (model: string, o: Partial<ModelRequest> = {}): ModelRequest => ({
  model,
  messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }],
  tools: [],
  runNo: 1,
  signal: new AbortController().signal,
  ...o,
});

/** The StepError a promise rejects with (fails the test if it resolves or throws something else). */
export async function stepError(p: Promise<unknown>): Promise<StepError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof StepError)) throw new Error(`expected a StepError, got ${String(e)}`);
  return e;
}
