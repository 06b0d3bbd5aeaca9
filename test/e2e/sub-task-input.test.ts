import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiCall, type App, shot, uid, useDashboard } from "./helpers";

interface Task {
  id: string;
  title: string;
  status: string;
  session_id: string;
  parent_id: string | null;
  pending: { call_id: string }[];
  input_needed_in: { step: string; task_id: string }[];
}

let app: App;
let page: Page;

useDashboard((d) => ({ app, page } = d));

const spawn = (title: string, description: string, agent: string) => `@tool spawn_task ${JSON.stringify({ title, description, agent, wait: true })}`;

describe("a task waiting on a sub-task that asks a person", () => {
  it("says so on its board card, its table row and its page, links to the task asking, and stops once answered", async () => {
    const tag = uid();
    await page.goto(`${app.url}/`);
    await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
    // the leaf asks after a while, so the board is open and shows the top task running first
    const leaf = spawn(`Leaf ${tag}`, "@delay 1500\n@ask Which segment?\n@output leaf done", "writer");
    const middle = spawn(`Middle ${tag}`, `${leaf}\n@output middle done`, "planner");
    const top = await apiCall<Task>(app, "POST", "/tasks", { agent: "planner", title: `Top ${tag}`, description: `${middle}\n@output top done` });

    const card = page.locator(`.task-card[data-task-id="${top.id}"]`);
    await card.waitFor({ timeout: 20_000 });
    const note = card.getByTestId("input-needed");
    await note.waitFor({ timeout: 20_000 });
    expect(await card.locator(".badge").getAttribute("data-status")).toBe("in_progress");
    const link = note.getByRole("link", { name: `Leaf ${tag}` });
    await shot(page, "sub-task-input-board");

    const asked = (await apiCall<{ items: Task[] }>(app, "GET", `/tasks?q=${encodeURIComponent(`Leaf ${tag}`)}`)).items[0];
    expect(asked.status).toBe("needs_input");
    expect(await link.getAttribute("href")).toBe(`/tasks/${asked.id}`);

    await page.goto(`${app.url}/tasks?q=${encodeURIComponent(`Top ${tag}`)}`);
    const row = page.locator(`tr[data-task-id="${top.id}"]`);
    await row.getByTestId("input-needed").getByRole("link", { name: `Leaf ${tag}` }).waitFor({ timeout: 20_000 });

    await page.goto(`${app.url}/tasks/${top.id}`);
    const head = page.locator(".detail-head");
    // the step that waits says so too, the sub-task it names being where the question is
    const step = page.locator('.steps [data-step="main"]').getByTestId("step-input-needed");
    await step.waitFor({ timeout: 20_000 });
    expect(await step.innerText()).toContain(`Waits on sub-task Leaf ${tag}, which needs input`);
    await head.getByTestId("input-needed").getByRole("link", { name: `Leaf ${tag}` }).click();
    // the link leads to the task where the question is
    await page.waitForURL(`**/tasks/${asked.id}`);
    await page.getByRole("region", { name: "Needs your input" }).waitFor({ timeout: 20_000 });

    await page.goto(`${app.url}/tasks/${top.id}`);
    await head.getByTestId("input-needed").waitFor({ timeout: 20_000 });
    const waiting = await apiCall<Task>(app, "GET", `/tasks/${asked.id}`);
    await apiCall(app, "POST", `/sessions/${waiting.session_id}/respond`, { call_id: waiting.pending[0].call_id, answers: ["enterprise"] });
    // live, with no reload: the note goes, and the task finishes
    await head.locator('.badge[data-status="completed"]').waitFor({ timeout: 20_000 });
    expect(await head.getByTestId("input-needed").count()).toBe(0);
    expect(await page.getByTestId("step-input-needed").count()).toBe(0);
  });

  it("shows who ran a trigger by hand on the task's page, and links the trigger's tasks", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Hand run ${uid()}`, steps: [{ id: "s", agent: "writer", instructions: "@output ok" }] });
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { kind: "cron", plan_id: plan.id, cron: "0 0 1 1 *", title: "Yearly" });
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.getByRole("button", { name: "Run now" }).first().waitFor({ timeout: 20_000 });
    const row = page.locator("tr", { hasText: "Yearly" });
    await row.getByRole("button", { name: "Run now" }).click();
    await expect.poll(async () => (await apiCall<{ items: Task[] }>(app, "GET", `/tasks?trigger_id=${trigger.id}`)).items.length, { timeout: 20_000 }).toBe(1);
    const [task] = (await apiCall<{ items: (Task & { created_by: { type: string; name: string } })[] }>(app, "GET", `/tasks?trigger_id=${trigger.id}`)).items;
    expect(task.created_by).toMatchObject({ type: "token" });
    await page.goto(`${app.url}/tasks/${task.id}`);
    const head = page.locator(".detail-head");
    await expect.poll(() => head.innerText(), { timeout: 20_000 }).toContain(`by ${task.created_by.name}`);
    const link = page.getByTestId("task-trigger").getByRole("link", { name: trigger.id });
    expect(await link.getAttribute("href")).toBe(`/tasks?trigger_id=${trigger.id}`);
  });
});
