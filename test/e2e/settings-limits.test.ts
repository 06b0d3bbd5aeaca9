import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiCall, shot, uid, type App, type Browser, useDashboard } from "./helpers";

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

describe("Settings › Limits & spend", () => {
  it("saves the organization's limits and charts its spend by day, agent and model", async () => {
    const title = `spend ${uid()}`;
    const task = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent: "researcher", title, description: "@search costs\n@output done" });
    for (let i = 0; i < 200; i++) {
      const t = await apiCall<{ status: string }>(app, "GET", `/tasks/${task.id}`);
      if (t.status === "completed") break;
      await new Promise((r) => setTimeout(r, 50));
    }

    await page.goto(`${app.url}/settings?tab=limits`);
    await page.getByLabel("Concurrent tasks").fill("7");
    await page.getByLabel("Monthly spend cap (USD)").fill("12.5");
    await page.getByRole("button", { name: "Save limits" }).click();
    await expect
      .poll(async () => (await apiCall<{ max_concurrent_tasks: number | null; monthly_spend_cap: number | null }>(app, "GET", "/settings")), { interval: 100, timeout: 10_000 })
      .toMatchObject({ max_concurrent_tasks: 7, monthly_spend_cap: 12.5 });

    const chart = page.locator("svg.spend-chart");
    await chart.waitFor();
    expect(await chart.getAttribute("aria-label")).toMatch(/in total/);
    // Names show as they are, never upper-cased: model ids are case-sensitive.
    const rowName = (name: string) => page.locator("table tbody th", { hasText: name }).first();
    await page.getByRole("button", { name: "By model" }).click();
    await rowName("sim").waitFor();
    expect(await rowName("sim").innerText()).toBe("sim");
    await page.getByRole("button", { name: "By agent" }).click();
    await rowName("researcher").waitFor();
    expect(await rowName("researcher").innerText()).toBe("researcher");
    // a task made from an agent alone is under no plan
    await page.getByRole("button", { name: "By plan" }).click();
    await rowName("No saved plan").waitFor();
    await page.getByRole("button", { name: "By month" }).click();
    await rowName(new Date().toISOString().slice(0, 7)).waitFor();
    await shot(page, "settings-limits-spend");

    // Over the cap, the month's line says by how much and what it means for the tasks, not a flat 100%.
    const monthSpent = async () => (await apiCall<{ month: { spent: number } }>(app, "GET", "/spend")).month.spent;
    await expect.poll(monthSpent, { interval: 100, timeout: 10_000 }).toBeGreaterThan(0);
    await apiCall(app, "PATCH", "/settings", { monthly_spend_cap: Number(((await monthSpent()) / 2).toFixed(9)) });
    await page.reload();
    const month = page.getByTestId("month-spend");
    await expect.poll(() => month.innerText(), { interval: 100, timeout: 10_000 }).toMatch(/\((199|[2-9]\d\d|\d{4,})%\)/);
    expect(await page.getByTestId("cap-reached").innerText()).toMatch(/Raising the cap lets them go on/);
    await apiCall(app, "PATCH", "/settings", { monthly_spend_cap: 12.5 });
    expect(browser.problems).toEqual([]);
  });
});
