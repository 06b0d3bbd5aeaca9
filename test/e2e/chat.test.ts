import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, shot, type App, type Browser, useDashboard } from "./helpers";

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

async function say(text: string): Promise<void> {
  const before = await page.locator('.chat-msg[data-role="assistant"]').count();
  await page.getByLabel("Message to the planner").fill(text);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count(), { timeout: 15_000 }).toBe(before + 1);
}

describe("chat panel", () => {
  it("drafts a plan from plain language, refines it, saves and runs it", async () => {
    await page.getByRole("link", { name: "Chat" }).click();
    await page.getByRole("heading", { name: "Chat", exact: true }).waitFor();
    await say("Research the top competitors. Write a summary of their pricing. Send it to the team.");
    await page.waitForURL(/\/chat\/cnv_/);

    const steps = page.locator("section[aria-label=Steps] .chat-step");
    await expect.poll(() => steps.evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).toEqual(["research_top_competitors", "write_summary_pricing", "send_team"]);
    await expect.poll(() => page.locator('.chat-step[data-step="send_team"]').textContent()).toContain("needs approval");
    await expect.poll(() => page.locator(".dag-node").count()).toBe(3);
    // A draft never ran: its graph shows each step's kind, no status.
    expect(await page.locator(".dag-node[data-status]").count()).toBe(0);
    expect(await page.locator(".dag-node .dag-sub").allTextContents()).toEqual(["agent", "agent", "agent"]);
    expect(await page.locator(".chat-changes").textContent()).toContain("First draft");
    await shot(page, "chat-first-draft");

    await say("Add a review step before sending");
    await expect.poll(() => page.locator('.chat-step[data-step="review_before_sending"]').getAttribute("class")).toContain("is-added");
    expect(await page.locator(".chat-changes").textContent()).toContain("added review_before_sending");
    await expect.poll(() => page.locator(".dag-node").count()).toBe(4);
    await shot(page, "chat-refined");

    // the conversation survives a reload
    await page.reload();
    await expect.poll(() => page.locator(".chat-step").count()).toBe(4);
    expect(await page.locator('.chat-msg[data-role="user"]').count()).toBe(2);

    await page.getByRole("button", { name: "Save as plan" }).click();
    await page.getByRole("button", { name: "Save new version" }).waitFor();
    const plans = await apiCall<{ items: { name: string; version: number }[] }>(app, "GET", "/plans");
    expect(plans.items.some((p) => p.name === "Research the top competitors" && p.version === 1)).toBe(true);

    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    const id = page.url().split("/tasks/")[1];
    const task = await apiCall<{ source: string; agents: string[] }>(app, "GET", `/tasks/${id}`);
    expect(task.source).toBe("dashboard");
    expect(task.agents).toEqual(expect.arrayContaining(["researcher", "writer", "reviewer"]));
    expect(browser.problems).toEqual([]);
  });
});

describe("chat and plan editor by keyboard", () => {
  it("keeps the keyboard's place after Send (the message box), Save as plan and a plan's Save new version (their buttons)", async () => {
    await page.goto(`${app.url}/chat`);
    const before = await page.locator('.chat-msg[data-role="assistant"]').count();
    await page.getByLabel("Message to the planner").fill("Research the top competitors. Write a summary of their pricing.");
    await page.getByRole("button", { name: "Send", exact: true }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count(), { timeout: 15_000 }).toBe(before + 1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.closest("label")?.textContent ?? document.activeElement?.tagName)).toContain("Message to the planner");

    await page.getByRole("button", { name: "Save as plan" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Save new version" }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Save new version");

    const plans = await apiCall<{ items: { id: string; name: string }[] }>(app, "GET", "/plans");
    const plan = plans.items.find((p) => p.name === "Research the top competitors")!;
    await page.goto(`${app.url}/plans/${plan.id}`);
    const save = page.getByRole("button", { name: "Save new version" });
    await save.focus();
    await page.keyboard.press("Enter");
    await page.getByText(/Nothing changed|Saved/).first().waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Save new version");
    expect(browser.problems).toEqual([]);
  });
});

