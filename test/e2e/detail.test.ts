import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startMcp } from "../fake-servers/mcp";
import { apiCall, type App, type Browser, loopOfReviews, runUntilWaiting, useDashboard, uid } from "./helpers";

interface Created {
  id: string;
  status: string;
  pending: { kind: string; step: string }[];
}

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

const badge = (status: string) => page.locator(`.detail-head .badge[data-status="${status}"]`);
const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);

describe("task detail", () => {
  it("shows each loop iteration's output for review", async () => {
    const task = await runUntilWaiting(app, `Review loop ${uid()}`, loopOfReviews(["acme", "globex"]), 2);

    await page.goto(`${app.url}/tasks/${task.id}`);
    const panel = page.getByRole("region", { name: "Needs your input" });
    const review = panel.locator('.pending-item[data-kind="approval"][data-step="emails[1].draft"]');
    await review.waitFor({ timeout: 20_000 });
    await expect.poll(() => review.locator(".output-preview").textContent()).toBe("Email to globex");
    // each iteration's step has a name of its own for assistive technology
    for (const n of [1, 2]) await page.getByRole("button", { name: `Open trace of draft, emails #${n}`, exact: true }).waitFor();
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("rounds a duration before splitting it into minutes and seconds: 119.6 s reads 2m 0s, 59.6 s 1m 0s", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Minutes ${uid()}`, description: "@delay 600000\n@output never" });
    const running = async () => apiCall<{ status: string; started_at: string | null }>(app, "GET", `/tasks/${task.id}`);
    await expect.poll(async () => (await running()).status, { timeout: 20_000 }).toBe("in_progress");
    const { started_at } = await running();
    await page.goto(`${app.url}/tasks/${task.id}`);
    const duration = page.locator(".stat").filter({ hasText: "Duration" });
    for (const [ms, text] of [[119_600, "2m 0s"], [59_600, "1m 0s"], [9_960, "10 s"]] as const) {
      // the page's clock stands still that long after the task started; its own timer moves the view on
      await page.evaluate(([start, after]) => {
        Date.now = () => Date.parse(start) + after;
      }, [started_at!, ms] as const);
      await expect.poll(() => duration.textContent()).toContain(text);
    }
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("shows what a cancelled run's model had written as an interrupted turn of its trace", async () => {
    const answer = "One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen.";
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "researcher", title: `Interrupted ${uid()}`, description: `@delay 6000\n@output ${answer}` });
    const trace = () => apiCall<{ live_text: string | null }>(app, "GET", `/tasks/${task.id}/steps/main/runs/1/trace`);
    await expect.poll(async () => (await trace()).live_text ?? "", { timeout: 20_000 }).toMatch(/^One two/);
    await apiCall(app, "DELETE", `/tasks/${task.id}`);

    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("cancelled").waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: /^Open trace of / }).first().click();
    const turn = page.getByRole("dialog", { name: /^Trace/ }).getByTestId("interrupted-turn");
    await turn.waitFor();
    const written = (await turn.locator("pre").textContent()) ?? "";
    expect(written).toMatch(/^One two/);
    expect(answer.startsWith(written)).toBe(true);
    expect(written.length).toBeLessThan(answer.length);
  });

  it("keeps a comment typed for one review with its step when another is approved elsewhere", async () => {
    const task = await runUntilWaiting(app, `Three reviews ${uid()}`, loopOfReviews(["a", "b", "c"]), 3);

    await page.goto(`${app.url}/tasks/${task.id}`);
    const review = (step: string) => page.locator(`.pending-item[data-step="${step}"]`);
    const comment = (step: string) => review(step).getByLabel("Comment (for a rejection)");
    await comment("emails[2].draft").fill("Too formal for c");
    await apiCall(app, "POST", `/tasks/${task.id}/steps/emails[0].draft/approve`);
    await review("emails[0].draft").waitFor({ state: "detached", timeout: 20_000 });
    expect(await comment("emails[2].draft").inputValue()).toBe("Too formal for c");
    expect(await comment("emails[1].draft").inputValue()).toBe("");
    // the iterations' reviews share the step's name: each says which one it is
    expect(await review("emails[2].draft").locator(".question strong").textContent()).toBe("draft (emails[2].draft)");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("sends a rejection's comment with its line breaks, from the task's page and from a row's Review…", async () => {
    const task = await runUntilWaiting(app, `Multi-line feedback ${uid()}`, loopOfReviews(["a", "b"]), 2);
    const feedback = (i: number) => async () =>
      (await apiCall<{ steps: { iterations?: { steps: { runs: { feedback: string | null }[] }[] }[] }[] }>(app, "GET", `/tasks/${task.id}`)).steps[1].iterations![i].steps[0].runs[1]?.feedback;

    await page.goto(`${app.url}/tasks/${task.id}`);
    const review = page.locator('.pending-item[data-step="emails[0].draft"]');
    await review.getByLabel("Comment (for a rejection)").fill("Shorter, please.\n@ask Which greeting?");
    await review.getByRole("button", { name: "Reject" }).click();
    await expect.poll(feedback(0), { timeout: 20_000 }).toBe("Shorter, please.\n@ask Which greeting?");

    await page.goto(`${app.url}/tasks`);
    await page.locator(`tr[data-task-id="${task.id}"]`).getByRole("button", { name: "Review…" }).click();
    const dialog = page.getByRole("dialog", { name: "Review step output" });
    await dialog.locator('[data-review-step="emails[1].draft"]').waitFor();
    await dialog.getByLabel("Comment (for a rejection)").fill("First line.\nSecond line.");
    await dialog.getByRole("button", { name: "Reject" }).click();
    await expect.poll(feedback(1), { timeout: 20_000 }).toBe("First line.\nSecond line.");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("asks for a comment before a rejection is sent, on the task's page and in a row's Review…", async () => {
    const task = await runUntilWaiting(app, `Blank rejection ${uid()}`, loopOfReviews(["a"]), 1);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const review = page.locator('.pending-item[data-step="emails[0].draft"]');
    await review.getByLabel("Comment (for a rejection)").fill("   ");
    await review.getByRole("button", { name: "Reject" }).click();
    await review.getByRole("alert").getByText("Write what should change first.").waitFor();

    await page.goto(`${app.url}/tasks`);
    await page.locator(`tr[data-task-id="${task.id}"]`).getByRole("button", { name: "Review…" }).click();
    const dialog = page.getByRole("dialog", { name: "Review step output" });
    await dialog.locator('[data-review-step="emails[0].draft"]').waitFor();
    await dialog.getByRole("button", { name: "Reject" }).click();
    await dialog.getByRole("alert").getByText("Write what should change first.").waitFor();
    await dialog.locator('[data-review-step="emails[0].draft"]').waitFor();
    const left = await apiCall<{ pending: { run?: number }[] }>(app, "GET", `/tasks/${task.id}`);
    expect(left.pending).toEqual([{ kind: "approval", step: "emails[0].draft", run: 1 }]);
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("hands the focus to the next question once one is answered, then to the task's heading", async () => {
    const task = await runUntilWaiting(app, `Two questions ${uid()}`, [
      { id: "a", agent: "writer", instructions: "@ask First?\n@output one" },
      { id: "b", agent: "writer", instructions: "@ask Second?\n@output two" },
    ], 2);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const item = (step: string) => page.locator(`.pending-item[data-step="${step}"]`);
    await item("a").getByLabel("Your answer").focus();
    await page.keyboard.type("the first");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await item("a").waitFor({ state: "detached", timeout: 20_000 });
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest(".pending-item")?.getAttribute("data-step"))).toBe("b");
    await page.keyboard.type("the second");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await badge("completed").waitFor({ timeout: 20_000 });
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
  });

  it("keeps an answer typed in Needs your input when its question is answered elsewhere, for the question asked next, and says so", async () => {
    const task = await apiCall<Created & { session_id: string }>(app, "POST", "/tasks", { agent: "writer", title: `Two asks ${uid()}`, description: "@ask First question?\n@ask Second question?\n@output done" });
    const pending = async () => (await apiCall<{ pending: { call_id: string; question: string }[] }>(app, "GET", `/tasks/${task.id}`)).pending;
    await expect.poll(async () => (await pending())[0]?.question, { timeout: 20_000 }).toBe("First question?");
    await page.goto(`${app.url}/tasks/${task.id}`);
    const panel = page.getByRole("region", { name: "Needs your input" });
    await panel.getByText("First question?").waitFor();
    await panel.getByLabel("Your answer").fill("mine");
    await apiCall(app, "POST", `/sessions/${task.session_id}/respond`, { call_id: (await pending())[0].call_id, answers: ["theirs"] });

    await panel.getByText("Second question?").waitFor({ timeout: 20_000 });
    await panel.getByRole("status").filter({ hasText: "“First question?” was answered elsewhere: the answer you typed for it is kept here" }).waitFor();
    expect(await panel.getByLabel("Your answer").inputValue()).toBe("mine");
    await panel.getByRole("button", { name: "Send answer" }).click();
    await badge("completed").waitFor({ timeout: 20_000 });
  });

  it("takes the focus into each dialog of a task's head, keeps it there, and gives it back to its button on Escape, the page staying behind", async () => {
    const task = await runUntilWaiting(app, `Dialogs by keyboard ${uid()}`, [
      { id: "draft", agent: "writer", instructions: "@output Draft", approval: true },
      { id: "ask", agent: "writer", instructions: "@ask Which tone?\n@output ok" },
    ], 2);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const head = page.locator(".detail-head");
    const inDialog = () => page.evaluate(() => !!document.activeElement?.closest("dialog[open]"));
    for (const [button, title] of [["Provide input", "Provide input"], ["Review…", "Review step output"], ["Cancel", "Cancel task?"]]) {
      const opener = head.getByRole("button", { name: button, exact: true });
      await opener.focus();
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: title });
      await dialog.getByRole("button").last().waitFor();
      // the dialog may take the focus once its content has loaded, a moment after its buttons show
      await expect.poll(inDialog, { message: `${title}: focus moved in` }).toBe(true);
      expect(await page.locator(".detail-head h1").isVisible(), `${title}: the page stays behind it`).toBe(true);
      // Tab cycles through the dialog (and the browser's own controls, which a headless one has none of), never the page
      // behind. (In CI this once found the page's button: the previous dialog's late close event had closed this one.)
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press("Tab");
        // past the dialog's last control the focus is the browser's (the document itself, or nothing); the page behind never has it
        const outside = await page.evaluate(() => {
          const a = document.activeElement;
          return !a || a === document.body || a === document.documentElement || a.closest("dialog[open]") ? null : a.outerHTML.slice(0, 160);
        });
        expect(outside, `${title}: Tab ${i + 1}`).toBeNull();
      }
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await expect.poll(() => opener.evaluate((el) => el === document.activeElement), { message: `${title}: focus back on ${button}` }).toBe(true);
    }
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("shows a rerun's reused steps as reused, a reused loop's body too, not as skipped", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Reused ${uid()}`,
      steps: [
        { id: "src", agent: "writer", instructions: '@output ["a","b"]' },
        { id: "L", kind: "loop", over: "src", body: [{ id: "x", agent: "writer", instructions: "@output {{item}}" }] },
        { id: "z", agent: "writer", depends_on: ["L"], instructions: "@fail permanent" },
      ],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("failed");
    const rerun = await apiCall<Created>(app, "POST", `/tasks/${task.id}/rerun`, { from_step: "z" });
    await page.goto(`${app.url}/tasks/${rerun.id}`);
    await badge("failed").waitFor({ timeout: 20_000 });
    for (const step of ["src", "L", "x"]) await page.locator(`.dag-node[data-step="${step}"] .dag-sub`).filter({ hasText: "Reused" }).waitFor();
    expect(await page.locator('.dag-node[data-step="z"] .dag-sub').textContent()).toContain("Failed");
    await page.locator('.step[data-step="L"] .step-sub').filter({ hasText: "reused from the task this one reruns" }).waitFor();
    expect(await page.locator('.step[data-step="z"] .step-sub').textContent()).not.toContain("reused");
  });

  it("gives the focus back to Rerun… and Rerun from here… on Escape the first time each opens (its code loaded then), the page staying behind", async () => {
    const title = `Rerun by keyboard ${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@fail permanent" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("failed");
    for (const name of ["Rerun…", `Rerun from here… (${title})`]) {
      // a fresh load each time: the dialog's code is fetched as it first opens
      await page.goto(`${app.url}/tasks/${task.id}`);
      const opener = page.getByRole("button", { name, exact: true });
      await opener.focus();
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: "Rerun task" });
      await dialog.getByRole("button", { name: "Rerun", exact: true }).waitFor();
      expect(await page.locator(".detail-head h1").isVisible(), `${name}: the page stays behind it`).toBe(true);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await expect.poll(() => opener.evaluate((el) => el === document.activeElement), { message: `${name}: focus back` }).toBe(true);
    }
  });

  it("gives the focus to the task's heading when a head dialog's action takes its button away: Send answer, Cancel task", async () => {
    const steps = [{ id: "ask", agent: "writer", instructions: "@ask Which tone?\n@output ok" }];
    const heading = page.locator(".detail-head h1");
    const headFocused = () => heading.evaluate((el) => el === document.activeElement);
    const answered = await runUntilWaiting(app, `Answered by keyboard ${uid()}`, steps, 1);
    await page.goto(`${app.url}/tasks/${answered.id}`);
    await page.locator(".detail-head").getByRole("button", { name: "Provide input", exact: true }).focus();
    await page.keyboard.press("Enter");
    const ask = page.getByRole("dialog", { name: "Provide input" });
    await ask.getByLabel("Your answer").fill("dry");
    await ask.getByRole("button", { name: "Send answer" }).press("Enter");
    await ask.waitFor({ state: "detached" });
    await page.locator(".detail-head").getByRole("button", { name: "Provide input", exact: true }).waitFor({ state: "detached" });
    await expect.poll(headFocused, { message: "focus on the heading after Send answer" }).toBe(true);

    const cancelled = await runUntilWaiting(app, `Cancelled by keyboard ${uid()}`, steps, 1);
    await page.goto(`${app.url}/tasks/${cancelled.id}`);
    await page.locator(".detail-head").getByRole("button", { name: "Cancel", exact: true }).focus();
    await page.keyboard.press("Enter");
    const cancel = page.getByRole("dialog", { name: "Cancel task?" });
    await cancel.getByRole("button", { name: "Cancel task" }).press("Enter");
    await cancel.waitFor({ state: "detached" });
    await page.locator(".detail-head").getByRole("button", { name: "Cancel", exact: true }).waitFor({ state: "detached" });
    await expect.poll(headFocused, { message: "focus on the heading after Cancel task" }).toBe(true);
  });

  it("keeps the focus in Needs your input after a rejection sent by keyboard, the step's next run waiting there again", async () => {
    const task = await runUntilWaiting(app, `Rejected by keyboard ${uid()}`, [{ id: "draft", agent: "writer", instructions: "@output a draft", approval: true }], 1);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const panel = page.getByRole("region", { name: "Needs your input" });
    await panel.getByLabel("Comment (for a rejection)").fill("Shorter, please");
    await panel.getByRole("button", { name: "Reject" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await apiCall<{ steps: { id: string; runs?: unknown[] }[] }>(app, "GET", `/tasks/${task.id}`)).steps[0].runs?.length ?? 0, { timeout: 20_000 }).toBeGreaterThan(1);
    await panel.getByRole("button", { name: "Reject" }).waitFor();
    // a moment for the page to settle, then the focus is still where the person works, not the page's start
    await page.waitForTimeout(500);
    const where = () => page.evaluate(() => (document.activeElement?.closest(".pending-panel, .detail-head") ? "panel" : (document.activeElement?.tagName ?? "none")));
    await expect.poll(where).toBe("panel");
  });

  it("keeps a dialog opened before the last one's close event arrived: that event closes nothing", async () => {
    const task = await runUntilWaiting(app, `Dialog after dialog ${uid()}`, [{ id: "draft", agent: "writer", instructions: "@output Draft", approval: true }], 1);
    await page.goto(`${app.url}/tasks/${task.id}`);
    const head = page.locator(".detail-head");
    await head.getByRole("button", { name: "Review…", exact: true }).click();
    await page.getByRole("dialog", { name: "Review step output" }).getByRole("button", { name: "Close", exact: true }).last().waitFor();
    // A closed <dialog> fires its close event a task later (in Chromium, with the next frame): here Cancel's dialog
    // opens in between, as it did when a loaded machine delayed that frame
    const open = await page.evaluate(async () => {
      const buttons = (within: string, name: string) => [...document.querySelectorAll<HTMLButtonElement>(`${within} button`)].filter((b) => (b.getAttribute("aria-label") ?? b.textContent)?.trim() === name);
      buttons("dialog[open]", "Close").at(-1)!.click();
      buttons(".detail-head", "Cancel")[0].click();
      for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 20)));
      return [...document.querySelectorAll("dialog[open]")].map((d) => d.getAttribute("aria-label"));
    });
    expect(open).toEqual(["Cancel task?"]);
    expect(await page.evaluate(() => document.activeElement?.closest("dialog")?.getAttribute("aria-label") ?? null)).toBe("Cancel task?");
    await page.keyboard.press("Escape");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("tells in a run's trace how much of its step's timeout the run worked, the time it waited for an answer not counted", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Worked ${uid()}`,
      steps: [{ id: "ask", agent: "writer", instructions: "@ask Which tone?\n@output ok", timeout_s: 120 }],
    });
    const task = await apiCall<{ id: string; session_id: string }>(app, "POST", `/plans/${plan.id}/run`, {});
    const pending = async () => (await apiCall<{ pending: { call_id: string }[] }>(app, "GET", `/tasks/${task.id}`)).pending;
    await expect.poll(async () => (await pending()).length, { timeout: 20_000 }).toBe(1);
    // the answer comes well after the question: that wait is not working time
    await new Promise((r) => setTimeout(r, 2_500));
    await apiCall(app, "POST", `/sessions/${task.session_id}/respond`, { call_id: (await pending())[0].call_id, answers: ["warm"] });
    await expect.poll(async () => (await apiCall<{ status: string }>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    const { worked_ms } = await apiCall<{ worked_ms: number }>(app, "GET", `/tasks/${task.id}/steps/ask/runs/1/trace`);
    expect(worked_ms).toBeLessThan(2_500);
    await page.goto(`${app.url}/tasks/${task.id}`);
    await page.getByRole("button", { name: /^Open trace of / }).first().click();
    const worked = page.getByRole("dialog").locator(".trace-worked");
    await worked.waitFor({ timeout: 20_000 });
    expect(await worked.textContent()).toMatch(/^\s*worked (\d+ ms|\d\.\d s) of its 2m 0s timeout\s*$/);
    await page.keyboard.press("Escape");
  });

  it("wraps a question with a long unbroken URL inside its panel and the bell's list", async () => {
    const url = `https://example.com/${"q".repeat(300)}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Long ask ${uid()}`, description: `@ask Is ${url} right?\n@output ok` });
    await page.goto(`${app.url}/tasks/${task.id}`);
    const question = page.locator('.pending-item[data-kind="question"] .question');
    await question.waitFor({ timeout: 20_000 });
    expect(await pageWidth()).toBeLessThanOrEqual(await page.evaluate(() => window.innerWidth));
    expect(await question.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    await page.locator(".inbox-button").click();
    const item = page.locator(`.inbox-item[href="/tasks/${task.id}"]`);
    await item.waitFor();
    expect(await item.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    await page.keyboard.press("Escape");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("wraps a long unbroken search query and its result URLs inside the trace", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "researcher", title: `Long search ${uid()}`, description: `@search ${"s".repeat(300)}\n@output ok` });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    await page.goto(`${app.url}/tasks/${task.id}`);
    await page.getByRole("button", { name: /^Open trace of / }).first().click();
    const search = page.getByRole("dialog").locator(".search").first();
    await search.waitFor({ timeout: 20_000 });
    expect(await search.evaluate((e) => [...e.querySelectorAll("*")].every((c) => c.getBoundingClientRect().right <= e.getBoundingClientRect().right + 0.5))).toBe(true);
    await page.keyboard.press("Escape");
  });

  it("links a search result in the trace only to a web page, never to a javascript: or data: URL a provider sent", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "researcher", title: `Odd links ${uid()}`, description: "@search odd links\n@output ok" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    // the provider's results, as an Anthropic search result may carry them
    const odd = ["javascript:window.__xss=1", "data:text/html,<script>window.__xss=2</script>", "https://example.com/fine"];
    await page.route(/\/runs\/\d+\/trace$/, async (route) => {
      const trace = await (await route.fetch()).json();
      for (const turn of trace.turns) for (const s of turn.searches) s.results = odd.map((url, i) => ({ title: `Result ${i}`, url, snippet: "" }));
      await route.fulfill({ json: trace });
    });
    try {
      await page.goto(`${app.url}/tasks/${task.id}`);
      await page.getByRole("button", { name: /^Open trace of / }).first().click();
      const results = page.getByRole("dialog").locator(".search-results").first();
      await results.getByText("Result 2").waitFor({ timeout: 20_000 });
      expect(await results.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")))).toEqual(["https://example.com/fine"]);
      // the others are named, as text
      for (const i of [0, 1]) expect(await results.getByText(`Result ${i}`, { exact: true }).count()).toBe(1);
      await page.keyboard.press("Escape");
    } finally {
      await page.unrouteAll({ behavior: "wait" });
    }
  });

  it("wraps a long unbroken task title in the heads of its trace and its Cancel dialog, on a phone and a desktop", async () => {
    const title = `${"Unbroken".repeat(22)}${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@ask Which one?\n@output ok" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("needs_input");
    const fits = () => page.getByRole("dialog").evaluate((d) => d.scrollWidth <= d.clientWidth);
    try {
      for (const width of [375, 1280]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${app.url}/tasks/${task.id}`);
        await page.getByRole("button", { name: /^Open trace of / }).first().click();
        await page.getByRole("dialog").locator(".trace-head").waitFor({ timeout: 20_000 });
        expect(await fits(), `trace at ${width} px`).toBe(true);
        await page.keyboard.press("Escape");
        await page.locator(".detail-head").getByRole("button", { name: "Cancel", exact: true }).click();
        await page.getByRole("dialog", { name: "Cancel task?" }).waitFor();
        expect(await fits(), `Cancel at ${width} px`).toBe(true);
        await page.keyboard.press("Escape");
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("names a run's status in the trace's tabs and head as the step list does, while it runs and once done", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Run badge ${uid()}`, description: "@delay 3000\n@output ok" });
    await page.goto(`${app.url}/tasks/${task.id}`);
    await page.getByRole("button", { name: /^Open trace of/ }).click();
    const dialog = page.getByRole("dialog");
    const tab = dialog.getByRole("tab", { name: /^Run 1/ });
    await tab.locator('.badge[data-status="in_progress"]', { hasText: "Running" }).waitFor();
    await dialog.locator('.trace-head .badge[data-status="in_progress"]', { hasText: "Running" }).waitFor();
    await tab.locator('.badge[data-status="completed"]', { hasText: "Finished" }).waitFor({ timeout: 20_000 });
    await expect.poll(() => dialog.locator(".trace-head").textContent()).toMatch(/ · 1 turn · \s*worked .+ of its .+ timeout\s*$/);
    await page.keyboard.press("Escape");
  });

  it("names a rejected run Rejected in the trace's tabs and head, as the step list does", async () => {
    const task = await runUntilWaiting(app, `Rejected run ${uid()}`, loopOfReviews(["a"]), 1);
    await apiCall(app, "POST", `/tasks/${task.id}/steps/${encodeURIComponent("emails[0].draft")}/reject`, { comment: "warmer, please" });
    await expect.poll(async () => (await apiCall<{ pending: { run?: number }[] }>(app, "GET", `/tasks/${task.id}`)).pending[0]?.run, { timeout: 20_000 }).toBe(2);
    await page.goto(`${app.url}/tasks/${task.id}`);
    await page.locator("table.runs .badge", { hasText: "Rejected" }).waitFor({ timeout: 20_000 });
    // it finished, and was sent back: in the grey of what was set aside, not the green of the run that stands
    const colour = (text: string) => page.locator("table.runs .badge", { hasText: text }).first().evaluate((el) => getComputedStyle(el).color);
    expect(await colour("Rejected")).not.toBe(await colour("Finished"));
    await page.getByRole("button", { name: "Open trace of draft, emails #1", exact: true }).click();
    // named for the iteration, as its button is: every iteration's step is a draft
    const dialog = page.getByRole("dialog", { name: "Trace · draft, emails #1", exact: true });
    const tab = dialog.getByRole("tab", { name: /^Run 1/ });
    await tab.locator(".badge", { hasText: "Rejected" }).waitFor();
    await dialog.getByRole("tab", { name: /^Run 2/ }).locator(".badge", { hasText: "Finished" }).waitFor();
    await tab.click();
    await dialog.locator(".trace-head .badge", { hasText: "Rejected" }).waitFor();
    await page.keyboard.press("Escape");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("links a task to its sub-tasks: the task table filtered to them, the filter removable", async () => {
    const tag = uid();
    const spawn = JSON.stringify({ title: `Child ${tag}`, description: "@output child done", agent: "writer", wait: true });
    const parent = await apiCall<Created>(app, "POST", "/tasks", { agent: "planner", title: `Parent ${tag}`, description: `@tool spawn_task ${spawn}\n@output parent done` });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${parent.id}`)).status, { timeout: 20_000 }).toBe("completed");
    await page.goto(`${app.url}/tasks/${parent.id}`);
    await page.getByTestId("sub-tasks").getByRole("link", { name: "1 sub-task" }).click();
    await page.waitForURL(`**/tasks?parent_id=${parent.id}`);
    await page.getByTestId("parent-filter").waitFor();
    await expect.poll(() => page.locator("tr[data-task-id]").allTextContents()).toEqual([expect.stringContaining(`Child ${tag}`)]);
    await page.getByRole("button", { name: "Show every task, not only these sub-tasks" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.has("parent_id")).toBe(false);
    await expect.poll(() => page.locator("tr[data-task-id]").count()).toBeGreaterThan(1);
  });

  it("follows the sub-task totals of a finished task whose sub-task goes on after it", async () => {
    const spawn = JSON.stringify({ title: `Late child ${uid()}`, description: "@delay 3000\n@output child done", agent: "writer" });
    const parent = await apiCall<Created>(app, "POST", "/tasks", { agent: "planner", title: `Early parent ${uid()}`, description: `@tool spawn_task ${spawn}\n@output parent done` });
    await page.goto(`${app.url}/tasks/${parent.id}`);
    await badge("completed").waitFor({ timeout: 20_000 });
    const line = page.getByTestId("sub-tasks");
    await expect.poll(() => line.textContent()).toContain("$0.00,");
    type Children = { children: { cost: number }; status: string };
    await expect.poll(async () => (await apiCall<Children>(app, "GET", `/tasks/${parent.id}`)).children.cost, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => line.textContent()).not.toContain("$0.00,");
  });

  it("says which time zone a task's full dates are in", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Zoned ${uid()}`, description: "@output ok" });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setTimezoneOverride", { timezoneId: "Asia/Tokyo" });
    try {
      await page.goto(`${app.url}/tasks/${task.id}`);
      await badge("completed").waitFor({ timeout: 20_000 });
      await expect.poll(() => page.locator(".detail-head").textContent()).toMatch(/\d{1,2}:\d{2}:\d{2} [AP]M GMT\+9/);
    } finally {
      await cdp.send("Emulation.setTimezoneOverride", { timezoneId: "" });
      await cdp.detach();
    }
  });

  it("counts a running task's duration up without a refresh", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Slow ${uid()}`, description: "@delay 8000\n@output late" });
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("in_progress").waitFor({ timeout: 20_000 });
    const duration = page.locator(".stat").filter({ hasText: "Duration" });
    const first = await duration.textContent();
    await expect.poll(() => duration.textContent(), { timeout: 5_000 }).not.toBe(first);
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("keeps a person's answer in the conversation of a retry, which shows the turns it carried from the failed run", async () => {
    const task = await apiCall<Created & { session_id: string; pending: { call_id: string }[] }>(app, "POST", "/tasks", { agent: "writer", title: `Flaky ask ${uid()}`, description: "@ask Which region?\n@fail transient 1\n@output done" });
    let waiting = task;
    await expect.poll(async () => (waiting = await apiCall(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("needs_input");
    await apiCall(app, "POST", `/sessions/${waiting.session_id}/respond`, { call_id: waiting.pending[0].call_id, answers: ["EMEA"] });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    await page.goto(`${app.url}/tasks/${task.id}`);
    const conversation = page.getByRole("region", { name: "Conversation" });
    await conversation.getByText("EMEA").first().waitFor({ timeout: 20_000 });
    // asked once (the instructions quote it too), answered once
    expect(await conversation.locator(".msg-agent-asks").count()).toBe(1);
    expect(await conversation.locator(".msg-you").count()).toBe(1);
    await page.getByRole("button", { name: /^Open trace of / }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("tab", { name: /Run 2/ }).waitFor();
    await dialog.getByText("from run 1").first().waitFor({ timeout: 20_000 });
    // the arrow keys go from run to run
    await dialog.getByRole("tab", { name: /Run 2/ }).focus();
    await page.keyboard.press("ArrowLeft");
    await dialog.getByRole("tab", { name: /Run 1/, selected: true }).waitFor();
    expect(await dialog.getByRole("tab", { name: /Run 1/ }).evaluate((t) => t === document.activeElement)).toBe(true);
    await page.keyboard.press("Escape");
  });

  it("shows no reply to a question nobody has answered yet", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Ask ${uid()}`, description: "@ask Which region?\n@output done" });
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("needs_input").waitFor({ timeout: 20_000 });
    const conversation = page.getByRole("region", { name: "Conversation" });
    await conversation.getByText("Which region?").first().waitFor();
    expect(await conversation.textContent()).not.toContain("null");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("stops listening for a task that does not exist", async () => {
    const streams: string[] = [];
    const count = (req: { url(): string }) => {
      if (req.url().includes("/tasks/tsk_doesnotexist/events")) streams.push(req.url());
    };
    page.on("request", count);
    await page.goto(`${app.url}/tasks/tsk_doesnotexist`);
    // the page's heading says it, for a screen reader going by headings
    await page.getByRole("heading", { level: 1, name: "Task not found" }).waitFor();
    await page.waitForTimeout(4_000);
    page.off("request", count);
    expect(streams.length).toBeLessThanOrEqual(1);
  });

  it("keeps the task table and a long title's detail within a phone's width", async () => {
    const long = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `x${"y".repeat(150)}${uid()}`, description: "@output ok" });
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${app.url}/tasks`);
      await page.locator("tr[data-task-id]").first().waitFor({ timeout: 20_000 });
      expect(await pageWidth()).toBeLessThanOrEqual(390);
      await page.goto(`${app.url}/tasks/${long.id}`);
      await badge("completed").waitFor({ timeout: 20_000 });
      expect(await pageWidth()).toBeLessThanOrEqual(390);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("fits a loop's nested steps waiting for review within a phone's width", async () => {
    const task = await runUntilWaiting(app, `Nested on a phone ${uid()}`, loopOfReviews(["a", "b"]), 2);
    await page.setViewportSize({ width: 375, height: 800 });
    try {
      await page.goto(`${app.url}/tasks/${task.id}`);
      const trace = page.getByRole("button", { name: "Open trace of draft" });
      await expect.poll(() => trace.count(), { timeout: 20_000 }).toBe(2);
      expect(await pageWidth()).toBeLessThanOrEqual(375);
      for (const box of await Promise.all((await trace.all()).map((b) => b.boundingBox()))) expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("shows a loop iteration's long item on one line within the page, the whole item in its tooltip", async () => {
    const items = [Array.from({ length: 600 }, (_, i) => `word${i}`).join(" "), "x".repeat(400)];
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Long items ${uid()}`,
      steps: [{ id: "list", agent: "writer", instructions: `@output ${JSON.stringify(items)}` }, { id: "each", kind: "loop", over: "list", body: [{ id: "d", agent: "writer", instructions: "@output ok" }] }],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("completed").waitFor({ timeout: 20_000 });
    for (const [i, item] of items.entries()) {
      const sub = page.locator(`.step[data-step="each[${i}]"] > .step-row .step-sub`);
      expect(await sub.getAttribute("title")).toBe(`item ${item}`);
      // one line, as a step's other details are
      expect((await sub.boundingBox())!.height).toBeLessThan(30);
    }
    expect(await pageWidth()).toBeLessThanOrEqual(await page.evaluate(() => document.documentElement.clientWidth));
  });

  it("keeps a row's actions in view in a task table wider than its box, and focuses the answer box of its dialog", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Needs an answer ${uid()} with a title long enough to widen the table`, description: "@ask Which one?\n@output ok" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("needs_input");
    await page.goto(`${app.url}/tasks`);
    const button = page.locator(`tr[data-task-id="${task.id}"]`).getByRole("button", { name: "Provide input" });
    await button.waitFor({ timeout: 20_000 });
    const [box, wrap] = await Promise.all([button.boundingBox(), page.locator(".table-wrap").boundingBox()]);
    expect(box!.x + box!.width).toBeLessThanOrEqual(wrap!.x + wrap!.width);
    // the answer box, not the dialog's Close button, takes the focus
    await button.click();
    await page.getByRole("dialog").waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("TEXTAREA");
    await page.keyboard.press("Escape");
    await apiCall(app, "DELETE", `/tasks/${task.id}`);
  });

  it("shows each step's duration in an expanded board card and on a phone's detail page", async () => {
    const title = `Card steps ${uid()}`;
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title, description: "@output ok" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    await page.goto(`${app.url}/`);
    const card = page.locator(`article.task-card[aria-label="${title}"]`);
    await card.getByRole("button", { name: title }).click();
    await expect.poll(() => card.locator(".step .step-duration").first().isVisible()).toBe(true);
    expect(await card.locator(".step .step-duration").first().textContent()).toMatch(/\d/);
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${app.url}/tasks/${task.id}`);
      await badge("completed").waitFor({ timeout: 20_000 });
      await expect.poll(() => page.locator(".step .step-duration").first().isVisible()).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("hides the branch paths not taken in the plan graph, as in the step list", async () => {
    const agentStep = (id: string, instructions: string) => ({ id, agent: "writer", instructions });
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Branch graph ${uid()}`,
      steps: [
        agentStep("triage", "@output urgent"),
        { id: "route", kind: "branch", on: "triage", cases: { urgent: [agentStep("page", "@output paged")], low: [agentStep("ticket", "@output ticketed")] }, default: [agentStep("ignore", "@output ignored")] },
      ],
    });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("completed").waitFor({ timeout: 20_000 });
    await page.locator('.dag-node[data-step="page"][data-status="completed"]').waitFor();
    expect(await page.locator('.dag-node[data-step="ticket"], .dag-node[data-step="ignore"]').count()).toBe(0);
  });

  it("shows a loop's body steps Skipped in the plan graph when it had no items, and Cancelled when the task stopped before it began, never Waiting", async () => {
    const agentStep = (id: string, instructions: string) => ({ id, agent: "writer", instructions });
    const loopPlan = (list: string) => apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Loop graph ${uid()}`,
      steps: [agentStep("list", list), { id: "each", kind: "loop", over: "list", body: [agentStep("draft", "@output {{item}}")] }, { ...agentStep("after", "@output done"), depends_on: ["each"] }],
    });
    const empty = await apiCall<Created>(app, "POST", `/plans/${(await loopPlan("@output []")).id}/run`, {});
    await page.goto(`${app.url}/tasks/${empty.id}`);
    await badge("completed").waitFor({ timeout: 20_000 });
    await page.locator('.dag-node[data-step="after"][data-status="completed"]').waitFor();
    await page.locator('.dag-node[data-step="draft"][data-status="skipped"]').waitFor();

    const stopped = await apiCall<Created>(app, "POST", `/plans/${(await loopPlan("@delay 600000\n@output [1]")).id}/run`, {});
    await expect.poll(async () => (await apiCall<{ status: string }>(app, "GET", `/tasks/${stopped.id}`)).status, { timeout: 20_000 }).toBe("in_progress");
    await apiCall(app, "DELETE", `/tasks/${stopped.id}`);
    await page.goto(`${app.url}/tasks/${stopped.id}`);
    await badge("cancelled").waitFor({ timeout: 20_000 });
    await page.locator('.dag-node[data-step="each"][data-status="cancelled"]').waitFor();
    await page.locator('.dag-node[data-step="draft"][data-status="cancelled"]').waitFor();
    expect(await page.locator('.dag-node[data-status="pending"]').count()).toBe(0);
  });

  it("cuts a long step name with … inside its box in the plan graph, the full name in its tooltip", async () => {
    const name = "WWWW Market research across every European country and region";
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Long names ${uid()}`, steps: [{ id: "wide", name, agent: "writer", instructions: "@output ok" }] });
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, {});
    await page.goto(`${app.url}/tasks/${task.id}`);
    const node = page.locator('.dag-node[data-step="wide"]');
    await node.waitFor();
    const fit = await node.evaluate((g) => {
      const box = g.querySelector("rect")!.getBoundingClientRect();
      const label = g.querySelector<SVGTextElement>(".dag-label")!;
      const text = label.getBoundingClientRect();
      return { text: label.textContent ?? "", inside: text.right <= box.right, title: g.querySelector("title")?.textContent ?? "" };
    });
    expect(fit.text.endsWith("…")).toBe(true);
    expect(fit.inside).toBe(true);
    expect(fit.title).toContain(name);
  });

  it("says why a pending task waits, on its page and its opened board card, and follows the line as it moves", async () => {
    const agent = `solo-${uid()}`;
    await apiCall(app, "POST", "/agents", { name: agent, model: "sim", tools: ["ask_human"], max_concurrency: 1 });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await apiCall<Created>(app, "POST", "/tasks", { agent, title: `${agent} ${n}`, description: "@ask go on?\n@output done" })).id);
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${ids[0]}`)).status, { timeout: 20_000 }).toBe("needs_input");

    await page.goto(`${app.url}/tasks/${ids[2]}`);
    const note = page.locator(".detail-head").getByTestId("task-waiting");
    await expect.poll(() => note.textContent(), { timeout: 20_000 }).toBe(`Waiting: ${agent} is at its limit of 1 running task (2nd in line)`);

    await page.goto(app.url);
    const card = page.locator(`article.task-card[aria-label="${agent} 2"]`);
    await card.locator(".task-card-head").click();
    await expect.poll(() => card.getByTestId("task-waiting").textContent(), { timeout: 20_000 }).toBe(`Waiting: ${agent} is at its limit of 1 running task (next in line)`);

    // the task ahead leaves the line: the page says so without a reload, though nothing of this task's own changed
    await page.goto(`${app.url}/tasks/${ids[2]}`);
    await note.waitFor({ timeout: 20_000 });
    await apiCall(app, "DELETE", `/tasks/${ids[1]}`);
    await expect.poll(() => note.textContent(), { timeout: 20_000 }).toBe(`Waiting: ${agent} is at its limit of 1 running task (next in line)`);
    // a running task has no such note
    await page.goto(`${app.url}/tasks/${ids[0]}`);
    await badge("needs_input").waitFor({ timeout: 20_000 });
    expect(await note.count()).toBe(0);
    for (const id of [ids[0], ids[2]]) await apiCall(app, "DELETE", `/tasks/${id}`);
  });

  it("reruns a failed task from its page: from its failed step or whole, with changed inputs (one the API refuses marked), on the plan's fixed version", async () => {
    const def = (second: string) => ({
      name: `Rerun ${uid()}`,
      params: [{ name: "tone", required: true, enum: ["warm", "dry"] }],
      steps: [
        { id: "draft", agent: "writer", instructions: "@output draft in {{params.tone}}" },
        { id: "polish", agent: "writer", depends_on: ["draft"], instructions: `@output ${second}` },
      ],
    });
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", def("polished\n@fail permanent"));
    const task = await apiCall<Created>(app, "POST", `/plans/${plan.id}/run`, { inputs: { tone: "warm" } });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("failed");
    await apiCall(app, "PUT", `/plans/${plan.id}`, def("polished again"));

    // the failed step's own button opens the dialog with it chosen
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("failed").waitFor({ timeout: 20_000 });
    expect(await page.getByRole("button", { name: /^Rerun from here… \(draft\)/ }).count()).toBe(0);
    // its name begins with the words it shows, then says which step, so a voice command by those words finds it
    await page.getByRole("button", { name: "Rerun from here… (polish)", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Rerun task" });
    const version = dialog.getByLabel("Plan version");
    await version.waitFor();
    expect(await version.locator("option").allTextContents()).toEqual(["v1 (the one this task ran)", "v2 (the plan's current)"]);
    const tone = dialog.getByLabel(/^tone/);
    expect(await tone.inputValue()).toBe("warm");
    expect(await tone.locator("option").allTextContents()).toEqual(["Choose…", "warm", "dry"]);

    expect(await dialog.getByLabel("Rerun from").inputValue()).toBe("polish");

    // the reused draft was written in the old tone: the API refuses, the dialog says why and keeps what was chosen
    await tone.selectOption("dry");
    await dialog.getByRole("button", { name: "Rerun", exact: true }).click();
    await expect.poll(() => dialog.getByRole("alert").textContent()).toContain("rerun from draft");
    expect(await tone.inputValue()).toBe("dry");
    // the param the refusal names is marked, described by it and focused
    expect(await tone.getAttribute("aria-invalid")).toBe("true");
    expect(await tone.evaluate((el) => document.getElementById(el.getAttribute("aria-describedby") ?? "")?.textContent)).toContain("rerun from draft");
    await expect.poll(() => tone.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(page.url()).toBe(`${app.url}/tasks/${task.id}`);

    await dialog.getByLabel("Rerun from").selectOption("");
    await version.selectOption("current");
    await dialog.getByRole("button", { name: "Rerun", exact: true }).click();
    await expect.poll(() => page.url(), { timeout: 20_000 }).not.toBe(`${app.url}/tasks/${task.id}`);
    const id = page.url().split("/tasks/")[1];
    const rerun = await apiCall<{ rerun_of: string; plan_version: number; inputs: Record<string, string>; status: string }>(app, "GET", `/tasks/${id}`);
    expect(rerun).toMatchObject({ rerun_of: task.id, plan_version: 2, inputs: { tone: "dry" } });
    await badge("completed").waitFor({ timeout: 20_000 });
    await page.locator('.step[data-step="polish"] .step-output').filter({ hasText: "polished again" }).waitFor();
  });

  it("says the task open on its page was deleted, rather than keeping its last data on screen", async () => {
    const task = await apiCall<Created>(app, "POST", "/tasks", { agent: "writer", title: `Deleted ${uid()}`, description: "@output soon gone" });
    await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("completed").waitFor({ timeout: 20_000 });
    await page.locator('.conn[title^="Live updates"][data-state="open"]').waitFor({ timeout: 20_000 });
    await apiCall(app, "DELETE", `/tasks/${task.id}/purge`);
    await page.getByRole("status").filter({ hasText: "This task was deleted" }).waitFor({ timeout: 20_000 });
    await page.getByRole("heading", { level: 1, name: "This task was deleted" }).waitFor();
    expect(await page.locator(".detail-head").count()).toBe(0);
    await page.getByRole("link", { name: "Back to Tasks" }).waitFor();
  });

  it("says when a refresh of the task fails, keeping what it last read, and reads it again on Try again", async () => {
    const task = await apiCall<Created & { session_id: string }>(app, "POST", "/tasks", { agent: "researcher", title: `Refresh ${uid()}`, description: "@ask Which region?\n@output answered" });
    const detail = `**/api/v1/tasks/${task.id}`;
    // Routed from the start: a read the page sent before the detail went down, which a busy server answers after the
    // answer below, is refused too, so what the page last read is the question.
    let down = false;
    let refused = 0;
    const refuse = { status: 500, contentType: "application/json", body: JSON.stringify({ error: { code: "internal", message: "the detail is down", request_id: "r" } }) };
    await page.route(detail, async (route) => {
      const res = down ? null : await route.fetch();
      if (down || !res) refused++;
      await (down || !res ? route.fulfill(refuse) : route.fulfill({ response: res }));
    });
    await page.goto(`${app.url}/tasks/${task.id}`);
    await badge("needs_input").waitFor({ timeout: 20_000 });
    down = true;
    const { pending } = await apiCall<{ pending: { call_id: string }[] }>(app, "GET", `/tasks/${task.id}`);
    await apiCall(app, "POST", `/sessions/${task.session_id}/respond`, { call_id: pending[0].call_id, answers: ["EMEA"] });
    const alert = page.getByRole("alert").filter({ hasText: "Could not refresh this task" });
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toContain("the detail is down");
    await badge("needs_input").waitFor();
    // Try again reads the task again (refused again while the detail is down, so the alert stays)
    const before = refused;
    await alert.getByRole("button", { name: "Try again" }).click();
    await expect.poll(() => refused).toBeGreaterThan(before);
    await alert.waitFor();
    // once the detail is back, the next read (Try again, or one the live stream asks for first) shows the task as it is
    down = false;
    await expect
      .poll(async () => {
        // a read the live stream asked for may take the alert away between its lookup and the click: then the next poll looks again
        if (await alert.count()) await alert.getByRole("button", { name: "Try again" }).click({ timeout: 1_000 }).catch(() => {});
        return badge("completed").count();
      }, { timeout: 20_000 })
      .toBe(1);
    expect(await alert.count()).toBe(0);
    await page.unroute(detail);
  });

  it("says in a run's trace which MCP tools were offered under another name", async () => {
    const mcp = await startMcp();
    try {
      const server = `http://127.0.0.1:${mcp.port}/mcp`;
      const agent = `mcp-${uid()}`;
      await apiCall(app, "POST", "/agents", { name: agent, model: "sim", tools: [`mcp:${server}`] });
      const task = await apiCall<Created>(app, "POST", "/tasks", { agent, title: `Renamed ${uid()}`, description: "@tool notes_read_2 {}\n@output done" });
      await expect.poll(async () => (await apiCall<Created>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
      await page.goto(`${app.url}/tasks/${task.id}`);
      await page.getByRole("button", { name: /^Open trace of / }).first().click();
      const note = page.getByRole("dialog").getByRole("note", { name: "Tools offered under another name" });
      await note.waitFor({ timeout: 20_000 });
      expect(await note.count()).toBe(1);
      expect((await note.textContent())!.replace(/\s+/g, " ")).toContain(`notes_read_2 is notes_read of ${server} (its name was taken by notes.read of ${server})`);
    } finally {
      await mcp.close();
    }
  });
});
