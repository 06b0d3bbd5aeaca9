import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, type App, type Browser, useDashboard, uid } from "./helpers";

/** The Tasks page as the product document (seeds/000) describes it, sentence by sentence. */

interface Created {
  id: string;
  status: string;
}

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

const finished = (id: string) => expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${id}`)).status, { timeout: 20_000 }).toBe("completed");

async function openCard(title: string) {
  await page.goto(`${app.url}/?q=${encodeURIComponent(title)}`);
  const card = page.locator(`article.task-card[aria-label="${title}"]`);
  await card.getByRole("button", { name: title }).click();
  await card.locator(".step").first().waitFor();
  return card;
}

describe("the Tasks page of the product document", () => {
  it("lists a card's steps in the order their dependencies define, not the order they were written in", async () => {
    const title = `Order ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: title,
      steps: [
        { id: "report", agent: "writer", instructions: "@output report", depends_on: ["draft"] },
        { id: "draft", agent: "writer", instructions: "@output draft", depends_on: ["gather"] },
        { id: "route", kind: "branch", on: "gather", cases: { go: [{ id: "go", agent: "writer", instructions: "@output went" }] } },
        { id: "gather", agent: "researcher", instructions: "@output go" },
      ],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await finished(task.id);
    const card = await openCard(title);
    expect(await card.locator(".steps:not(.nested) > .step").evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).toEqual(["gather", "draft", "route", "report"]);
  });

  it("shows every loop iteration's own token usage in an expanded card, on a desktop and on a phone", async () => {
    const title = `Iteration tokens ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: title,
      steps: [
        { id: "list", agent: "writer", instructions: '@output ["a", "bb"]' },
        { id: "each", kind: "loop", over: "list", body: [{ id: "say", agent: "writer", instructions: "@output said {{item}}" }] },
      ],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await finished(task.id);
    type Tokens = { input: number; cache: number; output: number; web_search: number };
    const detail = await apiCall<{ steps: { id: string; iterations?: { id: string; tokens: Tokens }[] }[] }>(app, "GET", `/tasks/${task.id}`);
    const sum = (t: Tokens) => t.input + t.cache + t.output + t.web_search;
    const iterations = detail.steps.find((s) => s.id === "each")!.iterations!;
    for (const width of [1400, 390]) {
      await page.setViewportSize({ width, height: 900 });
      try {
        const card = await openCard(title);
        for (const it of iterations) {
          const tokens = card.locator(`.step[data-step="${it.id}"] > .step-row .step-tokens`);
          await expect.poll(() => tokens.isVisible(), { message: `${it.id} at ${width} px` }).toBe(true);
          expect(await tokens.textContent()).toBe(`${sum(it.tokens)} tok`);
        }
      } finally {
        await page.setViewportSize({ width: 1400, height: 950 });
      }
    }
  });

  it("shows a step that just started running with its duration, not a dash until the next second", async () => {
    const title = `Just started ${uid()}`;
    await page.goto(`${app.url}/?q=${encodeURIComponent(title)}`);
    await page.locator('section[data-group="pending"]').waitFor();
    await page.waitForTimeout(1500);
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@delay 8000\n@output late" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("in_progress");
    const card = page.locator(`article.task-card[aria-label="${title}"]`);
    await card.getByRole("button", { name: title }).click();
    const running = card.locator('.step[data-status="in_progress"] .step-duration');
    await running.waitFor();
    expect(await running.textContent()).toMatch(/^\d/);
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("shows each run's own finish time, token usage and cost in the trace, run by run", async () => {
    const title = `Run usage ${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "researcher", title, description: "@fail transient 1\n@search acme\n@output found" });
    await finished(task.id);
    type Run = { run_no: number; started_at: string; finished_at: string; tokens: { input: number; cache: number; output: number; web_search: number }; cost: number };
    const runs = (await apiCall<{ steps: { runs: Run[] }[] }>(app, "GET", `/tasks/${task.id}`)).steps[0].runs;
    expect(runs.length).toBe(2);
    const card = await openCard(title);
    await card.getByRole("button", { name: `Open trace of ${title}` }).click();
    const dialog = page.getByRole("dialog");
    for (const r of runs) {
      await dialog.getByRole("tab", { name: new RegExp(`^Run ${r.run_no}`) }).click();
      const usage = dialog.locator(`.trace-run[data-run="${r.run_no}"]`);
      await usage.waitFor();
      const text = (await usage.textContent()) ?? "";
      expect(text).toContain(`in ${r.tokens.input}`);
      expect(text).toContain(`out ${r.tokens.output}`);
      expect(await usage.locator(".chip-cost").textContent()).toMatch(r.cost === 0 ? /^\$0\.00$/ : /^\$0\.0*[1-9]/);
      if (r.tokens.web_search) expect(text).toContain(`search ${r.tokens.web_search}`);
      expect(await usage.locator("time.trace-finished").getAttribute("datetime")).toBe(r.finished_at);
    }
    await page.keyboard.press("Escape");
    // the task page's runs table: each run's start to the second, and how long it waited after the run before it
    await page.goto(`${app.url}/tasks/${task.id}`);
    const rows = page.locator("table.runs tbody tr");
    await rows.nth(1).waitFor();
    for (const [i, r] of runs.entries()) expect(await rows.nth(i).locator("time").getAttribute("datetime")).toBe(r.started_at);
    const waitedMs = Date.parse(runs[1].started_at) - Date.parse(runs[0].finished_at);
    expect(waitedMs).toBeGreaterThan(0);
    expect(await rows.nth(1).locator(".run-waited").textContent()).toMatch(/^ · [\d.]+ (ms|s) after run 1$/);
    expect(await rows.nth(0).locator(".run-waited").count()).toBe(0);
  });

  it("says a failed run that ended before its first turn has no turns, not that none are recorded yet", async () => {
    const title = `No turns ${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@fail transient 1\n@output ok" });
    await finished(task.id);
    const card = await openCard(title);
    await card.getByRole("button", { name: `Open trace of ${title}` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("tab", { name: /^Run 1/ }).click();
    await dialog.locator('.trace-run[data-run="1"]').waitFor();
    const turns = dialog.locator(".turns");
    expect(await turns.textContent()).toBe("No turns: the run ended before the model's first turn.");
    await page.keyboard.press("Escape");
  });

  it("says when a step that failed with a transient error will be retried, and which run that is", async () => {
    const title = `Backoff ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: title,
      steps: [{ id: "flaky", agent: "writer", instructions: "@fail transient 1\n@output ok", retry: { max_attempts: 3, backoff: { initial_ms: 60_000, max_ms: 60_000 } } }],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await expect.poll(async () => (await apiCall<{ steps: { retry_at: string | null }[] }>(app, "GET", `/tasks/${task.id}`)).steps[0].retry_at, { timeout: 20_000 }).not.toBeNull();
    const card = await openCard(title);
    const retry = card.locator('.step[data-step="flaky"] .step-retry');
    await retry.waitFor();
    // a 60 s backoff read within its first half second rounds to a whole minute
    expect(await retry.textContent()).toMatch(/^Run 2 starts in (\d+ s|1m 0s)$/);
    // the backoff is drawn with full jitter: now and then run 2 has come and finished the task already (409)
    await apiCall(app, "DELETE", `/tasks/${task.id}`).catch((e: unknown) => {
      if (!/→ 409/.test(String(e))) throw e;
    });
    await retry.waitFor({ state: "detached" });
  });

  it("opens a step's trace by clicking the step itself, a loop iteration's too", async () => {
    const title = `Click step ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: title,
      steps: [
        { id: "list", name: "Make the list", agent: "writer", instructions: '@output ["x"]' },
        { id: "each", kind: "loop", over: "list", body: [{ id: "say", name: "Say it", agent: "writer", instructions: "@output said {{item}}" }] },
      ],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await finished(task.id);
    const card = await openCard(title);
    const dialog = page.getByRole("dialog");
    for (const [step, name] of [["list", "Make the list"], ["each[0].say", "Say it"]]) {
      await card.locator(`.step[data-step="${step}"] > .step-row .step-name`).click();
      await dialog.getByRole("heading", { name: `Trace · ${name}` }).waitFor();
      await dialog.locator(".trace-head").waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    }
    // a loop has no trace of its own: clicking it opens nothing
    await card.locator('.step[data-step="each"] > .step-row .step-name').click();
    await page.waitForTimeout(300);
    expect(await dialog.count()).toBe(0);
  });

  it("shows the instructions sent to the agent in the trace, under its system prompt", async () => {
    const title = `Instructions ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: title,
      params: [{ name: "who", required: true }],
      steps: [{ id: "greet", agent: "writer", instructions: "Greet {{params.who}} warmly.\n@output hello" }],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, { inputs: { who: "Ada" } });
    await finished(task.id);
    const card = await openCard(title);
    await card.getByRole("button", { name: "Open trace of greet" }).click();
    const block = page.getByRole("dialog").locator("details.trace-block", { has: page.locator("summary", { hasText: /^Instructions$/ }) });
    await block.waitFor();
    expect(await block.getAttribute("open")).not.toBeNull();
    expect(await block.locator("pre").textContent()).toBe("Greet Ada warmly.\n@output hello");
    await page.keyboard.press("Escape");
  });

  it("shows the agent's web searches and their results in a task's conversation", async () => {
    const title = `Searching ${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "researcher", title, description: "@search acme industry\n@output widgets" });
    await finished(task.id);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const conversation = page.getByRole("region", { name: "Conversation" });
    const search = conversation.locator(".msg", { has: page.locator(".msg-role", { hasText: /^web search$/ }) });
    await search.waitFor();
    const text = (await search.textContent()) ?? "";
    expect(text).toContain("acme industry");
    expect(text).toContain("https://search.invalid/acme-industry/1");
    expect(await conversation.locator(".msg-role").allTextContents()).toEqual(["user", "web search", "assistant"]);
  });

  it("saw no CSP violations or page errors", () => {
    expect(browser.problems).toEqual([]);
  });
});