describe("chat history", () => {
  it("shows the conversation again on Back after leaving it for a new chat", async () => {
    await page.goto(`${app.url}/chat`);
    await say("Research the top competitors. Write a summary of their pricing.");
    await page.waitForURL(/\/chat\/cnv_/);
    const url = page.url();
    await expect.poll(() => page.locator(".chat-step").count()).toBeGreaterThan(0);
    await page.getByRole("link", { name: "Chat" }).click();
    await page.waitForURL(/\/chat$/);
    await page.getByText("No draft yet").waitFor();
    await page.goBack();
    await page.waitForURL(url);
    await expect.poll(() => page.locator(".chat-step").count()).toBeGreaterThan(0);
    expect(await page.locator('.chat-msg[data-role="user"]').count()).toBe(1);
    await page.goForward();
    await page.getByText("No draft yet").waitFor();
    expect(await page.locator('.chat-msg[data-role="user"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat opening", () => {
  it("sends a message typed while the conversation is still loading to that conversation, not a new one", async () => {
    const conv = await apiCall<{ id: string }>(app, "POST", "/chat", { message: "Research the top competitors. Write a summary of their pricing." });
    await page.route(`**/api/v1/chat/${conv.id}`, async (r) => {
      if (r.request().method() === "GET") await new Promise((x) => setTimeout(x, 1500));
      await r.continue();
    });
    await page.goto(`${app.url}/chat/${conv.id}`);
    await page.getByLabel("Message to the planner").fill("Add a review step before the summary");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count(), { timeout: 15_000 }).toBe(2);
    await page.unroute(`**/api/v1/chat/${conv.id}`);
    expect(page.url()).toContain(`/chat/${conv.id}`);
    const view = await apiCall<{ messages: { role: string; content: string }[] }>(app, "GET", `/chat/${conv.id}`);
    expect(view.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(["Research the top competitors. Write a summary of their pricing.", "Add a review step before the summary"]);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat stream cut short", () => {
  it("shows the stored reply and draft when the reply's stream ends before it did", async () => {
    await page.goto(`${app.url}/chat`);
    await say("Research the top competitors. Write a summary of their pricing.");
    // the network drops the stream after its first event; the planner answers anyway
    await page.route("**/api/v1/chat/*/messages", async (r) => {
      const res = await r.fetch();
      await r.fulfill({ response: res, body: `${(await res.text()).split("\n\n")[0]}\n\n` });
    });
    await page.getByLabel("Message to the planner").fill("Add a review step before the summary");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => page.locator('.chat-step[data-step="review_before_summary"]').count()).toBe(1);
    await page.unroute("**/api/v1/chat/*/messages");
    expect(browser.problems).toEqual([]);
  });
});

describe("chat in two tabs", () => {
  it("shows what the other tab said once this tab's reply comes back", async () => {
    await page.goto(`${app.url}/chat`);
    await say("Research the top competitors. Write a summary of their pricing. Send it to the team.");
    await page.waitForURL(/\/chat\/cnv_/);
    const id = page.url().split("/chat/")[1];
    await apiCall(app, "POST", `/chat/${id}/messages`, { content: "Add a review step before sending" });
    // not `say`: this tab's count of replies jumps by two, the other tab's and its own
    await page.getByLabel("Message to the planner").fill("Rename it to Pricing digest");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const users = page.locator('.chat-msg[data-role="user"] .chat-text');
    await expect.poll(() => users.allTextContents()).toEqual([
      "Research the top competitors. Write a summary of their pricing. Send it to the team.",
      "Add a review step before sending",
      "Rename it to Pricing digest",
    ]);
    await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count()).toBe(3);
    expect(await page.locator('.chat-step[data-step="review_before_sending"]').count()).toBe(1);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat run and save", () => {
  it("runs only the draft on screen: a newer one from another tab is shown first", async () => {
    await page.goto(`${app.url}/chat`);
    await say("Research the top competitors. Write a summary of their pricing.");
    await page.waitForURL(/\/chat\/cnv_/);
    const id = page.url().split("/chat/")[1];
    await apiCall(app, "POST", `/chat/${id}/messages`, { content: "Remove the summary step" });
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByText(/the draft is now version 2/).waitFor();
    await expect.poll(() => page.locator(".chat-step").count()).toBe(1);
    expect(page.url()).toContain(`/chat/${id}`);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat save over triggers", () => {
  it("offers to save and pause a trigger the new version would break, as the plan editor does", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: "Digest", params: [{ name: "topic", required: true }], steps: [{ id: "a", agent: "writer", instructions: "{{params.topic}}" }] });
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "otters" } });
    await page.goto(`${app.url}/chat?plan=${plan.id}`);
    await page.waitForURL(/\/chat\/cnv_/);
    await say("start over: research the market. write a memo");
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByText(new RegExp(`refuse every fire of trigger ${trigger.id}`)).waitFor();
    expect((await apiCall<{ version: number }>(app, "GET", `/plans/${plan.id}`)).version).toBe(1);
    await page.getByRole("button", { name: "Save and pause the trigger" }).click();
    await page.getByText(/version 2; its triggers that need new inputs are paused/).waitFor();
    expect((await apiCall<{ paused: boolean }>(app, "GET", `/triggers/${trigger.id}`)).paused).toBe(true);
    expect(await page.getByRole("button", { name: "Save and pause the trigger" }).count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat save over a newer version", () => {
  it("says the plan was saved meanwhile and replaces that version only when asked", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news" }] });
    await page.goto(`${app.url}/chat?plan=${plan.id}`);
    await page.waitForURL(/\/chat\/cnv_/);
    await say("Then write a digest of the news");
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news and the blogs" }] });
    await page.getByRole("button", { name: "Save new version" }).click();
    // in the dashboard's words: no JSON to send, the button beside it to press
    const said = page.getByText(/Version 2 of this plan was saved after this conversation's/);
    await said.waitFor();
    expect(await said.textContent()).not.toContain("plan_version");
    expect((await apiCall<{ version: number }>(app, "GET", `/plans/${plan.id}`)).version).toBe(2);
    await page.getByRole("button", { name: "Replace version 2" }).click();
    await page.getByText(/Saved as “Weekly” version 3/).waitFor();
    expect((await apiCall<{ version: number }>(app, "GET", `/plans/${plan.id}`)).version).toBe(3);
    expect(await page.getByRole("button", { name: "Replace version 2" }).count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat save of a deleted plan", () => {
  it("says the plan was deleted and saves the draft as a new plan only when asked", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: "Weekly", steps: [{ id: "scan", agent: "researcher", instructions: "Scan the news" }] });
    await page.goto(`${app.url}/chat?plan=${plan.id}`);
    await page.waitForURL(/\/chat\/cnv_/);
    await say("Then write a digest of the news");
    await apiCall(app, "DELETE", `/plans/${plan.id}`);
    const count = async () => (await apiCall<{ items: { name: string }[] }>(app, "GET", "/plans?limit=100")).items.filter((p) => p.name === "Weekly").length;
    const before = await count();
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("alert").filter({ hasText: `Plan ${plan.id} was deleted` }).waitFor();
    expect(await count()).toBe(before);
    expect(await page.getByTestId("chat-planner").textContent()).toContain(`editing ${plan.id} v1 (deleted)`);
    // the draft stays on screen, and one click saves it as a new plan
    expect(await page.locator('.chat-step[data-step="write_digest_news"]').count()).toBe(1);
    await page.getByRole("button", { name: "Save as a new plan" }).click();
    await page.getByText(/Saved as “Weekly” version 1/).waitFor();
    expect(await count()).toBe(before + 1);
    const conv = await apiCall<{ plan_id: string }>(app, "GET", `/chat/${page.url().split("/chat/")[1]}`);
    expect(conv.plan_id).not.toBe(plan.id);
    expect((await apiCall<{ definition: { steps: unknown[] } }>(app, "GET", `/plans/${conv.plan_id}`)).definition.steps).toHaveLength(2);
    expect(await page.getByRole("button", { name: "Save as a new plan" }).count()).toBe(0);
    expect(await page.getByRole("alert").filter({ hasText: "was deleted" }).count()).toBe(0);
    await expect.poll(() => page.getByTestId("chat-planner").textContent()).toContain(`editing ${conv.plan_id} v1`);
    expect(await page.getByTestId("chat-planner").textContent()).not.toContain("(deleted)");
    expect(browser.problems).toEqual([]);
  });
});

describe("chat loops", () => {
  it("shows how many items a loop runs at a time, and the change to it", async () => {
    await page.goto(`${app.url}/chat`);
    await say("Find the new customers. For each customer, draft a welcome email.");
    const loop = page.locator('.chat-step[data-step="each_customer"]');
    await expect.poll(() => loop.textContent()).toContain("10 at a time");
    await say("Make the loop run 3 at a time");
    await expect.poll(() => loop.textContent()).toContain("3 at a time");
    expect(await page.locator(".chat-changes").textContent()).toContain("changed each_customer: concurrency");
    expect(browser.problems).toEqual([]);
  });
});

describe("chat composer", () => {
  it("keeps an unsent message across leaving the page and a reload, for its own conversation only", async () => {
    await page.goto(`${app.url}/chat`);
    await say("Research the top competitors. Write a summary of their pricing.");
    const url = page.url();
    const box = page.getByLabel("Message to the planner");
    await box.fill("Add a review step before the summary, and");
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByRole("heading", { name: "Plans", exact: true }).waitFor();
    await page.goBack();
    await page.waitForURL(url);
    await expect.poll(() => box.inputValue()).toBe("Add a review step before the summary, and");
    await page.reload();
    await expect.poll(() => box.inputValue()).toBe("Add a review step before the summary, and");
    await page.getByRole("button", { name: "New chat" }).click();
    await page.waitForURL(/\/chat$/);
    expect(await box.inputValue()).toBe("");
    await page.goBack();
    await expect.poll(() => box.inputValue()).toBe("Add a review step before the summary, and");
    // once sent, it is the conversation's, not the box's
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => page.locator('.chat-msg[data-role="assistant"]').count(), { timeout: 15_000 }).toBe(2);
    await page.reload();
    await page.locator('.chat-msg[data-role="assistant"]').nth(1).waitFor();
    expect(await box.inputValue()).toBe("");
    expect(browser.problems).toEqual([]);
  });


  it("says a message is too long before sending it, starting no conversation, and keeps one the server refused in the box", async () => {
    await page.goto(`${app.url}/chat`);
    const box = page.getByLabel("Message to the planner");
    const send = page.getByRole("button", { name: "Send", exact: true });
    const long = `Research ${"the pricing page again ".repeat(1000)}`;
    await box.fill(long);
    const n = long.trim().length;
    await page.getByRole("alert").filter({ hasText: `A message is at most 20,000 characters; this one has ${n.toLocaleString("en-US")}, ${(n - 20_000).toLocaleString("en-US")} too many.` }).waitFor();
    expect(await send.isDisabled()).toBe(true);
    expect(await box.getAttribute("aria-invalid")).toBe("true");
    await box.press("Control+Enter");
    // nothing was sent: no conversation was started for it
    expect(new URL(page.url()).pathname).toBe("/chat");
    expect(await box.inputValue()).toBe(long);

    await say("Research the top competitors. Write a summary of their pricing.");
    // refused by the server (here, a rate limit): the words come back to the box
    const short = "Also check the pricing page again.";
    await page.route("**/api/v1/chat/*/messages", (route) =>
      route.request().method() === "POST"
        ? route.fulfill({ status: 429, contentType: "application/json", headers: { "retry-after": "30" }, body: JSON.stringify({ error: { code: "rate_limited", message: "rate limit exceeded: retry in 30s" } }) })
        : route.continue(),
    );
    try {
      await box.fill(short);
      await send.click();
      await page.getByText("rate limit exceeded: retry in 30s").waitFor();
    } finally {
      await page.unroute("**/api/v1/chat/*/messages");
    }
    expect(await box.inputValue()).toBe(short);
    expect(await page.locator('.chat-msg[data-role="user"]').count()).toBe(1);
    expect(browser.problems).toEqual([]);
  });
});

describe("chat run with params", () => {
  it("asks for the draft's params before running it, keeping what was typed across a refused run", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: "Topic brief",
      params: [{ name: "topic", required: true }, { name: "tone", enum: ["formal", "casual"], default: "formal" }],
      steps: [{ id: "research", agent: "researcher", instructions: "Research {{params.topic}} in a {{params.tone}} tone" }],
    });
    await page.goto(`${app.url}/chat?plan=${plan.id}`);
    await page.waitForURL(/\/chat\/cnv_/);
    const id = page.url().split("/chat/")[1];
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Run draft 1" });
    await dialog.getByLabel("topic").fill("otters");
    expect(await dialog.getByLabel("tone").inputValue()).toBe("formal");

    // another tab's reply replaces the draft: the run is refused, the newer draft shown, and the words typed are kept
    await apiCall(app, "POST", `/chat/${id}/messages`, { content: "Add a review step after research" });
    await dialog.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByText(/the draft is now version 2/).first().waitFor();
    await expect.poll(() => page.locator(".chat-step").count()).toBe(2);
    await expect.poll(() => dialog.count()).toBe(0);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const again = page.getByRole("dialog", { name: "Run draft 2" });
    expect(await again.getByLabel("topic").inputValue()).toBe("otters");
    await again.getByLabel("tone").selectOption("casual");
    await again.getByRole("button", { name: "Run", exact: true }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    const task = await apiCall<{ inputs: Record<string, string>; steps: { id: string }[] }>(app, "GET", `/tasks/${page.url().split("/tasks/")[1]}`);
    expect(task.inputs).toEqual({ topic: "otters", tone: "casual" });
    expect(task.steps.map((s) => s.id)).toEqual(["research", "review_after_research"]);
    expect(browser.problems).toEqual([]);
  });
});
