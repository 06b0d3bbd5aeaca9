import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** What a viewer sees: admin-only sections say so, and what a viewer may not do is disabled with the reason. */

let app: App;
let browser: Browser;
let page: Page;
let planId = "";

useDashboard((d) => ({ app, browser, page } = d));

beforeAll(async () => {
  const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Viewed ${uid()}`, params: [{ name: "topic" }], steps: [{ id: "write", agent: "writer", instructions: "@output ok" }] });
  planId = plan.id;
  await apiCall(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 9 * * 1", inputs: {} });
  const viewer = await apiCall<{ token: string }>(app, "POST", "/tokens", { name: `viewer-${uid()}`, role: "viewer" });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("API token").fill(viewer.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
});

describe("a viewer", () => {
  it("is told that API tokens and the audit log are for admins, not shown an error", async () => {
    for (const [tab, text] of [
      ["tokens", "Only admins see and manage API tokens."],
      ["audit", "Only admins read the audit log."],
      ["notifications", "Only admins manage webhook subscriptions."],
    ]) {
      await page.goto(`${app.url}/settings?tab=${tab}`);
      await page.getByRole("note").filter({ hasText: text }).waitFor();
      expect(await page.getByText("Something went wrong").count()).toBe(0);
    }
  });

  it("sees the plan Run form disabled, with the reason", async () => {
    await page.goto(`${app.url}/plans/${planId}`);
    await page.getByRole("note").filter({ hasText: "Only admins edit plans" }).waitFor();
    expect(await page.getByRole("button", { name: "Delete", exact: true }).count()).toBe(0);
    await page.getByRole("tab", { name: "Run" }).click();
    await page.getByRole("note").filter({ hasText: "Viewers cannot run plans" }).waitFor();
    expect(await page.getByRole("button", { name: /^Run plan/ }).isDisabled()).toBe(true);
    expect(await page.getByLabel(/^topic/).isDisabled()).toBe(true);
  });

  it("is told why the chat composer is disabled, and why triggers and prices have no controls", async () => {
    await page.goto(`${app.url}/chat`);
    await page.getByRole("note").filter({ hasText: "Viewers can read conversations" }).waitFor();
    expect(await page.getByLabel("Message to the planner").isDisabled()).toBe(true);
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.locator("#settings-panel table").waitFor();
    expect(await page.getByRole("button", { name: /Run now|Pause|Delete/ }).count()).toBe(0);
    await page.getByRole("note").filter({ hasText: "Only admins create, edit, pause and delete triggers." }).waitFor();
    await page.goto(`${app.url}/settings?tab=pricing`);
    await page.getByRole("note").filter({ hasText: "Only admins set prices." }).waitFor();
  });

  it("sees a finished task's Rerun disabled, with the reason", async () => {
    const task = await apiCall<{ id: string }>(app, "POST", `/plans/${planId}/run`, { inputs: { topic: "x" } });
    await expect.poll(async () => (await apiCall<{ status: string }>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    await page.goto(`${app.url}/tasks/${task.id}`);
    await page.getByRole("note").filter({ hasText: "Viewers cannot rerun tasks" }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole("button", { name: "Rerun…" }).isDisabled()).toBe(true);
  });

  it("sees what a task waits for with its controls disabled, and the reason", async () => {
    const task = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent: "writer", title: `Over budget ${uid()}`, description: "@output ok", max_cost: 0.0000001 });
    await expect.poll(async () => (await apiCall<{ pending: { kind: string }[] }>(app, "GET", `/tasks/${task.id}`)).pending[0]?.kind, { timeout: 20_000 }).toBe("budget");
    await page.goto(`${app.url}/tasks/${task.id}`);
    const panel = page.getByRole("region", { name: "Needs your input" });
    await panel.getByRole("note").filter({ hasText: "Viewers cannot answer" }).waitFor({ timeout: 20_000 });
    expect(await panel.getByLabel("New limit (USD)").isDisabled()).toBe(true);
    expect(await panel.getByRole("button", { name: "Stop" }).isDisabled()).toBe(true);
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("saw no CSP violations or page errors", () => {
    expect(browser.problems).toEqual([]);
  });
});

describe("a token whose role changes while its dashboard is open", () => {
  it("shows the new role's controls without a reload: at the first refusal, and when the tab is looked at again", async () => {
    const name = `member-${uid()}`;
    const member = await apiCall<{ id: string; token: string }>(app, "POST", "/tokens", { name, role: "member" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").fill(member.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
    const whoami = page.locator(".whoami");
    await whoami.filter({ hasText: `${name} · member` }).waitFor();
    const create = page.locator(".page-head").getByRole("button", { name: "Create task" });
    await create.waitFor();

    // demoted: the page still offers what a member could do, until it is refused; the refusal says why, and the page follows
    await apiCall(app, "PATCH", `/tokens/${member.id}`, { role: "viewer" });
    await create.click();
    const dialog = page.getByRole("dialog", { name: "Create task" });
    await dialog.getByLabel("Title").fill("refused");
    await dialog.getByRole("button", { name: "Create task" }).click();
    await dialog.getByText("this action needs the member role; this token is viewer").waitFor();
    await whoami.filter({ hasText: `${name} · viewer` }).waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => create.count()).toBe(0);

    // promoted: nothing is refused, so the page reads its session again when it is looked at again
    await apiCall(app, "PATCH", `/tokens/${member.id}`, { role: "admin" });
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await whoami.filter({ hasText: `${name} · admin` }).waitFor();
    await create.waitFor();
    expect(browser.problems).toEqual([]);
  });
});
