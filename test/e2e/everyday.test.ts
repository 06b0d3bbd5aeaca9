import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** What a person using the dashboard every day notices: the same words everywhere, figures in reach on a phone, the forms' own errors. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

type Created = { id: string; status: string };

async function atWidth(width: number, fn: () => Promise<void>): Promise<void> {
  await page.setViewportSize({ width, height: 800 });
  try {
    await fn();
  } finally {
    await page.setViewportSize({ width: 1400, height: 950 });
  }
}

describe("everyday dashboard", () => {
  it("names a status with the board's words in the task table, its status filter and the inbox", async () => {
    const title = `Words ${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@ask Which one?\n@output ok" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("needs_input");

    await page.goto(`${app.url}/`);
    const card = page.locator(`section[data-group="needs_input"] article[data-task-id="${task.id}"]`);
    await card.waitFor({ timeout: 20_000 });
    expect((await card.locator(".badge").first().textContent())?.trim()).toBe("Approval Required");
    const boardWords = (await page.locator("section[data-group] h2").allTextContents()).map((w) => w.trim());

    await page.goto(`${app.url}/tasks`);
    const row = page.locator(`tr[data-task-id="${task.id}"]`);
    await expect.poll(async () => (await row.locator(".badge").textContent())?.trim()).toBe("Approval Required");
    // the filter's options in the board's order and words; the address keeps the API's word
    const status = page.getByLabel("Status", { exact: true });
    const options = (await status.locator("option").allTextContents()).slice(1);
    expect(options).toEqual(boardWords);
    await status.selectOption({ label: "Approval Required" });
    await expect.poll(() => new URL(page.url()).searchParams.get("status")).toBe("needs_input");
    await row.waitFor();
    expect(await page.locator("tbody").textContent()).not.toMatch(/needs_input|in_progress/);

    await page.getByRole("button", { name: /wait(s)? for input/ }).click();
    const inbox = page.getByRole("dialog", { name: "Waiting for you" });
    expect(await inbox.locator(".inbox-head strong").textContent()).toBe("Approval Required");
    await page.keyboard.press("Escape");
    expect(browser.problems).toEqual([]);
  });

  it("keeps the spend table's total and each row's cost in a phone's width, and a table's columns on a desktop", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Spend ${uid()}`, description: "@output ok" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    const section = page.locator('[data-section="spend"]');
    const wrap = section.locator(".table-wrap");
    /** How far `el`'s right edge lies past the table's box: what a person would have to scroll sideways to see. */
    const past = (sel: string) => section.locator(sel).first().evaluate((el) => el.getBoundingClientRect().right - el.closest(".table-wrap")!.getBoundingClientRect().right);
    for (const width of [375, 1280]) {
      await atWidth(width, async () => {
        await page.goto(`${app.url}/settings?tab=limits`);
        await section.getByRole("button", { name: "By agent" }).click();
        await section.locator("tbody th", { hasText: "writer" }).waitFor();
        expect(await wrap.evaluate((w) => w.scrollWidth - w.clientWidth), `at ${width}px`).toBeLessThanOrEqual(0);
        expect(await past('[data-testid="spend-total"]'), `at ${width}px`).toBeLessThanOrEqual(0);
        expect(await past("tbody tr td:last-child"), `at ${width}px`).toBeLessThanOrEqual(0);
        expect(await section.getByTestId("spend-total").isVisible()).toBe(true);
        // still a table to a screen reader: each figure is a cell under its column's header
        const row = section.getByRole("row", { name: /writer/ });
        expect(await row.getByRole("cell").count()).toBe(5);
        expect(await section.getByRole("columnheader", { name: "Cost" }).count()).toBe(1);
      });
    }
    expect(browser.problems).toEqual([]);
  });
});
