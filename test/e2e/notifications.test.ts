import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, shot, uid, type App, type Browser, useDashboard } from "./helpers";

interface Task {
  id: string;
  status: string;
  session_id: string;
  pending: { call_id: string }[];
}

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

async function waitFor(id: string, status: string): Promise<Task> {
  for (let i = 0; i < 200; i++) {
    const t = await apiCall<Task>(app, "GET", `/tasks/${id}`);
    if (t.status === status) return t;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${id} never reached ${status}`);
}

const badge = () => page.locator(".inbox-button");
const count = () => page.getByTestId("inbox-count");
/** The badge's number, 0 when it is hidden; never waits (the badge may go between a check and a read). */
const shown = async () => Number((await count().allTextContents())[0] ?? 0);

describe("notifications in the dashboard", () => {
  it("adds a webhook subscription, shows its secret once, and lists it", async () => {
    await page.goto(`${app.url}/settings?tab=notifications`);
    await page.getByRole("heading", { name: "Webhook subscriptions" }).waitFor();
    const url = `https://hooks.example.com/fd-${uid()}`;
    await page.getByLabel("Endpoint URL").fill(url);
    await page.getByLabel("Description").fill("on-call");
    await page.getByRole("button", { name: "Add subscription" }).click();
    const dialog = page.getByRole("dialog", { name: "Signing secret" });
    const secret = await dialog.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await shot(page, "notifications-01-secret");
    await dialog.getByRole("button", { name: "I have copied it" }).click();
    const row = page.locator("tr[data-subscription-id]", { hasText: url });
    await row.waitFor();
    await expect(row.locator(".tag").allTextContents()).resolves.toEqual(["task.completed", "task.failed", "task.needs_input"]);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);

    // Disabling through the checkbox sticks.
    await row.getByRole("checkbox").uncheck();
    await expect.poll(async () => (await apiCall<{ items: { url: string; enabled: boolean }[] }>(app, "GET", "/notifications/subscriptions")).items.find((s) => s.url === url)?.enabled).toBe(false);
    await row.getByRole("checkbox").check();
    await expect.poll(async () => (await apiCall<{ items: { url: string; enabled: boolean }[] }>(app, "GET", "/notifications/subscriptions")).items.find((s) => s.url === url)?.enabled).toBe(true);
  });

  it("gives the focus back to Add subscription once its signing secret is copied", async () => {
    await page.goto(`${app.url}/settings?tab=notifications`);
    await page.getByLabel("Endpoint URL").fill(`https://hooks.example.com/keyed-${uid()}`);
    const add = page.getByRole("button", { name: "Add subscription" });
    await add.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Signing secret" });
    await dialog.getByRole("button", { name: "I have copied it" }).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => add.evaluate((el) => el === document.activeElement), { message: "focus back on Add subscription" }).toBe(true);
  });

  it("edits a subscription's URL, description and events, shows the API's refusal, and sends a test message", async () => {
    const url = `https://hooks.example.com/edit-${uid()}`;
    const created = await apiCall<{ id: string; secret: string }>(app, "POST", "/notifications/subscriptions", { url, events: ["task.failed"], description: "before" });
    await page.goto(`${app.url}/settings?tab=notifications`);
    const row = page.locator(`tr[data-subscription-id="${created.id}"]`);
    await row.getByRole("button", { name: `Edit ${url}` }).click();
    const dialog = page.getByRole("dialog", { name: "Edit subscription" });
    expect(await dialog.getByLabel("Endpoint URL").inputValue()).toBe(url);
    expect(await dialog.getByLabel("Description").inputValue()).toBe("before");
    await dialog.getByLabel("Endpoint URL").fill("ftp://hooks.example.com/nope");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("this URL cannot receive notifications").waitFor();

    const moved = `${url}/moved`;
    await dialog.getByLabel("Endpoint URL").fill(moved);
    await dialog.getByLabel("Description").fill("after");
    await dialog.getByRole("checkbox", { name: "task.failed" }).uncheck();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("Pick at least one event.").waitFor();
    await dialog.getByRole("checkbox", { name: "task.completed" }).check();
    await dialog.getByRole("checkbox", { name: "task.needs_input" }).check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => row.locator(".tag").allTextContents()).toEqual(["task.completed", "task.needs_input"]);
    expect(await row.textContent()).toContain(moved);
    expect(await row.textContent()).toContain("after");
    const saved = await apiCall<{ url: string; description: string; events: string[]; enabled: boolean }>(app, "GET", `/notifications/subscriptions/${created.id}`);
    expect(saved).toMatchObject({ url: moved, description: "after", events: ["task.completed", "task.needs_input"], enabled: true });

    // Send test: its host does not take deliveries from here, and the toast says so
    const sendTest = row.getByRole("button", { name: `Send a test message to ${moved}` });
    await sendTest.click();
    await page.getByText(`Test message not delivered to ${moved}`).waitFor({ timeout: 15_000 });
    // off while it sent, the button takes the focus back after
    await expect.poll(() => sendTest.evaluate((el) => el === document.activeElement)).toBe(true);
    await apiCall(app, "DELETE", `/notifications/subscriptions/${created.id}`);
  });

  it("rotates a subscription's secret after asking, and shows the new one once", async () => {
    const url = `https://hooks.example.com/rot-${uid()}`;
    const created = await apiCall<{ id: string; secret: string }>(app, "POST", "/notifications/subscriptions", { url, events: ["task.failed"] });
    await page.goto(`${app.url}/settings?tab=notifications`);
    const row = page.locator("tr[data-subscription-id]", { hasText: url });
    await row.getByRole("button", { name: `Rotate the secret of ${url}` }).click();
    const confirm = page.getByRole("dialog", { name: "Rotate the signing secret?" });
    await confirm.getByRole("button", { name: "Keep" }).click();
    await confirm.waitFor({ state: "detached" });
    await row.getByRole("button", { name: `Rotate the secret of ${url}` }).click();
    await confirm.getByRole("button", { name: "Rotate secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Signing secret" });
    const secret = await dialog.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secret).not.toBe(created.secret);
    await dialog.getByRole("button", { name: "I have copied it" }).click();
    const audit = await apiCall<{ items: { action: string; target: { id: string } }[] }>(app, "GET", "/audit");
    expect(audit.items.filter((a) => a.target.id === created.id).map((a) => a.action)).toContain("subscription.rotate_secret");
    await apiCall(app, "DELETE", `/notifications/subscriptions/${created.id}`);
  });

  it("deletes a subscription only once asked, and Keep keeps it", async () => {
    const url = `https://hooks.example.com/del-${uid()}`;
    const created = await apiCall<{ id: string }>(app, "POST", "/notifications/subscriptions", { url, events: ["task.failed"] });
    const exists = async () => (await apiCall<{ items: { id: string }[] }>(app, "GET", "/notifications/subscriptions")).items.some((s) => s.id === created.id);
    await page.goto(`${app.url}/settings?tab=notifications`);
    const row = page.locator("tr[data-subscription-id]", { hasText: url });
    await row.getByRole("button", { name: `Delete ${url}` }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this subscription?" });
    await confirm.getByRole("button", { name: "Keep" }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await exists()).toBe(true);
    await row.getByRole("button", { name: `Delete ${url}` }).click();
    await confirm.getByRole("button", { name: "Delete subscription" }).click();
    await row.waitFor({ state: "detached" });
    expect(await exists()).toBe(false);
  });

  it("shows the truth when a change fails: a subscription deleted elsewhere leaves the table", async () => {
    const url = `https://hooks.example.com/gone-${uid()}`;
    const created = await apiCall<{ id: string }>(app, "POST", "/notifications/subscriptions", { url, events: ["task.failed"] });
    await page.goto(`${app.url}/settings?tab=notifications`);
    const row = page.locator("tr[data-subscription-id]", { hasText: url });
    await row.waitFor();
    await apiCall(app, "DELETE", `/notifications/subscriptions/${created.id}`);
    // a click, not uncheck(): uncheck() reads the box again after its click, and the row may be gone by then
    await row.getByRole("checkbox").click();
    await page.getByText("subscription not found").waitFor();
    await row.waitFor({ state: "detached" });
  });

  it("counts what waits for input in the badge, live, and lists it with a link to the task", async () => {
    await page.goto(`${app.url}/tasks`);
    await page.locator('.conn[data-state="open"]').first().waitFor();
    const before = await shown();
    const title = `Needs you ${uid()}`;
    const created = await apiCall<Task>(app, "POST", "/tasks", { agent: "researcher", title, description: "@ask Which market?\n@output ok" });
    const waiting = await waitFor(created.id, "needs_input");
    await expect.poll(shown, { timeout: 15_000 }).toBe(before + 1);
    expect(await badge().getAttribute("aria-label")).toMatch(/wait/);

    // the keyboard: the bell opens its list with the focus on the first task, Tab keeps to the list, Escape closes it back to the bell
    await badge().focus();
    await page.keyboard.press("Enter");
    const panel = page.getByRole("dialog", { name: "Waiting for you" });
    const item = panel.getByRole("link", { name: new RegExp(title) });
    await item.waitFor();
    expect(await item.textContent()).toContain("Which market?");
    await shot(page, "notifications-02-inbox");
    const inPanel = () => page.evaluate(() => !!document.activeElement?.closest("#inbox-panel"));
    await expect.poll(inPanel).toBe(true);
    const links = await panel.getByRole("link").count();
    for (const key of ["Tab", "Shift+Tab"]) {
      for (let i = 0; i <= links; i++) {
        await page.keyboard.press(key);
        expect(await inPanel(), `${key} ${i + 1} over ${links} links`).toBe(true);
      }
    }
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.classList.contains("inbox-button"))).toBe(true);
    await badge().click();
    await item.click();
    await page.waitForURL(`**/tasks/${created.id}`);
    await expect(panel.isVisible()).resolves.toBe(false);

    await apiCall(app, "POST", `/sessions/${waiting.session_id}/respond`, { call_id: waiting.pending[0].call_id, answers: ["EU"] });
    await waitFor(created.id, "completed");
    await expect.poll(shown, { timeout: 15_000 }).toBe(before);
  });

  it("keeps the keyboard in the bell's list when the task focused there is answered elsewhere, and Escape gives it back to the bell", async () => {
    await page.goto(`${app.url}/tasks`);
    await page.locator('.conn[data-state="open"]').first().waitFor();
    const tag = uid();
    const made: Task[] = [];
    for (const n of [0, 1]) made.push(await apiCall<Task>(app, "POST", "/tasks", { agent: "researcher", title: `Answered elsewhere ${tag} ${n}`, description: "@ask Which?\n@output ok" }));
    const waiting = await Promise.all(made.map((t) => waitFor(t.id, "needs_input")));
    await badge().focus();
    await page.keyboard.press("Enter");
    const panel = page.getByRole("dialog", { name: "Waiting for you" });
    const link = (n: number) => panel.getByRole("link", { name: new RegExp(`Answered elsewhere ${tag} ${n}`) });
    await link(1).waitFor({ timeout: 15_000 });
    await link(0).waitFor();
    await link(0).focus();
    const answer = (t: Task) => apiCall(app, "POST", `/sessions/${t.session_id}/respond`, { call_id: t.pending[0].call_id, answers: ["ok"] });
    const focus = () => page.evaluate(() => (document.activeElement?.closest("#inbox-panel") ? "in the list" : document.activeElement?.tagName));
    await answer(waiting[0]);
    await link(0).waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(focus).toBe("in the list");
    await link(1).focus();
    await answer(waiting[1]);
    await link(1).waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(focus).toBe("in the list");
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.classList.contains("inbox-button"))).toBe(true);
  });

  /** The delivery log's rows for a task, refreshed until there are at least `atLeast` of them. */
  async function deliveryRows(taskId: string, atLeast: number) {
    await page.goto(`${app.url}/settings?tab=notifications`);
    const rows = page.locator("table[aria-label=Deliveries] tr", { has: page.getByRole("link", { name: taskId }) });
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return rows.count();
      }, { timeout: 30_000, interval: 500 })
      .toBeGreaterThanOrEqual(atLeast);
    return rows;
  }

  it("shows every delivery attempt in the delivery log", async () => {
    const title = `Logged ${uid()}`;
    const created = await apiCall<Task>(app, "POST", "/tasks", { agent: "researcher", title, description: "@output done" });
    await waitFor(created.id, "completed");
    // The subscription's host is not reachable from here: the attempt fails and is scheduled again.
    const row = await deliveryRows(created.id, 1);
    expect(await row.first().getAttribute("data-outcome")).toBe("retrying");
    expect(await row.first().textContent()).toContain("task.completed");
    expect(await row.first().textContent()).toMatch(/next/);
    await shot(page, "notifications-03-log");

    // The filters ask the API again: only what matches shows, and a filter nothing matches says so.
    const filters = page.getByRole("group", { name: "Filter deliveries" });
    await filters.getByLabel("Outcome").selectOption("delivered");
    await row.first().waitFor({ state: "detached" });
    await filters.getByLabel("Outcome").selectOption("retrying");
    await row.first().waitFor();
    expect(await page.locator("table[aria-label=Deliveries] tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-outcome")))).toEqual(
      expect.arrayContaining(["retrying"]),
    );
    expect(await page.locator("table[aria-label=Deliveries] tbody tr:not([data-outcome=retrying])").count()).toBe(0);
    await filters.getByLabel("Event").selectOption("task.failed");
    await row.first().waitFor({ state: "detached" });
    await filters.getByLabel("Event").selectOption("task.completed");
    await row.first().waitFor();
    expect(await page.locator("table[aria-label=Deliveries] tbody tr", { hasNotText: "task.completed" }).count()).toBe(0);
    await filters.getByLabel("Outcome").selectOption("delivered");
    await page.getByText("No deliveries match these filters").waitFor();
    // messages dropped before their first attempt have an outcome of their own
    const dropped = page.waitForResponse((r) => r.url().includes("outcome=dropped"));
    await filters.getByLabel("Outcome").selectOption("dropped");
    expect((await dropped).status()).toBe(200);
    expect(browser.problems).toEqual([]);
  });

  it("names the subscription each delivery went to", async () => {
    const second = await apiCall<{ id: string; url: string }>(app, "POST", "/notifications/subscriptions", { url: `https://second.example.com/fd-${uid()}`, events: ["task.completed"], description: "second team" });
    const subs = await apiCall<{ items: { id: string; url: string }[] }>(app, "GET", "/notifications/subscriptions");
    const created = await apiCall<Task>(app, "POST", "/tasks", { agent: "researcher", title: `Twice ${uid()}`, description: "@output done" });
    await waitFor(created.id, "completed");
    const rows = await deliveryRows(created.id, subs.items.length);
    const named = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector("td:nth-child(2)")?.textContent ?? ""));
    expect(named.some((t) => t.includes(second.url) && t.includes("second team"))).toBe(true);
    for (const s of subs.items) expect(named.some((t) => t.includes(s.url))).toBe(true);
  });

  it("styles the subscription form like the other forms: its URL field as the text fields, no browser border round the events", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    try {
      await page.goto(`${app.url}/settings?tab=notifications`);
      const look = (label: string) =>
        page.getByLabel(label, { exact: true }).evaluate((el) => {
          const cs = getComputedStyle(el);
          return { background: cs.backgroundColor, border: cs.borderTopColor, radius: cs.borderTopLeftRadius, padding: cs.paddingLeft };
        });
      expect(await look("Endpoint URL")).toEqual(await look("Description"));
      const events = page.locator("form[aria-label='Add subscription'] fieldset");
      expect(await events.evaluate((el) => getComputedStyle(el).borderTopStyle)).toBe("none");
      await shot(page, "notifications-04-form-dark");
    } finally {
      await page.emulateMedia({ colorScheme: "light" });
    }
  });

  it("links the bell to every waiting task when there are more than it lists", async () => {
    const made = await Promise.all(
      Array.from({ length: 51 }, (_, i) => apiCall<Task>(app, "POST", "/tasks", { agent: "researcher", title: `Many ${i} ${uid()}`, description: "@ask Which?\n@output ok" })),
    );
    await Promise.all(made.map((t) => waitFor(t.id, "needs_input")));
    try {
      await page.goto(`${app.url}/tasks`);
      await badge().click();
      const panel = page.getByRole("dialog", { name: "Waiting for you" });
      await expect.poll(() => panel.locator(".inbox-item").count()).toBe(50);
      const total = Number(await count().textContent());
      expect(total).toBeGreaterThanOrEqual(51);
      await panel.getByRole("link", { name: `See all ${total} in the task table` }).click();
      await page.waitForURL("**/tasks?status=needs_input");

      // one the bell does not list stops waiting: its count follows, live
      const listed = new Set((await apiCall<{ items: { id: string }[] }>(app, "GET", "/notifications/inbox")).items.map((t) => t.id));
      const unlisted = made.find((t) => !listed.has(t.id))!;
      await expect.poll(shown).toBe(total);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await shown()).toBe(total);
      made.splice(made.indexOf(unlisted), 1);
      await apiCall(app, "DELETE", `/tasks/${unlisted.id}`);
      await expect.poll(shown, { timeout: 5_000 }).toBe(total - 1);
    } finally {
      await Promise.all(made.map((t) => apiCall(app, "DELETE", `/tasks/${t.id}`)));
    }
  });
});
