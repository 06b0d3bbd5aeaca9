import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** Agents, plans and triggers as an admin manages them in the dashboard. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

interface Agent {
  id: string;
  name: string;
  max_cost: number | null;
  max_concurrency: number | null;
}

const onePlan = (name: string, params: { name: string; required?: boolean; default?: string }[]) =>
  apiCall<{ id: string; name: string; version: number }>(app, "POST", "/plans", {
    name,
    params,
    steps: [{ id: "write", kind: "agent", agent: "writer", instructions: `${params.map((p) => `{{params.${p.name}}}`).join(" ")}\n@output ok` }],
  });

describe("agents", () => {
  it("keeps an agent's cost and concurrency limits through an edit, and clears them when emptied", async () => {
    const name = `limited-${uid()}`;
    const created = await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim", max_cost: 2.5, max_concurrency: 3 });
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    expect(await dialog.getByLabel("Max cost per task (USD)").inputValue()).toBe("2.5");
    expect(await dialog.getByLabel("Max concurrent tasks").inputValue()).toBe("3");
    await dialog.getByLabel("System prompt").fill("Be brief.");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const kept = (await apiCall<{ items: Agent[] }>(app, "GET", "/agents")).items.find((a) => a.id === created.id);
    expect(kept).toMatchObject({ max_cost: 2.5, max_concurrency: 3 });

    await page.getByRole("button", { name: `Edit ${name}` }).click();
    await dialog.getByLabel("Max cost per task (USD)").fill("");
    await dialog.getByLabel("Max concurrent tasks").fill("");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const cleared = (await apiCall<{ items: Agent[] }>(app, "GET", "/agents")).items.find((a) => a.id === created.id);
    expect(cleared).toMatchObject({ max_cost: null, max_concurrency: null });
  });
});

describe("plans", () => {
  it("runs each plan with its own inputs and defaults after switching plans on the Run tab", async () => {
    const a = await onePlan(`Alpha ${uid()}`, [{ name: "topic", required: true }]);
    const b = await onePlan(`Beta ${uid()}`, [{ name: "region", default: "emea" }]);
    await page.goto(`${app.url}/plans/${a.id}`);
    await page.getByRole("tab", { name: "Run" }).click();
    await page.getByLabel(/^topic/).fill("pricing");
    await page.getByRole("link", { name: new RegExp(b.name) }).click();
    await page.waitForURL(`**/plans/${b.id}`);
    const form = page.getByRole("form", { name: "Run plan" });
    await expect.poll(() => form.getByLabel(/^region/).inputValue()).toBe("emea");
    expect(await form.getByLabel(/^topic/).count()).toBe(0);
    await form.getByRole("button", { name: "Run plan" }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    const task = await apiCall<{ plan_id: string; status: string }>(app, "GET", `/tasks/${page.url().split("/tasks/")[1]}`);
    expect(task.plan_id).toBe(b.id);
  });

  it("shows a plan deleted elsewhere as an error, not the plan open before", async () => {
    const open = await onePlan(`Open ${uid()}`, []);
    const gone = await onePlan(`Gone ${uid()}`, []);
    await page.goto(`${app.url}/plans/${open.id}`);
    await page.getByRole("heading", { name: open.name, level: 2 }).waitFor();
    await apiCall(app, "DELETE", `/plans/${gone.id}`);
    await page.getByRole("link", { name: new RegExp(gone.name) }).click();
    await page.waitForURL(`**/plans/${gone.id}`);
    await page.getByRole("alert").filter({ hasText: "Could not load this plan" }).waitFor();
    expect(await page.getByRole("heading", { name: open.name, level: 2 }).count()).toBe(0);
    expect(await page.getByLabel("Plan JSON").count()).toBe(0);
  });

  it("saw no CSP violations or page errors", () => {
    expect(browser.problems).toEqual([]);
  });
});
