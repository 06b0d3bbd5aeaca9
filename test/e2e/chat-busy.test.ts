import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fake-servers/listen";
import { OPENAI_KEY } from "../fake-servers/openai";
import { startPlanner } from "../fake-servers/planner";
import { apiCall, type App, type Browser, launchBrowser, signIn, startApp } from "./helpers";

/** A planner on a model that takes 3 s per reply, so a page can be reloaded while it answers. */

let planner: FakeServer;
let app: App;
let browser: Browser;

beforeAll(async () => {
  planner = await startPlanner();
  app = await startApp(110_000, { env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://127.0.0.1:${planner.port}/v1` } });
  browser = await launchBrowser();
  await signIn(browser.page, app);
  await apiCall(app, "POST", "/agents", { name: "slow-planner", model: "openai:slow", system_prompt: "You plan.", tools: [] });
  await apiCall(app, "PUT", "/pricing/openai:slow", { input: 2, cache: 1, output: 8 });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await planner?.close();
});

describe("chat while the planner is answering", () => {
  it("a reload mid-reply shows the planner still answering, then its reply and draft", async () => {
    const page = browser.page;
    const { id } = await apiCall<{ id: string }>(app, "POST", "/chat", { planner: "slow-planner" });
    await page.goto(`${app.url}/chat/${id}`);
    await page.getByLabel("Message to the planner").fill("Research the market, then write it up.");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator('.chat-msg[data-role="streaming"]').waitFor();
    await page.reload();

    await page.locator('.chat-msg[data-role="user"]').waitFor();
    await page.locator('.chat-msg[data-role="streaming"]').waitFor();
    expect(await page.getByRole("button", { name: "Send", exact: true }).isDisabled()).toBe(true);
    await page.locator('.chat-msg[data-role="assistant"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator(".chat-step").count()).toBe(2);
    expect(await page.locator('.chat-msg[data-role="streaming"]').count()).toBe(0);
    // the reply's one model call: 200 input and 80 output tokens at $2 and $8 per 1M
    expect(await page.locator('.chat-msg[data-role="assistant"] .msg-spend').textContent()).toContain("280 tokens · $0.001");
    expect(await page.getByTestId("chat-spend").textContent()).toBe("$0.001");

    // a streamed reply adds its spend to the conversation's, and the organization's spend shows the planner's apart
    await page.getByLabel("Message to the planner").fill("Add a review step.");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => page.getByTestId("chat-spend").textContent()).toBe("$0.0021");
    await page.goto(`${app.url}/settings?tab=limits`);
    await page.getByRole("button", { name: "By source" }).click();
    const row = page.locator('[data-section="spend"] tbody tr', { hasText: "Chat planner" });
    await expect.poll(() => row.locator("td").allTextContents()).toEqual(["0", "1", "560", "0", "$0.0021"]);
    expect(await page.getByTestId("planner-spend").textContent()).toContain("$0.0021");
    expect(browser.problems).toEqual([]);
  });
});
