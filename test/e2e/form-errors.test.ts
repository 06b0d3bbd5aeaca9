import { describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** Every form's error about one field marks that field: invalid, described by the error's text, and focused. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

/** `field` is invalid, has the focus, and is described by the visible error that says `text`; no other field is invalid. */
async function expectInvalid(scope: Locator, field: Locator, text: string | RegExp): Promise<void> {
  await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
  const ids = (await field.getAttribute("aria-describedby"))?.split(" ") ?? [];
  const texts = await Promise.all(ids.map(async (id) => ((await page.locator(`[id="${id}"]`).isVisible()) ? page.locator(`[id="${id}"]`).textContent() : null)));
  expect(texts.some((t) => t !== null && (typeof text === "string" ? t === text : text.test(t))), JSON.stringify(texts)).toBe(true);
  await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true);
  expect(await scope.locator('[aria-invalid="true"]').count()).toBe(1);
}

describe("form errors are tied to their fields", () => {
  it("Create task: the title left blank", async () => {
    await page.goto(`${app.url}/`);
    await page.getByRole("button", { name: "Create task" }).click();
    const dialog = page.getByRole("dialog", { name: "Create task" });
    await dialog.getByLabel("Title").fill("   ");
    await dialog.getByRole("button", { name: "Create task" }).click();
    await expectInvalid(dialog, dialog.getByLabel("Title"), "Give the task a title.");
    // fixed and sent, the mark goes with the error
    await dialog.getByLabel("Title").fill("Fine now");
    await dialog.getByLabel("Description").fill("@output ok");
    await dialog.getByRole("button", { name: "Create task" }).click();
    await dialog.waitFor({ state: "detached" });
  });

  it("New agent: a field the form checks, and one the API refuses", async () => {
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: "New agent" }).click();
    const dialog = page.getByRole("dialog", { name: "New agent" });
    await dialog.getByLabel("Name").fill("Bad Name");
    // a zero the browser's own check lets through (min 0), the form's does not
    await dialog.getByLabel("Max cost per task (USD)").fill("0");
    await dialog.getByRole("button", { name: "Create agent" }).click();
    await expectInvalid(dialog, dialog.getByLabel("Max cost per task (USD)"), /Max cost must be an amount in USD above 0/);
    await dialog.getByLabel("Max cost per task (USD)").fill("");
    await dialog.getByRole("button", { name: "Create agent" }).click();
    // the API's 400 names the path `name`: that field is marked with the API's words
    await expectInvalid(dialog, dialog.getByLabel("Name"), /name/i);
    expect(await dialog.getByLabel("Max cost per task (USD)").getAttribute("aria-invalid")).toBeNull();
    await page.keyboard.press("Escape");
    expect(browser.problems).toEqual([]);
  });

  it("Settings: a token with no name, a price of a model that is none, a negative limit, a webhook's params that are not JSON", async () => {
    await page.goto(`${app.url}/settings?tab=tokens`);
    const tokenForm = page.getByRole("form", { name: "Create token" });
    await tokenForm.getByRole("button", { name: "Create token" }).click();
    await expectInvalid(tokenForm, tokenForm.getByLabel("Token name"), "Name the token.");

    await page.goto(`${app.url}/settings?tab=pricing`);
    const priceForm = page.getByRole("form", { name: "Set a price" });
    await priceForm.getByLabel("Model").fill("gpt-4o");
    await priceForm.getByRole("button", { name: "Save price" }).click();
    await expectInvalid(priceForm, priceForm.getByLabel("Model"), /Model is “sim”/);
    await priceForm.getByLabel("Model").fill("openai:gpt-4o");
    await priceForm.getByLabel(/^Output/).fill("-1");
    await priceForm.getByRole("button", { name: "Save price" }).click();
    await expectInvalid(priceForm, priceForm.getByLabel(/^Output/), "Prices are non-negative numbers.");
    // the API's refusal names its field: 7 decimals of a dollar
    await priceForm.getByLabel(/^Output/).fill("0.1234567");
    await priceForm.getByRole("button", { name: "Save price" }).click();
    await expectInvalid(priceForm, priceForm.getByLabel(/^Output/), /6 decimals/);

    await page.goto(`${app.url}/settings?tab=limits`);
    const limits = page.locator('form[aria-labelledby="limits-title"]');
    await limits.getByLabel("Keep finished tasks (days)").fill("-3");
    await limits.getByRole("button", { name: "Save limits" }).click();
    await expectInvalid(limits, limits.getByLabel("Keep finished tasks (days)"), "Limits are positive numbers, or empty for the default.");

    await apiCall(app, "POST", "/plans", { name: `Hooked ${uid()}`, steps: [{ id: "a", agent: "writer", instructions: "@output ok" }] });
    await page.goto(`${app.url}/settings?tab=triggers`);
    const triggerForm = page.getByRole("form", { name: "Create trigger" });
    await triggerForm.getByLabel("Kind").selectOption("webhook");
    const map = triggerForm.getByLabel("Params from the body (JSON, optional)");
    await map.fill("{not json");
    await triggerForm.getByRole("button", { name: "Create trigger" }).click();
    await expectInvalid(triggerForm, map, /must be a JSON object of dot paths/);
    // its own help stays among what describes it
    expect((await map.getAttribute("aria-describedby"))?.split(" ")).toContain("input-map-help");
  });

  it("New trigger: a webhook's deliveries a minute, refused here and by the API, then saved", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Capped ${uid()}`, steps: [{ id: "a", agent: "writer", instructions: "@output ok" }] });
    const title = `Capped hook ${uid()}`;
    const made = async () => (await apiCall<{ items: { title: string | null; rate_limit_per_min: number | null }[] }>(app, "GET", "/triggers")).items.filter((t) => t.title === title);
    await page.goto(`${app.url}/settings?tab=triggers`);
    const form = page.getByRole("form", { name: "Create trigger" });
    await form.getByLabel("Kind").selectOption("webhook");
    await form.getByLabel("Plan").selectOption(plan.id);
    await form.getByLabel("Name (optional)").fill(title);
    const limit = form.getByLabel("Deliveries a minute (empty: the instance's default)");
    await limit.fill("0");
    await form.getByRole("button", { name: "Create trigger" }).click();
    await expectInvalid(form, limit, "Deliveries a minute must be a whole number of at least 1, or empty for the instance's default.");
    expect((await limit.getAttribute("aria-describedby"))?.split(" ").some((id) => id.startsWith("delivery-limit-help-"))).toBe(true);
    // past the API's own cap: its refusal names the field, and marks it
    await limit.fill("100000000");
    await form.getByRole("button", { name: "Create trigger" }).click();
    await expectInvalid(form, limit, /rate_limit_per_min/);
    expect(await made()).toEqual([]);
    await limit.fill("5");
    await form.getByRole("button", { name: "Create trigger" }).click();
    await expect.poll(async () => (await made()).map((t) => t.rate_limit_per_min)).toEqual([5]);
    await page.locator("tr", { hasText: title }).getByTestId("delivery-limit").filter({ hasText: /^At most 5 deliveries a minute$/ }).waitFor();
  });

  it("the API's refusal naming its field by key: a URL no notification may go to, added or edited, and a schedule that never fires", async () => {
    const url = `https://hooks.example.com/checked-${uid()}`;
    const sub = await apiCall<{ id: string }>(app, "POST", "/notifications/subscriptions", { url, events: ["task.failed"] });
    await page.goto(`${app.url}/settings?tab=notifications`);
    const add = page.getByRole("form", { name: "Add subscription" });
    await add.getByLabel("Endpoint URL").fill("http://127.0.0.1:9/x");
    await add.getByRole("button", { name: "Add subscription" }).click();
    await expectInvalid(add, add.getByLabel("Endpoint URL"), /this URL cannot receive notifications/);

    await page.locator(`tr[data-subscription-id="${sub.id}"]`).getByRole("button", { name: `Edit ${url}` }).click();
    const edit = page.getByRole("dialog", { name: "Edit subscription" });
    await edit.getByLabel("Endpoint URL").fill("http://localhost/x");
    await edit.getByRole("button", { name: "Save" }).click();
    await expectInvalid(edit, edit.getByLabel("Endpoint URL"), /this URL cannot receive notifications/);
    await page.keyboard.press("Escape");

    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Scheduled ${uid()}`, steps: [{ id: "a", agent: "writer", instructions: "@output ok" }] });
    const name = `Yearly ${uid()}`;
    await apiCall(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: {}, title: name });
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    const previewed = page.waitForResponse((r) => r.url().includes("/triggers/next-fires") && new URL(r.url()).searchParams.get("cron") === "0 0 30 2 *");
    await dialog.getByLabel("Cron expression").fill("0 0 30 2 *");
    await dialog.getByRole("button", { name: "Save" }).click();
    await expectInvalid(dialog, dialog.getByLabel("Cron expression"), /invalid cron/);
    // said once: the schedule's preview, which refuses it too, leaves that to the form's error
    await (await previewed).finished();
    await expect.poll(() => dialog.getByText(/invalid cron/).count()).toBe(1);
    await page.waitForTimeout(200);
    expect(await dialog.getByText(/invalid cron/).count()).toBe(1);
    await page.keyboard.press("Escape");
    expect(browser.problems).toEqual([]);
  });

  it("a plan's Run form, a task's answer and a rejection with no comment, and a plan's JSON", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Asks ${uid()}`,
      params: [{ name: "topic", required: true }],
      steps: [{ id: "ask", agent: "researcher", instructions: "@ask Which market?\n@output {{params.topic}}" }],
    });
    await page.goto(`${app.url}/plans/${plan.id}`);
    await page.getByRole("tab", { name: "Run" }).click();
    const run = page.getByRole("form", { name: "Run plan" });
    await run.getByLabel(/^topic/).fill("   ");
    await run.getByRole("button", { name: /^Run plan/ }).click();
    await expectInvalid(run, run.getByLabel(/^topic/), "Fill in topic.");
    await run.getByLabel(/^topic/).fill("otters");
    await run.getByRole("button", { name: /^Run plan/ }).click();
    await page.waitForURL(/\/tasks\/tsk_/);

    const panel = page.getByRole("region", { name: "Needs your input" });
    await panel.getByRole("button", { name: "Send answer" }).waitFor({ timeout: 20_000 });
    await panel.getByRole("button", { name: "Send answer" }).click();
    await expectInvalid(panel, panel.getByLabel("Your answer"), "Write an answer first.");

    await page.goto(`${app.url}/plans/${plan.id}`);
    const editor = page.getByLabel("Plan JSON");
    await editor.fill(JSON.stringify({ name: "x", steps: [{ id: "a", agent: "nobody" }] }));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("list", { name: "Validation errors" }).waitFor();
    expect(await editor.getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => editor.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.getByRole("button", { name: "Revert" }).click();
    expect(browser.problems).toEqual([]);
  });

  it("a review's rejection with no comment", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Reviewed ${uid()}`, steps: [{ id: "draft", agent: "writer", instructions: "@output a draft", approval: true }] });
    const task = await apiCall<{ id: string }>(app, "POST", `/plans/${plan.id}/run`, {});
    await expect.poll(async () => (await apiCall<{ pending: unknown[] }>(app, "GET", `/tasks/${task.id}`)).pending.length, { timeout: 20_000 }).toBe(1);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const panel = page.getByRole("region", { name: "Needs your input" });
    await panel.getByRole("button", { name: "Reject" }).click();
    await expectInvalid(panel, panel.getByLabel("Comment (for a rejection)"), "Write what should change first.");
  });
});
