import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, shot, uid, type App, type Browser, useDashboard } from "./helpers";

interface Created {
  id: string;
  status: string;
  session_id: string;
  pending: { kind: string; step: string; call_id?: string }[];
}

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

const badge = (status: string) => page.locator(`.detail-head .badge[data-status="${status}"]`);

describe("live and settings", () => {
  it("raises a task's budget from the dashboard and watches it finish", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "researcher", title: `Budget ${uid()}`, description: "@output Within budget now.", max_cost: 0.0000001 });
    await expect
      .poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).pending.map((p) => p.kind), { timeout: 20_000 })
      .toContain("budget");

    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("needs_input").waitFor({ timeout: 20_000 });
    const panel = page.getByRole("region", { name: "Needs your input" });
    await panel.locator('.pending-item[data-kind="budget"]').waitFor();
    await shot(page, "20-budget-question");
    // the task's budget shows beside its cost, as set and then as raised
    expect(await page.getByTestId("task-budget").innerText()).toContain("$0.0000001 budget");
    await panel.getByRole("button", { name: "Raise and continue" }).click();
    await panel.getByRole("alert").filter({ hasText: /above zero/ }).waitFor();
    await panel.getByLabel("New limit (USD)").fill("1");
    await panel.getByRole("button", { name: "Raise and continue" }).click();
    await badge("completed").waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByRole("region", { name: "Needs your input" }).count()).toBe(0);
    await expect.poll(() => page.getByTestId("task-budget").innerText()).toContain("$1.00 budget");
    const done = await apiCall<Created & { output: string }>(app, "GET", `/tasks/${task.id}`);
    expect(done.status).toBe("completed");
    expect(done.output).toContain("Within budget now.");
  });

  it("shows the model's text in the trace while the turn is still generating", async () => {
    const words = "one two three four five six seven eight";
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Streaming ${uid()}`, description: `@delay 3000\n@output ${words}` });
    await page.goto(`${app.url}/tasks/${task.id}`);
    const open = page.getByRole("button", { name: /^Open trace of / }).first();
    await open.waitFor({ timeout: 20_000 });
    await open.click();
    const dialog = page.getByRole("dialog", { name: /^Trace/ });
    const live = dialog.getByTestId("live-text");
    await live.waitFor({ timeout: 10_000 });
    // Text arrives in pieces while the run is still running: a first part, then more of it.
    await expect.poll(async () => ((await live.textContent()) ?? "").trim().length, { timeout: 10_000 }).toBeGreaterThan(0);
    const first = ((await live.textContent()) ?? "").trim();
    expect(words.startsWith(first)).toBe(true);
    expect(first.length).toBeLessThan(words.length);
    await shot(page, "21-trace-live-text");
    await expect.poll(async () => ((await live.textContent()) ?? "").trim().length, { timeout: 10_000 }).toBeGreaterThan(first.length);
    // Once the turn is stored, the live block gives way to the turn itself.
    await live.waitFor({ state: "detached", timeout: 15_000 });
    await dialog.getByText("Turn 1", { exact: true }).waitFor();
    await dialog.locator(".msg-assistant .msg-text", { hasText: words }).waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("reconnects the live stream by itself after the server goes away, and shows tasks created meanwhile", async () => {
    await page.goto(`${app.url}/`);
    await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
    const conn = page.locator(".conn").first();
    await page.locator('.conn[data-state="open"]').first().waitFor();
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });

    await app.restart(1500);
    // Created while the browser's stream is still down or only just back.
    const title = `After the drop ${uid()}`;
    await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@output ok" });
    await page.locator(`article.task-card[aria-label="${title}"]`).waitFor({ timeout: 40_000 });
    await page.locator('.conn[data-state="open"]').first().waitFor({ timeout: 40_000 });
    expect(await conn.getAttribute("data-state")).toBe("open");

    // And the stream keeps going: a task created now shows up and moves to Finished.
    const later = `Live again ${uid()}`;
    await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: later, description: "@delay 500\n@output ok" });
    await page.locator(`[data-group="completed"] article.task-card[aria-label="${later}"]`).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true)).toBe(true);
    await shot(page, "22-board-after-reconnect");
  });

  it("shows default and organization prices, edits one and reverts it", async () => {
    await page.goto(`${app.url}/settings?tab=pricing`);
    const sim = page.locator('tr[data-model="sim"]');
    await sim.waitFor();
    expect(await sim.getAttribute("data-source")).toBe("default");
    await sim.getByText("Default", { exact: true }).waitFor();

    await sim.getByRole("button", { name: "Edit pricing for sim" }).click();
    const form = page.getByRole("form", { name: /Edit the price of sim/ });
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type)).toBe("number");
    await form.getByLabel(/^Input/).fill("2.5");
    await form.getByLabel(/^Output/).fill("10");
    await form.getByRole("button", { name: "Save price" }).click();
    await page.locator('tr[data-model="sim"][data-source="organization"]').waitFor();
    await sim.getByText("Organization", { exact: true }).waitFor();
    await sim.getByText("$2.5", { exact: true }).waitFor();
    // says what a change does to what was already spent
    await page.getByText(/costs already recorded keep the price their run started with/).waitFor();
    const prices = await apiCall<{ items: { model: string; input: number; output: number; source: string }[] }>(app, "GET", "/pricing");
    expect(prices.items.find((p) => p.model === "sim")).toMatchObject({ input: 2.5, output: 10, source: "organization" });

    // A model with no default: set, then removed by reverting.
    const custom = `openai:e2e-${uid()}`;
    const setForm = page.getByRole("form", { name: "Set a price" });
    await setForm.getByLabel("Model").fill(custom);
    await setForm.getByLabel(/^Input/).fill("0.15");
    await setForm.getByLabel(/^Output/).fill("0.6");
    await setForm.getByRole("button", { name: "Save price" }).click();
    await page.locator(`tr[data-model="${custom}"][data-source="organization"]`).waitFor();
    await shot(page, "23-pricing-edited");

    await sim.getByRole("button", { name: "Revert pricing for sim" }).click();
    const confirm = page.getByRole("dialog", { name: "Revert price?" });
    await confirm.getByRole("button", { name: "Revert to default" }).click();
    await confirm.waitFor({ state: "detached" });
    await page.locator('tr[data-model="sim"][data-source="default"]').waitFor();
    await expect.poll(() => sim.getByRole("button", { name: "Revert pricing for sim" }).count()).toBe(0);

    await page.locator(`tr[data-model="${custom}"]`).getByRole("button", { name: `Revert pricing for ${custom}` }).click();
    await confirm.getByRole("button", { name: "Revert to default" }).click();
    await page.locator(`tr[data-model="${custom}"]`).waitFor({ state: "detached" });
    const after = await apiCall<{ items: { model: string; source: string }[] }>(app, "GET", "/pricing");
    expect(after.items.find((p) => p.model === "sim")?.source).toBe("default");
    expect(after.items.some((p) => p.model === custom)).toBe(false);

    // Bad input is caught before it is sent.
    await setForm.getByLabel("Model").fill("gpt-4o");
    await setForm.getByRole("button", { name: "Save price" }).click();
    await page.getByRole("alert").filter({ hasText: /openai:<model>/ }).waitFor();
  });

  it("answers the next request after refusing an oversized body that was sent chunked", async () => {
    const post = (body: BodyInit) =>
      fetch(`${app.url}/api/v1/tasks`, { method: "POST", headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    for (let i = 0; i < 2; i++) {
      // a stream has no length, so it goes chunked
      const big = await post(new Blob([new Uint8Array(2 * 1_048_576).fill(0x20)]).stream());
      expect(big.status).toBe(413);
      await big.text();
      const next = await post(JSON.stringify({ agent: "writer", title: `After a 413 ${uid()}`, description: "@output ok" }));
      expect(next.status, await next.clone().text()).toBe(201);
    }
  });

  it("saw no CSP violations or page errors", () => {
    expect(browser.problems).toEqual([]);
  });
});
