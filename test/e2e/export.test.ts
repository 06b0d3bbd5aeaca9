import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, launchBrowser, shot, signIn, startApp, uid, type App, type Browser } from "./helpers";

let app: App;
let browser: Browser;
let page: Page;
const tag = uid();
const titles = [`Export ${tag} a`, `Export ${tag}, "b"`, `Export ${tag} c`];

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  page = browser.page;
  await signIn(page, app);
  for (const title of titles) {
    const t = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent: "researcher", title, description: "@output ok" });
    for (let i = 0; i < 200; i++) {
      if ((await apiCall<{ status: string }>(app, "GET", `/tasks/${t.id}`)).status === "completed") break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const rowTitles = () => page.locator("tr[data-task-id] .cell-title a").allTextContents();

async function download(label: string): Promise<string> {
  await page.getByText("Export", { exact: true }).click();
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("menuitem", { name: label }).click()]);
  return readFileSync((await file.path())!, "utf8");
}

describe("task table: sort, date range and export", () => {
  it("sorts oldest first, filters by date, and keeps both in the URL", async () => {
    await page.goto(`${app.url}/tasks?q=${encodeURIComponent(`Export ${tag}`)}`);
    await expect.poll(rowTitles).toEqual([...titles].reverse());
    await page.getByLabel("Sort").selectOption("oldest");
    await expect.poll(rowTitles).toEqual(titles);
    expect(page.url()).toContain("sort=oldest");

    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel("Created from").fill(today);
    await page.getByLabel("Created to").fill(today);
    await expect.poll(() => page.url()).toContain(`created_to=${today}`);
    await expect.poll(rowTitles).toEqual(titles);
    await page.getByLabel("Created from").fill("2001-01-01");
    await page.getByLabel("Created to").fill("2001-01-02");
    await page.getByText("No tasks match these filters").waitFor();
    await page.getByLabel("Created from").fill(today);
    await page.getByLabel("Created to").fill(today);
    await expect.poll(rowTitles).toEqual(titles);
    await shot(page, "export-01-sorted");
  });

  it("downloads the filtered list in the table's order as CSV and JSON", async () => {
    const csv = await download("Download CSV");
    const lines = csv.split("\r\n").filter(Boolean);
    expect(lines[0]).toMatch(/^id,title,status,source,/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`,${titles[0]},completed,`);
    expect(lines[2]).toContain(`,"Export ${tag}, ""b""",completed,`);
    expect(lines[3]).toContain(`,${titles[2]},completed,`);

    const json = JSON.parse(await download("Download JSON")) as { title: string; status: string }[];
    expect(json.map((t) => t.title)).toEqual(titles);
    expect(json.every((t) => t.status === "completed")).toBe(true);
    await page.getByRole("button", { name: "Clear filters" }).press("Enter");
    expect(page.url()).not.toContain("sort=");
    // the button goes with the filters: the search box takes the focus, not the page's start
    await page.getByRole("button", { name: "Clear filters" }).waitFor({ state: "detached" });
    expect(await page.getByLabel("Search tasks by name").evaluate((el) => el === document.activeElement)).toBe(true);
    expect(browser.problems).toEqual([]);
  });

  it("works the Export menu by keyboard, and closes it with Escape, a download or a click elsewhere", async () => {
    await page.goto(`${app.url}/tasks`);
    const summary = page.getByText("Export", { exact: true });
    const menu = page.getByRole("menu", { name: "Export the filtered list" });
    await summary.focus();
    await page.keyboard.press("Enter");
    await menu.waitFor();
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Download CSV");
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Download JSON");
    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Export");
    // a download closes the menu back to its button too
    await page.keyboard.press("Enter");
    await page.keyboard.press("ArrowDown");
    await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    await menu.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Export");
    await summary.click();
    await menu.waitFor();
    await page.getByRole("heading", { name: "Task table" }).click();
    await menu.waitFor({ state: "hidden" });
  });

  it("takes From and To as days of the browser's time zone, in the list and the export", async () => {
    // twelve hours off UTC, on the side that puts the browser's date on another day than UTC's
    const zone = new Date().getUTCHours() < 12 ? "Etc/GMT+12" : "Etc/GMT-12";
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setTimezoneOverride", { timezoneId: zone });
    try {
      await page.goto(`${app.url}/tasks?q=${encodeURIComponent(`Export ${tag}`)}`);
      await expect.poll(rowTitles).toEqual([...titles].reverse());
      const day = await page.evaluate(() => new Date().toLocaleDateString("en-CA"));
      expect(day).not.toBe(new Date().toISOString().slice(0, 10));
      await page.getByLabel("Created from").fill(day);
      await page.getByLabel("Created to").fill(day);
      await expect.poll(() => page.url()).toContain(`created_to=${day}`);
      await expect.poll(rowTitles).toEqual([...titles].reverse());
      const json = JSON.parse(await download("Download JSON")) as { title: string }[];
      expect(json.map((t) => t.title)).toEqual([...titles].reverse());
      // a date that is no day of the calendar is refused, not read as another day
      await page.goto(`${app.url}/tasks?created_from=2026-13-45`);
      await page.getByText("This link's filters are not ones the list takes").waitFor();
    } finally {
      await cdp.send("Emulation.setTimezoneOverride", { timezoneId: "" });
      await cdp.detach();
    }
  });

  it("shows tasks created while the last page of an oldest-first walk is open at its end, and enables Next once it is full", async () => {
    const walk = `Walk ${uid()}`;
    const create = (i: number) => apiCall(app, "POST", "/tasks", { agent: "researcher", title: `${walk} ${i}`, description: "@output ok" });
    for (let i = 0; i < 21; i++) await create(i);
    await page.goto(`${app.url}/tasks?sort=oldest&q=${encodeURIComponent(walk)}`);
    await expect.poll(() => page.locator("tr[data-task-id]").count()).toBe(20);
    await page.getByRole("button", { name: "Next page, Tasks" }).click();
    await expect.poll(rowTitles).toEqual([`${walk} 20`]);
    await create(21);
    await expect.poll(rowTitles).toEqual([`${walk} 20`, `${walk} 21`]);
    for (let i = 22; i < 41; i++) await create(i);
    await expect.poll(() => page.getByRole("button", { name: "Next page, Tasks" }).isEnabled()).toBe(true);
    expect(browser.problems).toEqual([]);
  });
});
