import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type App, startApp, uid } from "./helpers";

/** A short heartbeat (npm start takes a `[vars]` value from its shell): the test waits for one, not for the default 30 s. */
const HEARTBEAT_MS = 5_000;

/** A run the process stops in its first seconds, under `npm start` itself: nothing but the runtime touches the task after. */
let app: App;
beforeAll(async () => {
  app = await startApp(110_000, { env: { RUN_HEARTBEAT_MS: String(HEARTBEAT_MS) } });
});
afterAll(() => app?.stop());

interface Listed { items: { id: string; status: string }[] }

/** The task's status as its index row shows it: the list reads D1 only, so asking wakes no task object. */
const indexed = async (id: string, title: string) =>
  (await apiCall<Listed>(app, "GET", `/tasks?q=${encodeURIComponent(title)}`)).items.find((t) => t.id === id)?.status;

describe("a restart of the runtime", () => {
  it("resumes a young run by its task's own alarm, within a heartbeat, with nobody opening the task", { timeout: 180_000 }, async () => {
    const title = `Restarted ${uid()}`;
    const task = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent: "writer", title, description: "@delay 8000\n@output survived" });
    await expect.poll(() => indexed(task.id, title), { timeout: 20_000 }).toBe("in_progress");
    await app.restart();
    const back = Date.now();
    // the organization queue's sweep would come a minute or two later; the run's heartbeat, at most a heartbeat after it began
    await expect.poll(() => indexed(task.id, title), { timeout: HEARTBEAT_MS + 20_000, interval: 1_000 }).toBe("completed");
    expect(Date.now() - back).toBeLessThan(HEARTBEAT_MS + 20_000);
    const done = await apiCall<{ output: string; steps: { runs: unknown[] }[] }>(app, "GET", `/tasks/${task.id}`);
    expect(done.output).toBe("survived");
    expect(done.steps[0].runs).toHaveLength(1);
  });
});
