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
    // the report's days are UTC days, whatever the browser's zone: the table says so
    await section.getByRole("button", { name: "By day" }).click();
    await section.getByRole("columnheader", { name: "Day (UTC)" }).waitFor();
    await section.getByRole("button", { name: "By month" }).click();
    await section.getByRole("columnheader", { name: "Month (UTC)" }).waitFor();
    expect(browser.problems).toEqual([]);
  });

  it("shows a form's own linked error, not the browser's bubble, for a field the browser would have checked itself", async () => {
    /** `field` is marked invalid, focused and described by the form's visible error `text`. */
    const expectOwnError = async (field: ReturnType<Page["getByLabel"]>, text: string | RegExp) => {
      await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
      const id = (await field.getAttribute("aria-describedby"))!.split(" ")[0];
      expect(await page.locator(`[id="${id}"]`).textContent()).toMatch(text);
      expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    };
    await page.goto(`${app.url}/`);
    // the agents are still on their way as Create is pressed (as on a slow link): the title's error still comes first
    let releaseAgents!: () => void;
    const agentsHeld = new Promise<void>((resolve) => (releaseAgents = resolve));
    await page.route(/\/api\/v1\/agents(\?|$)/, async (route) => {
      await agentsHeld;
      await route.continue();
    });
    await page.getByRole("button", { name: "Create task" }).click();
    const create = page.getByRole("dialog", { name: "Create task" });
    await create.getByRole("button", { name: "Create task" }).click();
    await expectOwnError(create.getByLabel("Title"), "Give the task a title.");
    releaseAgents();
    await page.unrouteAll({ behavior: "wait" });
    await page.keyboard.press("Escape");

    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: "New agent" }).click();
    const agent = page.getByRole("dialog", { name: "New agent" });
    await agent.getByLabel("Name").fill(`calm-${uid()}`);
    await agent.getByLabel("Max turns").fill("0");
    await page.keyboard.press("Enter");
    await expectOwnError(agent.getByLabel("Max turns"), /whole number of at least 1/);
    // an exponent typed through its unreadable middle ("1e") keeps every key: 1e3 is a thousand, not 3
    await agent.getByLabel("Max cost per task (USD)").pressSequentially("1e3");
    expect(await agent.getByLabel("Max cost per task (USD)").inputValue()).toBe("1e3");
    await page.keyboard.press("Escape");
    expect(browser.problems).toEqual([]);
  });

  it("refuses a limit or a price typed as something not a number, rather than saving it as no cap or $0", async () => {
    await apiCall(app, "PATCH", "/settings", { monthly_spend_cap: 40 });
    await page.goto(`${app.url}/settings?tab=limits`);
    const limits = page.locator('form[aria-labelledby="limits-title"]');
    const cap = limits.getByLabel("Monthly spend cap (USD)");
    await expect.poll(() => cap.inputValue()).toBe("40");
    await cap.fill("");
    // typed as a person types it (an exponent not finished): the browser shows the text, but its value reads "" as an empty field's
    await cap.pressSequentially("1e");
    expect(await cap.evaluate((el: HTMLInputElement) => el.validity.badInput)).toBe(true);
    await limits.getByRole("button", { name: "Save limits" }).click();
    await expect.poll(() => cap.getAttribute("aria-invalid")).toBe("true");
    expect(await limits.getByRole("alert").textContent()).toMatch(/not a number/);
    expect(await cap.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await apiCall<{ monthly_spend_cap: number | null }>(app, "GET", "/settings")).monthly_spend_cap).toBe(40);

    await page.goto(`${app.url}/settings?tab=pricing`);
    const price = page.getByRole("form", { name: "Set a price" });
    const model = `openai:typo-${uid()}`;
    await price.getByLabel("Model").fill(model);
    await price.getByLabel(/^Input/).fill("1");
    await price.getByLabel(/^Output/).pressSequentially("2.5e");
    // what was typed stays in the field to fix, rather than wiped as the value "" is written back
    expect(await price.getByLabel(/^Output/).evaluate((el: HTMLInputElement) => el.validity.badInput)).toBe(true);
    await price.getByRole("button", { name: "Save price" }).click();
    await expect.poll(() => price.getByLabel(/^Output/).getAttribute("aria-invalid")).toBe("true");
    const prices = await apiCall<{ items: { model: string }[] }>(app, "GET", "/pricing");
    expect(prices.items.some((p) => p.model === model)).toBe(false);
    expect(browser.problems).toEqual([]);
  });

  it("gives a page that failed on the server's fault the request id to report, and goes on after Try again", async () => {
    const list = (url: URL) => url.pathname === "/api/v1/agents";
    let lastServed = 0;
    await page.route(list, (route) => {
      lastServed = Date.now();
      return route.fulfill({ status: 500, contentType: "application/json", headers: { "x-request-id": "req-agents-500" }, body: JSON.stringify({ error: { code: "internal", message: "internal error", request_id: "req-agents-500" } }) });
    });
    try {
      await page.goto(`${app.url}/agents`);
      const alert = page.getByRole("alert").filter({ hasText: "internal error" });
      await alert.waitFor();
      expect(await alert.getByTestId("request-id").textContent()).toContain("req-agents-500");
      // the live feed's first connection reads the list again: that read fails too before the server is let answer
      await page.locator('.conn[data-state="open"]').first().waitFor();
      await expect.poll(() => Date.now() - lastServed, { timeout: 10_000 }).toBeGreaterThan(1000);
    } finally {
      await page.unroute(list);
    }
    await page.getByRole("alert").getByRole("button", { name: "Try again" }).click();
    await page.getByText("writer", { exact: true }).first().waitFor();
    expect(await page.getByTestId("request-id").count()).toBe(0);

    // a task's page that could not load shows nothing else: its error is the page's heading
    const task = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent: "writer", title: `Down ${uid()}`, description: "@output ok" });
    const detail = `**/api/v1/tasks/${task.id}`;
    await page.route(detail, (route) => route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { code: "internal", message: "internal error", request_id: "req-task-500" } }) }));
    try {
      await page.goto(`${app.url}/tasks/${task.id}`);
      await page.getByRole("heading", { level: 1, name: "Could not load this task" }).waitFor();
      expect(await page.getByTestId("request-id").textContent()).toContain("req-task-500");
    } finally {
      await page.unroute(detail);
    }
    expect(browser.problems).toEqual([]);
  });

  it("says a page whose code could not be fetched (the server down) could not load, and loads it on Try again or when gone to again", async () => {
    const chunk = (url: URL) => url.pathname.startsWith("/assets/agents-page-");
    const agentsOnceDown = async () => {
      await page.route(chunk, (route) => route.abort("connectionrefused"));
      try {
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
        await page.getByRole("alert").filter({ hasText: "Could not load this page" }).waitFor();
      } finally {
        await page.unroute(chunk);
      }
    };
    const agentsHeading = page.getByRole("heading", { name: "Agents", exact: true });
    await page.goto(`${app.url}/`);
    await agentsOnceDown();
    // all the page shows, so its heading
    await page.getByRole("heading", { level: 1, name: "Could not load this page" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Task table" }).click();
    await page.getByRole("heading", { name: "Task table" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
    await agentsHeading.waitFor();

    await page.goto(`${app.url}/`);
    await agentsOnceDown();
    await page.getByRole("alert").getByRole("button", { name: "Try again" }).click();
    await agentsHeading.waitFor();
    expect(browser.problems).toEqual([]);
  });

  it("shows a task that started between the table's first read and its live feed's first connection", async () => {
    const tag = `Feed race ${uid()}`;
    const feed = (url: URL) => url.pathname === "/api/v1/events";
    // the feed connects late: what happens before it is never sent on it
    await page.route(feed, async (route) => {
      await new Promise((r) => setTimeout(r, 2000));
      await route.continue();
    });
    try {
      const listed = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/tasks");
      await page.goto(`${app.url}/tasks?q=${encodeURIComponent(tag)}`);
      await listed;
      await apiCall(app, "POST", "/tasks", { agent: "writer", title: `${tag} one`, description: "@output ok" });
      await page.getByRole("link", { name: `${tag} one`, exact: true }).waitFor({ timeout: 10_000 });
    } finally {
      await page.unroute(feed);
    }
    expect(browser.problems).toEqual([]);
  });

  it("shows the address's agent filter in the task table's Agent select, though the agents arrive after it is drawn", async () => {
    const title = `Agent filter ${uid()}`;
    await apiCall(app, "POST", "/tasks", { agent: "writer", title, description: "@output ok" });
    const list = (url: URL) => url.pathname === "/api/v1/agents";
    await page.route(list, async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    try {
      await page.goto(`${app.url}/tasks?agent=writer`);
      await page.getByRole("link", { name: title, exact: true }).waitFor();
      const agent = page.getByLabel("Agent", { exact: true });
      await agent.locator("option", { hasText: "researcher" }).waitFor({ state: "attached" });
      expect(await agent.locator("option:checked").textContent()).toBe("writer");
    } finally {
      await page.unroute(list);
    }
    expect(browser.problems).toEqual([]);
  });

  it("says a link the API refuses outright names no task or page, with a way out rather than a Try again that cannot work", async () => {
    await page.goto(`${app.url}/tasks/tsk_${"a".repeat(3000)}`);
    await page.getByRole("heading", { name: "Task not found" }).waitFor();
    expect(await page.getByRole("button", { name: "Try again" }).count()).toBe(0);
    // a plan's and a conversation's addresses alike
    await page.goto(`${app.url}/plans/pln_${"a".repeat(3000)}`);
    await page.getByText("This plan was deleted, or never existed").waitFor();
    expect(await page.getByRole("button", { name: "Try again" }).count()).toBe(0);
    await page.goto(`${app.url}/chat/cnv_${"a".repeat(3000)}`);
    await page.getByRole("heading", { name: "Conversation not found" }).waitFor();
    expect(await page.getByRole("button", { name: "Try again" }).count()).toBe(0);

    await apiCall(app, "POST", "/tasks", { agent: "writer", title: `Bad cursor ${uid()}`, description: "@output ok" });
    await page.goto(`${app.url}/tasks?pages=garbage`);
    const alert = page.getByRole("alert").filter({ hasText: "This link does not name a page of tasks" });
    await alert.waitFor();
    expect(await alert.getByRole("button", { name: "Try again" }).count()).toBe(0);
    await alert.getByRole("button", { name: "Back to page 1" }).click();
    await page.locator("tr[data-task-id]").first().waitFor();
    expect(new URL(page.url()).searchParams.has("pages")).toBe(false);

    // a filter the list refuses: Clear filters, not a Try again that cannot work
    await page.goto(`${app.url}/tasks?status=bogus`);
    const refused = page.getByRole("alert").filter({ hasText: "This link's filters are not ones the list takes" });
    await refused.waitFor();
    expect(await refused.getByRole("button", { name: "Try again" }).count()).toBe(0);
    await refused.getByRole("button", { name: "Clear filters" }).click();
    await page.locator("tr[data-task-id]").first().waitFor();
    expect(new URL(page.url()).searchParams.has("status")).toBe(false);
    expect(browser.problems).toEqual([]);
  });

  it("gives the keyboard's focus to the next card's same button when the card whose dialog it came from is deleted", async () => {
    const tag = uid();
    for (const n of ["a", "b"]) await apiCall(app, "POST", "/agents", { name: `focus-${n}-${tag}`, model: "sim" });
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: `Delete focus-a-${tag}` }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Delete focus-a-${tag}?` });
    await dialog.getByRole("button", { name: "Delete agent" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: `Delete focus-a-${tag}` }).waitFor({ state: "detached" });
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.tagName);
    await expect.poll(focused).toBe(`Delete focus-b-${tag}`);
    // the keyboard goes on from there: Shift+Tab is that card's Edit
    await page.keyboard.press("Shift+Tab");
    expect(await focused()).toBe(`Edit focus-b-${tag}`);
    expect(browser.problems).toEqual([]);
  });

  it("wraps an agent's long name and model id inside its card on a small phone, a phone and a desktop", async () => {
    const name = `a-long-agent-name-that-keeps-going-on-and-on-${uid()}`;
    await apiCall(app, "POST", "/agents", { name, model: "openai:gpt-4o-mini-2024-07-18-with-a-long-suffix-of-its-own" });
    for (const width of [320, 375, 1280]) {
      await atWidth(width, async () => {
        await page.goto(`${app.url}/agents`);
        const card = page.getByRole("article", { name });
        await card.waitFor();
        // polled: on a loaded machine the page may still be settling its layout when the card first shows
        await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), { message: `at ${width}px` }).toBeLessThanOrEqual(0);
        const inside = () =>
          card.evaluate((c) => {
            const box = c.getBoundingClientRect();
            return [...c.querySelectorAll("header > *, p")].every((e) => e.getBoundingClientRect().right <= box.right + 0.5 && e.scrollWidth <= e.clientWidth + 0.5);
          });
        await expect.poll(inside, { message: `at ${width}px` }).toBe(true);
        await expect.poll(() => card.locator("h2").evaluate((h) => h.getBoundingClientRect().width), { message: `at ${width}px` }).toBeGreaterThan(150);
      });
    }
    expect(browser.problems).toEqual([]);
  });

  it("wraps a subscription's long URL inside its cell rather than over the columns beside it", async () => {
    const url = `https://hooks.example.com/services/T0000/B0000/${"x".repeat(90)}${uid()}`;
    const sub = await apiCall<{ id: string }>(app, "POST", "/notifications/subscriptions", { url, events: ["task.completed"] });
    for (const width of [375, 1280]) {
      await atWidth(width, async () => {
        await page.goto(`${app.url}/settings?tab=notifications`);
        const cell = page.locator(`tr[data-subscription-id="${sub.id}"] td`).first();
        await cell.locator("code").waitFor();
        const [code, box, next] = await Promise.all([
          // the text's own extent: a flex item's box keeps its width while its text runs past it
          cell.locator("code").evaluate((e) => {
            const r = document.createRange();
            r.selectNodeContents(e);
            return r.getBoundingClientRect().right;
          }),
          cell.locator(".cell-title").evaluate((e) => e.getBoundingClientRect().right),
          cell.evaluate((e) => e.nextElementSibling!.getBoundingClientRect().left),
        ]);
        expect(code, `at ${width}px`).toBeLessThanOrEqual(box + 0.5);
        expect(code, `at ${width}px`).toBeLessThanOrEqual(next);
      });
    }
    await apiCall(app, "DELETE", `/notifications/subscriptions/${sub.id}`);
  });

  it("keeps the spend chart's labels readable and apart on a phone, as on a desktop", async () => {
    for (const width of [375, 1280]) {
      await atWidth(width, async () => {
        await page.goto(`${app.url}/settings?tab=limits`);
        const section = page.locator('[data-section="spend"]');
        // about two months of days: more bars than a phone has room to label each
        await section.getByLabel("From", { exact: true }).fill(new Date(Date.now() - 65 * 86_400_000).toISOString().slice(0, 10));
        const chart = section.locator("svg.spend-chart");
        await expect.poll(() => chart.locator("rect").count()).toBeGreaterThan(60);
        const labels = await chart.locator("text").evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().toJSON() as DOMRect));
        for (const r of labels) expect(r.height, `at ${width}px`).toBeGreaterThanOrEqual(10);
        // the day labels along the bottom do not run into each other
        const bottom = labels.filter((r) => r.top >= Math.max(...labels.map((l) => l.top)) - 1).sort((a, b) => a.left - b.left);
        expect(bottom.length, `at ${width}px`).toBeGreaterThan(1);
        for (let i = 1; i < bottom.length; i++) expect(bottom[i].left, `at ${width}px`).toBeGreaterThan(bottom[i - 1].right);
      });
    }
    expect(browser.problems).toEqual([]);
  });
});
