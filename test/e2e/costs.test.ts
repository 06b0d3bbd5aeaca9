import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** Costs as a person reads them: a cent-fraction task beside a dollars one, and a spend table that adds up. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

/** A task of one web search by `agent`, priced at exactly `usd` (sim tokens free, the search at that price), finished. */
async function searchTask(agent: string, usd: number, title: string): Promise<{ id: string; cost: number }> {
  await apiCall(app, "PUT", "/pricing/sim", { input: 0, cache: 0, output: 0, web_search: 0, per_search: usd });
  const t = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent, title, description: "@search prices\n@output done" });
  await expect.poll(async () => (await apiCall<{ status: string }>(app, "GET", `/tasks/${t.id}`)).status, { timeout: 20_000 }).toBe("completed");
  return apiCall<{ id: string; cost: number }>(app, "GET", `/tasks/${t.id}`);
}

const decimals = (s: string) => s.split(".")[1]?.length ?? 0;
const nanos = (s: string) => Math.round(Number(s.replace(/[$,]/g, "")) * 1e9);

describe("costs", () => {
  it("shows a $0.0123 task beside a $12.34 one to the same decimals, and a spend table whose rows add up to its total", async () => {
    for (const name of ["costs-small", "costs-a", "costs-b"]) await apiCall(app, "POST", "/agents", { name, model: "sim", tools: ["web_search"] });
    const tag = uid();
    const big = await searchTask("researcher", 12.34, `Big ${tag}`);
    const small = await searchTask("costs-small", 0.0123, `Small ${tag}`);
    await searchTask("costs-a", 0.335, `Half a ${tag}`);
    await searchTask("costs-b", 0.335, `Half b ${tag}`);
    expect([big.cost, small.cost]).toEqual([12.34, 0.0123]);

    // the table: one column, the decimals of its smallest cost's two significant digits, the exact amount on hover
    await page.goto(`${app.url}/tasks?q=${tag}`);
    const cost = (title: string) => page.locator("tr", { hasText: title }).locator("td.num").last();
    await expect.poll(() => cost(`Small ${tag}`).textContent()).toBe("$0.012");
    expect(await cost(`Big ${tag}`).textContent()).toBe("$12.340");
    expect(await cost(`Half a ${tag}`).textContent()).toBe("$0.335");
    expect(await cost(`Small ${tag}`).getAttribute("title")).toBe("$0.0123");

    // a card shows its own cost: cents, or the two significant digits of less than a dime
    await page.goto(`${app.url}/?q=${tag}`);
    const card = (title: string) => page.getByRole("article", { name: title }).locator("div", { has: page.locator("dt", { hasText: "Cost" }) }).locator("dd");
    await expect.poll(() => card(`Small ${tag}`).textContent()).toBe("$0.012");
    expect(await card(`Big ${tag}`).textContent()).toBe("$12.34");

    // spend by agent: every row to the same decimals, and they add up to the total shown
    await page.goto(`${app.url}/settings?tab=limits`);
    await page.getByRole("button", { name: "By agent" }).click();
    const section = page.locator('[data-section="spend"]');
    await section.locator("tbody th", { hasText: "costs-b" }).waitFor();
    const rows = await section.locator("tbody tr td.num:last-child").allTextContents();
    const total = (await section.getByTestId("spend-total").textContent())!;
    expect(total).toBe("$13.022");
    expect(rows.map(decimals)).toEqual(rows.map(() => decimals(total)));
    expect(rows.reduce((n, r) => n + nanos(r), 0)).toBe(nanos(total));
    expect(browser.problems).toEqual([]);
  });

  it("shows each step's cost on a task's page on a phone, as on a desktop", async () => {
    const task = await searchTask("researcher", 0.25, `Phone ${uid()}`);
    try {
      for (const width of [390, 600, 1280]) {
        await page.setViewportSize({ width, height: 844 });
        await page.goto(`${app.url}/tasks/${task.id}`);
        const cost = page.locator(".step-row .step-cost").first();
        await cost.waitFor();
        expect(await cost.isVisible(), `at ${width}px`).toBe(true);
        expect(await cost.textContent()).toBe("$0.25");
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `at ${width}px`).toBe(true);
      }
    } finally {
      await page.setViewportSize({ width: 1400, height: 950 });
    }
  });
});
