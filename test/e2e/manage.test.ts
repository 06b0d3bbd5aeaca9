import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** Agents, plans and triggers as an admin manages them in the dashboard. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

interface Agent {
  id: string;
  name: string;
  max_cost: number | null;
  max_concurrency: number | null;
  max_tool_calls_per_turn: number | null;
}

const onePlan = (name: string, params: { name: string; required?: boolean; default?: string }[]) =>
  apiCall<{ id: string; name: string; version: number }>(app, "POST", "/plans", {
    name,
    params,
    steps: [{ id: "write", kind: "agent", agent: "writer", instructions: `${params.map((p) => `{{params.${p.name}}}`).join(" ")}\n@output ok` }],
  });

/**
 * Opens `url` and waits until its live feed is open and its list (`list`, the API's path) has been read with no new read
 * for a second (the feed's first connection reads it again): what changes after is known to the page only by the feed.
 */
async function openSettled(url: string, list: string): Promise<void> {
  let [reads, lastRead] = [0, 0];
  const start = (r: { url(): string }) => void (new URL(r.url()).pathname === list && (reads++, (lastRead = Date.now())));
  page.on("request", start);
  try {
    await page.goto(url);
    await page.locator('.conn[data-state="open"]').first().waitFor();
    await expect.poll(() => reads > 0 && Date.now() - lastRead > 1000, { timeout: 20_000 }).toBe(true);
  } finally {
    page.off("request", start);
  }
}

describe("agents", () => {
  it("keeps an agent's cost, concurrency and tool-call limits through an edit, and clears them when emptied", async () => {
    const name = `limited-${uid()}`;
    const created = await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim", max_cost: 2.5, max_concurrency: 3, max_tool_calls_per_turn: 4 });
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    expect(await dialog.getByLabel("Max cost per task (USD)").inputValue()).toBe("2.5");
    expect(await dialog.getByLabel("Max concurrent tasks").inputValue()).toBe("3");
    expect(await dialog.getByLabel("Max tool calls per turn").inputValue()).toBe("4");
    await dialog.getByLabel("System prompt").fill("Be brief.");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const kept = (await apiCall<{ items: Agent[] }>(app, "GET", "/agents")).items.find((a) => a.id === created.id);
    expect(kept).toMatchObject({ max_cost: 2.5, max_concurrency: 3, max_tool_calls_per_turn: 4 });
    expect(await page.getByText(`4 tool calls per turn`).count()).toBeGreaterThan(0);

    await page.getByRole("button", { name: `Edit ${name}` }).click();
    await dialog.getByLabel("Max cost per task (USD)").fill("");
    await dialog.getByLabel("Max concurrent tasks").fill("");
    await dialog.getByLabel("Max tool calls per turn").fill("40");
    await dialog.getByRole("button", { name: "Save" }).click();
    // past the instance's bound: the server's reason is shown and nothing is saved
    await dialog.getByText("at most 32").waitFor();
    await dialog.getByLabel("Max tool calls per turn").fill("");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const cleared = (await apiCall<{ items: Agent[] }>(app, "GET", "/agents")).items.find((a) => a.id === created.id);
    expect(cleared).toMatchObject({ max_cost: null, max_concurrency: null, max_tool_calls_per_turn: null });
  });
  it("gives the focus back to New agent and Edit on Escape and after a save, the page staying behind the form", async () => {
    const name = `keyed-${uid()}`;
    await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim" });
    await page.goto(`${app.url}/agents`);
    const focused = (el: ReturnType<Page["getByRole"]>) => el.evaluate((e) => e === document.activeElement);
    for (const [button, title] of [["New agent", "New agent"], [`Edit ${name}`, `Edit ${name}`]]) {
      const opener = page.getByRole("button", { name: button, exact: true });
      await opener.focus();
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: title });
      await dialog.getByLabel("System prompt").waitFor();
      expect(await page.getByRole("heading", { name: "Agents", exact: true }).isVisible(), `${title}: the page stays behind it`).toBe(true);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await expect.poll(() => focused(opener), { message: `${title}: focus back on ${button}` }).toBe(true);
    }
    const opener = page.getByRole("button", { name: `Edit ${name}`, exact: true });
    await opener.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    await dialog.getByLabel("System prompt").fill("Be brief.");
    await dialog.getByRole("button", { name: "Save" }).press("Enter");
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => focused(opener), { message: "focus back on Edit after saving" }).toBe(true);
  });

  it("follows agents made, edited and deleted elsewhere without a reload", async () => {
    await openSettled(`${app.url}/agents`, "/api/v1/agents");
    const name = `elsewhere-${uid()}`;
    const made = await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim" });
    const card = page.getByRole("article", { name });
    await card.getByRole("button", { name: `Edit ${name}` }).waitFor({ timeout: 10_000 });
    await apiCall(app, "PUT", `/agents/${made.id}`, { name, model: "sim", max_concurrency: 7 });
    await card.getByText("7 at once").waitFor({ timeout: 10_000 });
    await apiCall(app, "DELETE", `/agents/${made.id}`);
    await card.waitFor({ state: "detached", timeout: 10_000 });
  });

  it("refuses a save or a delete from a page read before another admin's edit, says so, and keeps that edit", async () => {
    const name = `shared-${uid()}`;
    const created = await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim", system_prompt: "v1" });
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    // another admin saves while this form is open
    await apiCall(app, "PUT", `/agents/${created.id}`, { name, model: "sim", system_prompt: "theirs" });
    await dialog.getByLabel("System prompt").fill("mine");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("Another admin saved this agent since you opened it (it is now at version 2)").waitFor();
    expect((await apiCall<Agent & { system_prompt: string }>(app, "GET", `/agents/${created.id}`)).system_prompt).toBe("theirs");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    // opened again, the form holds their edit (the list reloaded), and saving over it goes through
    for (let attempt = 0; ; attempt++) {
      await page.getByRole("button", { name: `Edit ${name}` }).click();
      if ((await dialog.getByLabel("System prompt").inputValue()) === "theirs") break;
      await dialog.getByRole("button", { name: "Cancel" }).click();
      if (attempt === 20) throw new Error("the reopened form never showed the other admin's edit");
      await page.waitForTimeout(250);
    }
    await dialog.getByLabel("System prompt").fill("mine, after theirs");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    expect((await apiCall<Agent & { system_prompt: string }>(app, "GET", `/agents/${created.id}`)).system_prompt).toBe("mine, after theirs");

    // the list follows live edits: the dialog open before theirs holds the version it was opened on
    await page.getByRole("button", { name: `Delete ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: `Delete ${name}?` });
    await confirm.waitFor();
    await apiCall(app, "PUT", `/agents/${created.id}`, { name, model: "sim", system_prompt: "theirs again" });
    await confirm.getByRole("button", { name: "Delete agent" }).click();
    await confirm.getByText("Another admin changed this agent since the list was read (it is now at version 4)").waitFor();
    expect(await confirm.getByRole("link", { name: "Open Settings › Triggers" }).count()).toBe(0);
    expect(await apiCall(app, "GET", `/agents/${created.id}`)).toBeTruthy();
    // the page now holds version 4: confirming again deletes what the admin has seen
    for (let attempt = 0; ; attempt++) {
      await confirm.getByRole("button", { name: "Delete agent" }).click();
      const closed = await confirm.waitFor({ state: "detached", timeout: 3_000 }).then(() => true, () => false);
      if (closed) break;
      if (attempt === 10) throw new Error("the delete dialog never took the agent's new version");
    }
    await expect(apiCall(app, "GET", `/agents/${created.id}`)).rejects.toThrow(/404/);
  });
});

describe("agents made in the form", () => {
  it("gets the API's defaults for what the form leaves as it is", async () => {
    const name = `plain-${uid()}`;
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: "New agent" }).click();
    const dialog = page.getByRole("dialog", { name: "New agent" });
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByRole("button", { name: "Create agent" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await apiCall<Agent & { max_turns: number }>(app, "GET", `/agents/${name}`)).toMatchObject({ max_turns: 20, max_cost: null, max_concurrency: null, max_tool_calls_per_turn: null });
  });
});

describe("agents a trigger uses", () => {
  it("says on an agent's card and in Pricing when nothing prices its model, until a price is set", async () => {
    const model = `openai:gpt-e2e-${uid()}`;
    const agent = await apiCall<Agent>(app, "POST", "/agents", { name: `unpriced-${uid()}`, model });
    await page.goto(`${app.url}/agents`);
    const card = page.getByRole("article", { name: agent.name });
    await card.getByTestId("unpriced").filter({ hasText: `No price for ${model}` }).waitFor();
    await card.getByRole("link", { name: "Set one in Pricing" }).click();
    await page.getByTestId("unpriced-models").filter({ hasText: model }).waitFor();
    await page.locator(`tr[data-model="${model}"][data-source="none"]`).getByText("No price").waitFor();

    await apiCall(app, "PUT", `/pricing/${model}`, { input: 1, cache: 0.1, output: 4 });
    // the card is drawn with the prices read after the reload, not before they came
    await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/pricing"), page.goto(`${app.url}/agents`)]);
    await card.waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    expect(await card.getByTestId("unpriced").count()).toBe(0);
    await apiCall(app, "DELETE", `/agents/${agent.id}`);
    await apiCall(app, "DELETE", `/pricing/${model}`);
  });

  it("deletes an agent after confirming, and shows why when a trigger's plan still uses it", async () => {
    const name = `kept-${uid()}`;
    await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim" });
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: `Uses ${name}`, steps: [{ id: "a", agent: name, instructions: "@output ok" }] });
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", inputs: {} });
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: `Delete ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Delete ${name}?` });
    await dialog.getByRole("button", { name: "Delete agent" }).click();
    await dialog.getByRole("alert").filter({ hasText: trigger.id }).waitFor();
    await dialog.getByRole("link", { name: "Open Settings › Triggers" }).waitFor();
    expect(await apiCall(app, "GET", `/agents/${name}`)).toBeTruthy();

    await apiCall(app, "DELETE", `/triggers/${trigger.id}`);
    await dialog.getByRole("button", { name: "Delete agent" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect(apiCall(app, "GET", `/agents/${name}`)).rejects.toThrow(/404/);
  });

  it("names the saved plans a delete or a rename would leave unable to run, before it is done", async () => {
    const name = `named-${uid()}`;
    await apiCall<Agent>(app, "POST", "/agents", { name, model: "sim" });
    const nested = await apiCall<{ id: string; name: string }>(app, "POST", "/plans", {
      name: `Loops over ${name}`,
      steps: [{ id: "src", agent: "writer", instructions: '@output ["a"]' }, { id: "each", kind: "loop", over: "src", depends_on: ["src"], body: [{ id: "d", agent: name, instructions: "@output d" }] }],
    });
    const other = await apiCall<{ id: string; name: string }>(app, "POST", "/plans", { name: `Not ${name}`, steps: [{ id: "a", agent: "writer", instructions: "@output ok" }] });
    await page.goto(`${app.url}/agents`);
    await page.getByRole("button", { name: `Delete ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Delete ${name}?` });
    const notice = dialog.getByTestId("plans-naming");
    await notice.getByRole("link", { name: nested.name }).waitFor();
    expect(await notice.textContent()).toContain(`A saved plan names ${name}: deleted, it leaves it unable to run`);
    expect(await notice.getByRole("link", { name: other.name }).count()).toBe(0);
    await dialog.getByRole("button", { name: "Keep" }).click();

    // renaming says so as the name is changed, and not while it is the same
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    const form = page.getByRole("dialog", { name: `Edit ${name}` });
    expect(await form.getByTestId("plans-naming").count()).toBe(0);
    await form.getByLabel("Name", { exact: true }).fill(`${name}-2`);
    await form.getByTestId("plans-naming").getByRole("link", { name: nested.name }).waitFor();
    expect(await form.getByTestId("plans-naming").textContent()).toContain("renamed, it leaves it unable to run");
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByTestId("plans-naming").waitFor({ state: "detached" });
  });
});

describe("plans", () => {
  it("runs each plan with its own inputs and defaults after switching plans on the Run tab", async () => {
    const a = await onePlan(`Alpha ${uid()}`, [{ name: "topic", required: true }]);
    const b = await onePlan(`Beta ${uid()}`, [{ name: "region", default: "emea" }]);
    await page.goto(`${app.url}/plans/${a.id}`);
    await page.getByRole("tab", { name: "Run" }).click();
    await page.getByLabel(/^topic/).fill("pricing");
    await page.getByRole("link", { name: new RegExp(b.name) }).click();
    await page.waitForURL(`**/plans/${b.id}`);
    const form = page.getByRole("form", { name: "Run plan" });
    await expect.poll(() => form.getByLabel(/^region/).inputValue()).toBe("emea");
    expect(await form.getByLabel(/^topic/).count()).toBe(0);
    await form.getByRole("button", { name: "Run plan" }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    const task = await apiCall<{ plan_id: string; status: string }>(app, "GET", `/tasks/${page.url().split("/tasks/")[1]}`);
    expect(task.plan_id).toBe(b.id);
  });

  it("offers an enum param's values in a select, its default chosen, and runs with the one picked", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Enum ${uid()}`,
      params: [{ name: "tone", enum: ["formal", "casual"], default: "formal" }, { name: "env", required: true, enum: ["staging", "prod"] }],
      steps: [{ id: "write", agent: "writer", instructions: "{{params.tone}} {{params.env}}\n@output ok" }],
    });
    await page.goto(`${app.url}/plans/${plan.id}`);
    await page.getByRole("tab", { name: "Run" }).click();
    const form = page.getByRole("form", { name: "Run plan" });
    const tone = form.getByRole("combobox", { name: /^tone/ });
    await expect.poll(() => tone.inputValue()).toBe("formal");
    expect(await tone.locator("option").allTextContents()).toEqual(["(none)", "formal", "casual"]);
    const env = form.getByRole("combobox", { name: /^env/ });
    expect(await env.inputValue()).toBe("");
    await env.selectOption("prod");
    await tone.selectOption("casual");
    await form.getByRole("button", { name: "Run plan" }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    const task = await apiCall<{ inputs: Record<string, string> }>(app, "GET", `/tasks/${page.url().split("/tasks/")[1]}`);
    expect(task.inputs).toEqual({ tone: "casual", env: "prod" });
  });

  it("asks before leaving a plan with unsaved edits, and keeps them when told to stay", async () => {
    const a = await onePlan(`Draft ${uid()}`, []);
    const b = await onePlan(`Other ${uid()}`, []);
    await apiCall(app, "PUT", `/plans/${a.id}`, { name: a.name, steps: [{ id: "write", agent: "writer", instructions: "v2\n@output ok" }] });
    await page.goto(`${app.url}/plans/${a.id}`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain('"write"');
    const edited = (await editor.inputValue()).replace('"description": ""', '"description": "unsaved work"');
    await editor.fill(edited);
    const asked: string[] = [];
    page.once("dialog", (d) => (asked.push(d.message()), void d.dismiss()));
    await page.getByRole("link", { name: new RegExp(b.name) }).click();
    await expect.poll(() => asked).toEqual(["Discard your unsaved changes to this plan?"]);
    expect(page.url()).toBe(`${app.url}/plans/${a.id}`);
    expect(await editor.inputValue()).toBe(edited);
    // so does picking another version; once saved, leaving asks nothing
    await page.getByRole("tab", { name: "Versions" }).click();
    page.once("dialog", (d) => (asked.push(d.message()), void d.dismiss()));
    await page.getByRole("button", { name: /^v1/ }).click();
    await expect.poll(() => asked.length).toBe(2);
    await page.getByRole("tab", { name: "JSON" }).click();
    expect(await editor.inputValue()).toBe(edited);
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByTestId("plan-version").filter({ hasText: "version 3" }).waitFor();
    await page.getByRole("link", { name: new RegExp(b.name) }).click();
    await page.waitForURL(`**/plans/${b.id}`);
    expect(asked).toHaveLength(2);
  });

  it("keeps the edits of a save refused because another version was saved meanwhile, and replaces that version on request", async () => {
    const plan = await onePlan(`Shared ${uid()}`, []);
    await page.goto(`${app.url}/plans/${plan.id}`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain('"write"');
    const edited = (await editor.inputValue()).replace('"description": ""', '"description": "mine"');
    await editor.fill(edited);
    // another tab (or a script) saves version 2 meanwhile
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: plan.name, description: "theirs", steps: [{ id: "write", agent: "writer", instructions: "theirs\n@output ok" }] });
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("alert").filter({ hasText: "Version 2 of this plan was saved while you edited" }).waitFor();
    expect(await editor.inputValue()).toBe(edited);
    const theirs = await apiCall<{ version: number; description: string; saved_by: { name: string } }>(app, "GET", `/plans/${plan.id}`);
    expect(theirs.description).toBe("theirs");
    // the page says what it is on, and what Run starts: the version it loaded, by number
    await page.getByTestId("plan-version").filter({ hasText: `version 1 · editing from version 1 — version 2 saved by ${theirs.saved_by.name} meanwhile` }).waitFor();
    await page.getByRole("tab", { name: "Run" }).click();
    expect(await page.getByTestId("runs-version").textContent()).toBe(`Runs v1, the version this page loaded, not v2 saved by ${theirs.saved_by.name} meanwhile: Revert to load v2 and run it.`);
    await page.getByRole("button", { name: "Run plan v1" }).waitFor();
    await page.getByRole("tab", { name: "JSON" }).click();
    expect(await editor.inputValue()).toBe(edited);
    expect(await page.getByRole("link", { name: "See version 2 (new tab)" }).getAttribute("href")).toBe(`/plans/${plan.id}?version=2`);

    await page.getByRole("button", { name: "Replace version 2" }).click();
    await page.getByTestId("plan-version").filter({ hasText: "version 3" }).waitFor();
    expect(await page.getByTestId("newer-version").count()).toBe(0);
    expect(await apiCall<{ version: number; description: string }>(app, "GET", `/plans/${plan.id}`)).toMatchObject({ version: 3, description: "mine" });
    // saving it again as it is makes no version, and says so; an edit then saves over the version this tab made
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("status").getByText(`Nothing changed: “${plan.name}” stays at v3`).waitFor();
    await editor.fill(edited.replace('"description": "mine"', '"description": "mine again"'));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByTestId("plan-version").filter({ hasText: "version 4" }).waitFor();
    expect(await apiCall<{ version: number; description: string }>(app, "GET", `/plans/${plan.id}`)).toMatchObject({ version: 4, description: "mine again" });

    // told of a version saved meanwhile, Revert discards the edits for it, and the next save builds on it
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: plan.name, description: "theirs again", steps: [{ id: "write", agent: "writer", instructions: "theirs\n@output ok" }] });
    await editor.fill((await editor.inputValue()).replace('"description": "mine again"', '"description": "lost cause"'));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("alert").filter({ hasText: "Version 5 of this plan was saved while you edited" }).waitFor();
    await page.getByRole("button", { name: "Revert" }).click();
    await page.getByTestId("plan-version").filter({ hasText: "version 5" }).waitFor();
    await expect.poll(() => editor.inputValue()).toContain('"description": "theirs again"');
    await editor.fill((await editor.inputValue()).replace('"description": "theirs again"', '"description": "after theirs"'));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByTestId("plan-version").filter({ hasText: "version 6" }).waitFor();
    expect((await apiCall<{ description: string }>(app, "GET", `/plans/${plan.id}`)).description).toBe("after theirs");
  });

  it("runs the version the page shows, by its number, not one saved meanwhile", async () => {
    const plan = await onePlan(`Pinned ${uid()}`, [{ name: "topic", default: "first" }]);
    await page.goto(`${app.url}/plans/${plan.id}`);
    await expect.poll(() => page.getByLabel("Plan JSON").inputValue()).toContain('"write"');
    // another tab saves version 2, with another param, after this page loaded version 1
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: plan.name, params: [{ name: "subject", required: true }], steps: [{ id: "write2", agent: "writer", instructions: "{{params.subject}}\n@output ok" }] });
    await page.getByRole("tab", { name: "Run" }).click();
    const form = page.getByRole("form", { name: "Run plan" });
    await expect.poll(() => form.getByLabel(/^topic/).inputValue()).toBe("first");
    await form.getByRole("button", { name: "Run plan v1" }).click();
    await page.waitForURL(/\/tasks\/tsk_/);
    const task = await apiCall<{ plan_version: number; inputs: Record<string, string> }>(app, "GET", `/tasks/${page.url().split("/tasks/")[1]}`);
    expect(task).toMatchObject({ plan_version: 1, inputs: { topic: "first" } });
  });

  it("keeps the edits of a plan deleted elsewhere while they were made, and saves them as a new plan when asked", async () => {
    const plan = await onePlan(`Vanishing ${uid()}`, []);
    await page.goto(`${app.url}/plans/${plan.id}`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain('"write"');
    const edited = (await editor.inputValue()).replace('"description": ""', '"description": "kept work"');
    await editor.fill(edited);
    await apiCall(app, "DELETE", `/plans/${plan.id}`);
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("alert").filter({ hasText: "This plan was deleted while you edited it" }).waitFor();
    expect(await editor.inputValue()).toBe(edited);
    await page.getByRole("button", { name: "Save as a new plan" }).click();
    await page.waitForURL((u) => /\/plans\/pln_/.test(u.pathname) && !u.pathname.endsWith(plan.id));
    const id = page.url().split("/plans/")[1];
    expect(await apiCall<{ version: number; description: string }>(app, "GET", `/plans/${id}`)).toMatchObject({ version: 1, description: "kept work" });
    await expect.poll(() => editor.inputValue()).toContain('"kept work"');
    expect(browser.problems).toEqual([]);
  });

  it("shows a plan deleted elsewhere as an error, not the plan open before", async () => {
    const open = await onePlan(`Open ${uid()}`, []);
    const gone = await onePlan(`Gone ${uid()}`, []);
    await page.goto(`${app.url}/plans/${open.id}`);
    await page.getByRole("heading", { name: open.name, level: 2 }).waitFor();
    await page.locator('.conn[data-state="open"]').first().waitFor();
    await apiCall(app, "DELETE", `/plans/${gone.id}`);
    // the list drops it by itself; a link held elsewhere (a task's page, a tab the feed missed) still leads there
    // the feed's event crosses a loaded machine: more than the poll's default second
    await expect.poll(() => page.getByRole("link", { name: new RegExp(gone.name) }).count(), { timeout: 15_000 }).toBe(0);
    await page.evaluate((id) => {
      document.querySelector("main")!.insertAdjacentHTML("beforeend", `<a href="/plans/${id}">stale link</a>`);
    }, gone.id);
    await page.getByRole("link", { name: "stale link" }).click();
    await page.waitForURL(`**/plans/${gone.id}`);
    // gone for good: said so, with where the version a task ran still is, and no Try again that cannot help
    await page.getByRole("alert").filter({ hasText: "This plan was deleted, or never existed" }).filter({ hasText: "Tasks that ran it keep the version they ran" }).waitFor();
    expect(await page.getByRole("button", { name: "Try again" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: open.name, level: 2 }).count()).toBe(0);
    expect(await page.getByLabel("Plan JSON").count()).toBe(0);
  });

  it("deletes a plan after confirming, and shows why when triggers still start it", async () => {
    const plan = await onePlan(`Doomed ${uid()}`, []);
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", inputs: {} });
    await page.goto(`${app.url}/plans/${plan.id}`);
    await page.getByRole("heading", { name: plan.name, level: 2 }).waitFor();
    // a version saved since the page loaded the plan is named first, not deleted unseen
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: plan.name, description: "saved meanwhile", steps: [{ id: "write", agent: "writer", instructions: "@output ok" }] });
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Delete ${plan.name}?` });
    await dialog.getByRole("button", { name: "Delete plan" }).click();
    await dialog.getByRole("alert").filter({ hasText: "Version 2 of this plan was saved since this page loaded it" }).waitFor();
    expect((await apiCall<{ version: number }>(app, "GET", `/plans/${plan.id}`)).version).toBe(2);
    await dialog.getByRole("button", { name: "Delete plan" }).click();
    await dialog.getByRole("alert").filter({ hasText: trigger.id }).waitFor();
    expect(await apiCall(app, "GET", `/plans/${plan.id}`)).toBeTruthy();

    await apiCall(app, "DELETE", `/triggers/${trigger.id}`);
    await dialog.getByRole("button", { name: "Delete plan" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.waitForURL(/\/plans$/);
    await expect.poll(() => page.getByRole("link", { name: new RegExp(plan.name) }).count()).toBe(0);
    await expect(apiCall(app, "GET", `/plans/${plan.id}`)).rejects.toThrow(/404/);
  });

  it("names the triggers a save would break, and saves on request pausing them, each saying why", async () => {
    const plan = await onePlan(`Guarded ${uid()}`, [{ name: "topic", required: true }]);
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } });
    await page.goto(`${app.url}/plans/${plan.id}`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain('"topic"');
    const def = JSON.parse(await editor.inputValue()) as { params: unknown[] };
    def.params.push({ name: "region", required: true });
    await editor.fill(JSON.stringify(def, null, 2));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByRole("alert").filter({ hasText: trigger.id }).filter({ hasText: "region: is required" }).waitFor();
    expect((await apiCall<{ version: number }>(app, "GET", `/plans/${plan.id}`)).version).toBe(1);

    await page.getByRole("button", { name: "Save and pause the trigger" }).click();
    await page.getByTestId("plan-version").filter({ hasText: "version 2" }).waitFor();
    expect(await page.getByTestId("breaks-triggers").count()).toBe(0);
    const paused = await apiCall<{ paused: boolean; last_error: string }>(app, "GET", `/triggers/${trigger.id}`);
    expect(paused).toMatchObject({ paused: true });
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.locator(`tr[data-trigger-id="${trigger.id}"]`).getByText(/paused by the save of plan v2.*region: is required/).waitFor();
  });

  it("says which version a run starts, and opens the version a task ran from its detail page", async () => {
    const plan = await onePlan(`Versioned ${uid()}`, [{ name: "topic", default: "first" }]);
    const v1task = await apiCall<{ id: string }>(app, "POST", `/plans/${plan.id}/run`, {});
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: plan.name, params: [{ name: "subject", default: "second" }], steps: [{ id: "write2", kind: "agent", agent: "writer", instructions: "{{params.subject}}\n@output ok" }] });

    await page.goto(`${app.url}/tasks/${v1task.id}`);
    await page.getByRole("link", { name: `${plan.id} v1` }).click();
    await page.waitForURL(`**/plans/${plan.id}?version=1`);
    await expect.poll(() => page.getByLabel("Plan JSON").inputValue()).toContain('"write"');
    expect(await page.getByTestId("plan-version").textContent()).toContain("showing v1");

    await page.getByRole("tab", { name: "Run" }).click();
    expect(await page.getByTestId("runs-version").textContent()).toContain("Runs the current version, v2, not v1");
    await page.getByRole("button", { name: "Run plan v2" }).waitFor();

    await page.getByRole("tab", { name: "Versions" }).click();
    const saver = (await apiCall<{ saved_by: { name: string } }>(app, "GET", `/plans/${plan.id}`)).saved_by.name;
    await expect.poll(() => page.getByTestId("version-saved").allTextContents()).toEqual([expect.stringMatching(new RegExp(`^saved by ${saver} · \\S`)), expect.stringMatching(new RegExp(`^saved by ${saver} · \\S`))]);
    expect(await page.getByTestId("version-changes").allTextContents()).toEqual(["added write2 (write2) · removed write (write) · changed the plan's params", "first version"]);
    await page.getByRole("button", { name: /^v2/ }).press("Enter");
    await page.waitForURL(`**/plans/${plan.id}`);
    await expect.poll(() => page.getByLabel("Plan JSON").inputValue()).toContain('"write2"');
    // the picked version's button went with the Versions list: the focus is on the JSON tab now showing it
    const json = page.getByRole("tab", { name: "JSON", selected: true });
    expect(await json.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it("restores an older version by saving it, then shows and builds on the version that made", async () => {
    const plan = await onePlan(`Restored ${uid()}`, []);
    const def = (description: string) => ({ name: plan.name, description, steps: [{ id: "write", agent: "writer", instructions: "@output ok" }] });
    await apiCall(app, "PUT", `/plans/${plan.id}`, def("second"));
    await apiCall(app, "PUT", `/plans/${plan.id}`, def("third"));
    // the plan's versions come before the plan itself (either may): the save still builds on the current version
    let versionsCame = () => {};
    const came = new Promise<void>((r) => (versionsCame = r));
    const onResponse = (res: { url: () => string }) => res.url().includes(`/plans/${plan.id}/versions`) && versionsCame();
    page.on("response", onResponse);
    await page.route(`**/api/v1/plans/${plan.id}`, async (r) => (await came, await r.continue()));
    await page.goto(`${app.url}/plans/${plan.id}?version=2`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain('"description": "second"');
    await page.getByTestId("plan-version").filter({ hasText: "version 3 · showing v2" }).waitFor();
    await page.unroute(`**/api/v1/plans/${plan.id}`);
    page.off("response", onResponse);
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByTestId("plan-version").filter({ hasText: /^version 4$/ }).waitFor();
    expect((await apiCall<{ version: number; description: string }>(app, "GET", `/plans/${plan.id}`)).description).toBe("second");
    // the JSON is the version just made, not the one current before it
    await expect.poll(() => editor.inputValue()).toContain('"description": "second"');
    await editor.fill((await editor.inputValue()).replace('"description": "second"', '"description": "fifth"'));
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByTestId("plan-version").filter({ hasText: /^version 5$/ }).waitFor();
    expect(await page.getByTestId("newer-version").count()).toBe(0);
    expect(await apiCall<{ version: number; description: string }>(app, "GET", `/plans/${plan.id}`)).toMatchObject({ version: 5, description: "fifth" });
  });

  it("shows a version saved before savers were recorded as saved by unknown", async () => {
    const plan = await onePlan(`Older ${uid()}`, []);
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: plan.name, description: "v2", steps: [{ id: "write", agent: "writer", instructions: "@output ok" }] });
    // such a version comes with no saver: the answer as an older database gives it
    await page.route(`**/api/v1/plans/${plan.id}/versions**`, async (r) => {
      const res = await r.fetch();
      const body = (await res.json()) as { items: { version: number; saved_by: unknown }[] };
      for (const v of body.items) if (v.version === 1) v.saved_by = null;
      await r.fulfill({ response: res, json: body });
    });
    await page.goto(`${app.url}/plans/${plan.id}?tab=versions`);
    await page.getByRole("tab", { name: "Versions" }).click();
    await expect.poll(() => page.getByTestId("version-saved").count()).toBe(2);
    expect(await page.getByTestId("version-saved").nth(1).textContent()).toMatch(/^saved by unknown · \S/);
    await page.getByRole("button", { name: /^v1/ }).click();
    await expect.poll(() => page.getByLabel("Plan JSON").inputValue()).not.toContain('"v2"');
    await page.unroute(`**/api/v1/plans/${plan.id}/versions**`);
    expect(browser.problems).toEqual([]);
  });

});

interface TriggerView {
  id: string;
  plan_id: string;
  timezone: string | null;
  next_fire_at: string | null;
}

describe("triggers", () => {
  it("creates a cron trigger in a chosen timezone, showing when it fires next before it is saved", async () => {
    const plan = await onePlan(`Zoned ${uid()}`, [{ name: "topic", required: true }, { name: "tone", default: "plain" }]);
    await page.goto(`${app.url}/settings?tab=triggers`);
    const form = page.getByRole("form", { name: "Create trigger" });
    await form.getByLabel("Plan").selectOption(plan.id);
    // the plan's params as fields, defaults filled in; a schedule has no one to ask for a required one
    const inputs = form.getByRole("group", { name: "Inputs" });
    expect(await inputs.getByLabel("tone").inputValue()).toBe("plain");
    await form.getByRole("button", { name: "Create trigger" }).click();
    expect(await inputs.getByLabel("topic").evaluate((el: HTMLTextAreaElement) => el.validity.valueMissing)).toBe(true);
    await inputs.getByLabel("topic").fill("pricing");
    expect(await form.getByLabel("Timezone").inputValue()).toBe("UTC");
    await form.getByLabel("Timezone").fill("Europe/Paris");
    // before saving, the form says when the schedule fires next, read in its timezone: 09:00 on weekdays
    const preview = form.getByTestId("schedule-preview");
    await preview.filter({ hasText: "(Europe/Paris)" }).waitFor();
    const times = (await preview.textContent())!.replace(/^Next: | \(Europe\/Paris\)$/g, "").split(" · ");
    expect(times).toHaveLength(3);
    for (const t of times) expect(t).toMatch(/09:00/);
    await form.getByLabel("Cron expression").fill("0 9 * *");
    await preview.filter({ hasText: /expected 5 fields/ }).waitFor();
    // a schedule by the second shows its seconds: three fires ten seconds apart read as three times
    await form.getByLabel("Cron expression").fill("*/10 * * * * *");
    await preview.filter({ hasText: /\d\d:\d\d:\d\d/ }).waitFor();
    const bySecond = (await preview.textContent())!.replace(/^Next: | \(Europe\/Paris\)$/g, "").split(" · ");
    expect(new Set(bySecond).size).toBe(3);
    for (const t of bySecond) expect(t).toMatch(/\d\d:\d\d:\d0/);
    await form.getByLabel("Cron expression").fill("0 9 * * 1-5");
    await preview.filter({ hasText: "(Europe/Paris)" }).filter({ hasNotText: /\d\d:\d\d:\d\d/ }).waitFor();
    await form.getByRole("button", { name: "Create trigger" }).click();
    await page.getByRole("cell", { name: /\(Europe\/Paris\)/ }).waitFor();
    const made = (await apiCall<{ items: (TriggerView & { inputs: unknown })[] }>(app, "GET", "/triggers")).items.find((t) => t.plan_id === plan.id);
    expect(made?.timezone).toBe("Europe/Paris");
    expect(made?.inputs).toEqual({ topic: "pricing", tone: "plain" });
  });

  it("makes one trigger however often Create trigger is clicked while its request runs", async () => {
    const plan = await onePlan(`Once ${uid()}`, []);
    await page.goto(`${app.url}/settings?tab=triggers`);
    const form = page.getByRole("form", { name: "Create trigger" });
    await form.getByLabel("Plan").selectOption(plan.id);
    // the create held back, so the second click lands while it is under way
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route("**/api/v1/triggers", async (route) => (route.request().method() === "POST" ? held.then(() => route.continue()) : route.continue()));
    try {
      await form.getByRole("button", { name: "Create trigger" }).click();
      await form.getByRole("button", { name: "Create trigger" }).click({ force: true });
      release();
      await page.locator("tr", { has: page.getByRole("link", { name: plan.name }) }).first().waitFor();
    } finally {
      await page.unroute("**/api/v1/triggers");
    }
    const made = (await apiCall<{ items: TriggerView[] }>(app, "GET", "/triggers")).items.filter((t) => t.plan_id === plan.id);
    expect(made).toHaveLength(1);
  });

  it("starts one task however often Run now is clicked while its request runs, and keeps the focus on it", async () => {
    const plan = await onePlan(`Run once ${uid()}`, []);
    const name = `Manual ${uid()}`;
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: {}, title: name });
    await page.goto(`${app.url}/settings?tab=triggers`);
    const run = page.locator(`tr[data-trigger-id="${trigger.id}"]`).getByRole("button", { name: "Run now" });
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let sent = 0;
    await page.route(`**/api/v1/triggers/${trigger.id}/run`, async (route) => {
      sent++;
      await held;
      await route.continue();
    });
    try {
      await run.click();
      await run.click({ force: true });
      release();
      await page.getByText("Task started").first().waitFor();
    } finally {
      await page.unroute(`**/api/v1/triggers/${trigger.id}/run`);
    }
    expect(sent).toBe(1);
    const started = (await apiCall<{ items: { id: string }[] }>(app, "GET", `/tasks?trigger_id=${trigger.id}`)).items;
    expect(started).toHaveLength(1);
    // the row links the task it started, without a reload
    const last = page.locator(`tr[data-trigger-id="${trigger.id}"]`).getByRole("link", { name: `Last task of ${name}` });
    await expect.poll(() => last.getAttribute("href")).toBe(`/tasks/${started[0].id}`);
    await last.click();
    await page.waitForURL(`**/tasks/${started[0].id}`);

    // off while its request runs, Run now takes the keyboard's focus back after it
    await page.goBack();
    await run.press("Enter");
    await expect.poll(async () => (await apiCall<{ items: unknown[] }>(app, "GET", `/tasks?trigger_id=${trigger.id}`)).items.length).toBe(2);
    await expect.poll(() => run.evaluate((el) => el === document.activeElement && !(el as HTMLButtonElement).disabled)).toBe(true);
  });

  it("follows a trigger run, paused, made and deleted elsewhere without a reload", async () => {
    const plan = await onePlan(`Elsewhere ${uid()}`, []);
    const name = `Remote ${uid()}`;
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: {}, title: name });
    await openSettled(`${app.url}/settings?tab=triggers`, "/api/v1/triggers");
    const row = page.locator(`tr[data-trigger-id="${trigger.id}"]`);
    await row.getByRole("button", { name: "Pause" }).waitFor();
    const task = await apiCall<{ id: string }>(app, "POST", `/triggers/${trigger.id}/run`, {});
    await row.getByRole("link", { name: `Last task of ${name}` }).and(page.locator(`[href="/tasks/${task.id}"]`)).waitFor({ timeout: 10_000 });
    await apiCall(app, "POST", `/triggers/${trigger.id}/pause`);
    await row.getByRole("button", { name: "Resume" }).waitFor({ timeout: 10_000 });
    expect(await row.getByTestId("next-run").textContent()).toBe("paused");
    const other = `Another ${uid()}`;
    const made = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", title: other });
    await page.getByRole("button", { name: `Delete ${other}` }).waitFor({ timeout: 10_000 });
    await apiCall(app, "DELETE", `/triggers/${made.id}`);
    await page.getByRole("button", { name: `Delete ${other}` }).waitFor({ state: "detached", timeout: 10_000 });
  });

  it("moves a trigger's Next run on after it fires, without a reload", async () => {
    const plan = await onePlan(`Often ${uid()}`, []);
    const trigger = await apiCall<TriggerView>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "*/5 * * * * *", inputs: {} });
    try {
      await page.goto(`${app.url}/settings?tab=triggers`);
      const next = page.locator("tr", { has: page.getByRole("link", { name: plan.name }) }).getByTestId("next-run");
      await next.waitFor();
      const first = await next.getAttribute("title");
      expect(first).toBeTruthy();
      // the column itself moves, to the second: every 5 s read as one minute would look stuck
      const shown = (await next.textContent())!;
      expect(shown).toMatch(/\d\d:\d\d:\d\d/);
      await expect.poll(() => next.getAttribute("title"), { timeout: 20_000, interval: 500 }).not.toBe(first);
      expect(await next.textContent()).not.toBe(shown);
    } finally {
      await apiCall(app, "DELETE", `/triggers/${trigger.id}`);
    }
  });

  it("edits a trigger's name, schedule and inputs, and shows why a change is refused", async () => {
    const plan = await onePlan(`Edited ${uid()}`, [{ name: "topic", required: true }]);
    const name = `Digest ${uid()}`;
    const trigger = await apiCall<TriggerView & { title: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" }, title: name });
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    expect(await dialog.getByLabel("Cron expression").inputValue()).toBe("0 0 1 1 *");
    await dialog.getByLabel("Inputs (JSON)").fill('{"nope": 1}');
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText(/invalid inputs/).waitFor();
    await dialog.getByLabel("Name").fill(`${name} weekly`);
    await dialog.getByLabel("Cron expression").fill("0 9 * * 1");
    await dialog.getByLabel("Timezone").fill("Europe/Paris");
    await dialog.getByLabel("Inputs (JSON)").fill('{"topic": "b"}');
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.locator(`tr[data-trigger-id="${trigger.id}"]`).getByRole("cell", { name: "0 9 * * 1 (Europe/Paris)" }).waitFor();
    const saved = await apiCall<TriggerView & { title: string; cron: string; inputs: unknown }>(app, "GET", `/triggers/${trigger.id}`);
    expect(saved).toMatchObject({ title: `${name} weekly`, cron: "0 9 * * 1", timezone: "Europe/Paris", inputs: { topic: "b" } });
  });

  it("opens a trigger's tasks from its row: the task table filtered to them, the filter removable", async () => {
    const plan = await onePlan(`Listed ${uid()}`, []);
    const name = `Nightly ${uid()}`;
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: {}, title: name });
    const fired = await apiCall<{ id: string }>(app, "POST", `/triggers/${trigger.id}/run`, {});
    const other = await apiCall<{ id: string }>(app, "POST", `/plans/${plan.id}/run`, {});
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.getByRole("link", { name: `Tasks of ${name}` }).click();
    await page.waitForURL(`**/tasks?trigger_id=${trigger.id}`);
    const table = page.getByRole("table", { name: "Tasks" });
    await table.locator(`tr[data-task-id="${fired.id}"]`).waitFor();
    expect(await table.locator("tbody tr").count()).toBe(1);
    expect(await page.getByTestId("trigger-filter").textContent()).toContain(`Started by ${trigger.id}`);
    await page.getByRole("button", { name: "Show tasks of every trigger" }).press("Enter");
    await table.locator(`tr[data-task-id="${other.id}"]`).waitFor();
    expect(page.url()).not.toContain("trigger_id");
    // the ✕ went with its filter: the search box has the focus
    expect(await page.getByLabel("Search tasks by name").evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it("rotates a webhook's secret after confirming, showing the new one once and until when the old one still works, which it can expire", async () => {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    const plan = await onePlan(`Rotated ${uid()}`, []);
    const name = `Hook ${uid()}`;
    const trigger = await apiCall<{ id: string; secret: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", title: name });
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.getByRole("button", { name: `Rotate the secret of ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: `Rotate the secret of ${name}?` });
    expect(await confirm.getByTestId("rotate-effect").textContent()).toContain("still accepted for 24 hours");
    await confirm.getByLabel("Keep the current secret working for").selectOption({ label: "1 hour" });
    expect(await confirm.getByTestId("rotate-effect").textContent()).toContain("still accepted for 1 hour");
    await confirm.getByRole("button", { name: "Rotate secret" }).click();
    expect(await page.getByRole("dialog", { name: "Webhook secret" }).getByTestId("previous-secret-until").textContent()).toContain("still accepted until");
    const secret = await holdsSecret("Webhook secret", "Webhook secret");
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(trigger.secret);
    const rotated = await apiCall<{ previous_secret_expires_at: string }>(app, "GET", `/triggers/${trigger.id}`);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeGreaterThan(3_000_000);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const audit = await apiCall<{ items: { action: string; target: { id: string } }[] }>(app, "GET", "/audit?action=trigger.rotate_secret");
    expect(audit.items.map((a) => a.target.id)).toContain(trigger.id);
    const row = page.locator(`tr[data-trigger-id="${trigger.id}"]`);
    expect(await row.getByTestId("previous-secret").textContent()).toContain("Previous secret accepted until");
    await row.getByRole("button", { name: `Expire the previous secret of ${name}` }).click();
    await page.getByRole("dialog", { name: `Expire the previous secret of ${name}?` }).getByRole("button", { name: "Expire now" }).click();
    await row.getByTestId("previous-secret").waitFor({ state: "detached" });
    expect((await apiCall<{ previous_secret_expires_at: string | null }>(app, "GET", `/triggers/${trigger.id}`)).previous_secret_expires_at).toBeNull();

    // one whose window ends while the page is open stops showing it by itself
    const brief = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", title: `Brief ${uid()}` });
    await apiCall(app, "POST", `/triggers/${brief.id}/rotate-secret`, { grace_seconds: 6 });
    await page.reload();
    const briefRow = page.locator(`tr[data-trigger-id="${brief.id}"]`);
    await briefRow.getByTestId("previous-secret").waitFor();
    await briefRow.getByTestId("previous-secret").waitFor({ state: "detached", timeout: 30_000 });
  });

  it("deletes a trigger only after confirming: Keep leaves it as it was", async () => {
    const plan = await onePlan(`Deleted ${uid()}`, []);
    const name = `Hook ${uid()}`;
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", title: name });
    await page.goto(`${app.url}/settings?tab=triggers`);
    const row = page.locator(`tr[data-trigger-id="${trigger.id}"]`);
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Delete ${name}?` });
    await dialog.getByRole("button", { name: "Keep" }).click();
    await dialog.waitFor({ state: "detached" });
    expect((await apiCall<{ id: string }>(app, "GET", `/triggers/${trigger.id}`)).id).toBe(trigger.id);
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    await dialog.getByRole("button", { name: "Delete trigger" }).click();
    await row.waitFor({ state: "detached" });
    const left = await apiCall<{ items: { id: string }[] }>(app, "GET", "/triggers");
    expect(left.items.map((t) => t.id)).not.toContain(trigger.id);
  });

  it("gives the keyboard's focus to the next row's Delete when a trigger is deleted, though that row's controls differ", async () => {
    const plan = await onePlan(`Neighbours ${uid()}`, []);
    const [hook, cron] = [`Hook ${uid()}`, `Cron ${uid()}`];
    // the webhook row below has a Rotate secret the cron row has not: the Delete of one is where the other has its Pause
    await apiCall(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", title: hook });
    await apiCall(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: {}, title: cron });
    await page.goto(`${app.url}/settings?tab=triggers`);
    await page.getByRole("button", { name: `Delete ${cron}` }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: `Delete ${cron}?` }).getByRole("button", { name: "Delete trigger" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: `Delete ${cron}` }).waitFor({ state: "detached" });
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent);
    await expect.poll(focused).toBe(`Delete ${hook}`);
  });

  it("says when the plans could not be loaded, instead of 'No plans'", async () => {
    const plan = await onePlan(`Hidden ${uid()}`, []);
    await apiCall(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", inputs: {} });
    await page.route("**/api/v1/plans?**", (route) => route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { code: "internal", message: "plans are down" } }) }));
    try {
      await page.goto(`${app.url}/settings?tab=triggers`);
      await page.getByRole("alert").filter({ hasText: "Could not load the plans" }).filter({ hasText: "plans are down" }).waitFor();
      const select = page.getByRole("form", { name: "Create trigger" }).getByLabel("Plan");
      expect(await select.textContent()).toBe("Plans could not be loaded");
      expect(await select.isDisabled()).toBe(true);
      await page.locator("td code", { hasText: plan.id }).waitFor();
    } finally {
      await page.unroute("**/api/v1/plans?**");
    }
  });
});

/** A dialog holding a secret shown once stays open through Escape and a stray click, and copies. */
async function holdsSecret(name: string, label: string): Promise<string> {
  const dialog = page.getByRole("dialog", { name });
  const secret = await dialog.getByLabel(label).inputValue();
  expect(secret.length).toBeGreaterThan(10);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await page.mouse.click(5, 5);
  expect(await dialog.isVisible()).toBe(true);
  expect(await dialog.getByRole("button", { name: "Close" }).count()).toBe(0);
  await dialog.getByRole("button", { name: "Copy" }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await dialog.getByRole("button", { name: "I have copied it" }).click();
  await dialog.waitFor({ state: "detached" });
  return secret;
}

describe("secrets shown once", () => {
  it("keeps a new API token's dialog open until it is copied", async () => {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    await page.goto(`${app.url}/settings?tab=tokens`);
    await page.getByLabel("Token name").fill(`ci-${uid()}`);
    await page.getByRole("button", { name: "Create token" }).click();
    expect(await holdsSecret("Your new token", "New token")).toMatch(/^fd_/);
  });

  it("keeps a webhook trigger's secret dialog open until it is copied, and saves the params it takes from a sender's body", async () => {
    const plan = await onePlan(`Hooked ${uid()}`, [{ name: "repo", required: true }]);
    await page.goto(`${app.url}/settings?tab=triggers`);
    const form = page.getByRole("form", { name: "Create trigger" });
    await form.getByLabel("Kind").selectOption("webhook");
    await form.getByLabel("Plan").selectOption(plan.id);
    const map = form.getByLabel("Params from the body (JSON, optional)");
    await map.fill('{"repo": "repository.full_name"');
    await form.getByRole("button", { name: "Create trigger" }).click();
    await form.getByText("Params from the body must be a JSON object of dot paths").waitFor();
    await map.fill('{"repo": "repository.full_name"}');
    await form.getByRole("button", { name: "Create trigger" }).click();
    await holdsSecret("Webhook secret", "Webhook secret");
    const triggers = await apiCall<{ items: { plan_id: string; input_map: Record<string, string> | null }[] }>(app, "GET", "/triggers");
    expect(triggers.items.find((t) => t.plan_id === plan.id)?.input_map).toEqual({ repo: "repository.full_name" });
  });
});

describe("the focus after a form's request", () => {
  it("goes back to Create token once its secret is copied, and stays on Create trigger after a create", async () => {
    const isFocused = (el: ReturnType<Page["getByRole"]>) => el.evaluate((e) => e === document.activeElement);
    await page.goto(`${app.url}/settings?tab=tokens`);
    await page.getByLabel("Token name").fill(`keyed-${uid()}`);
    const create = page.getByRole("button", { name: "Create token" });
    await create.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Your new token" });
    await dialog.getByRole("button", { name: "I have copied it" }).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => isFocused(create), { message: "focus back on Create token" }).toBe(true);

    const plan = await onePlan(`Focused ${uid()}`, []);
    const name = `Kept focus ${uid()}`;
    await page.goto(`${app.url}/settings?tab=triggers`);
    const form = page.getByRole("form", { name: "Create trigger" });
    await form.getByLabel("Plan").selectOption(plan.id);
    await form.getByLabel("Name (optional)").fill(name);
    const submit = form.getByRole("button", { name: "Create trigger" });
    await submit.focus();
    await page.keyboard.press("Enter");
    await page.locator("tr", { hasText: name }).waitFor();
    await expect.poll(() => isFocused(submit), { message: "focus kept on Create trigger" }).toBe(true);
  });
});

describe("API tokens", () => {
  it("makes a token that expires, and lists when", async () => {
    const name = `contractor-${uid()}`;
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    await page.goto(`${app.url}/settings?tab=tokens`);
    const form = page.getByRole("form", { name: "Create token" });
    await form.getByLabel("Token name").fill(name);
    await form.getByLabel("Expires").selectOption({ label: "in 30 days" });
    await form.getByRole("button", { name: "Create token" }).click();
    await holdsSecret("Your new token", "New token");
    const made = (await apiCall<{ items: { name: string; expires_at: string | null }[] }>(app, "GET", "/tokens")).items.find((t) => t.name === name);
    expect(Math.abs(Date.parse(made!.expires_at!) - Date.now() - 30 * 86_400_000)).toBeLessThan(120_000);
    await page.getByRole("row").filter({ hasText: name }).getByText(/^active, expires /).waitFor();
  });

  it("changes a token's role from its row", async () => {
    const name = `demoted-${uid()}`;
    const made = await apiCall<{ id: string; token: string }>(app, "POST", "/tokens", { name, role: "admin" });
    await page.goto(`${app.url}/settings?tab=tokens`);
    await page.getByLabel(`Role of ${name}`).selectOption("viewer");
    await page.getByText(`${name} is now viewer`).waitFor();
    const res = await fetch(`${app.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${made.token}` } });
    expect(res.status).toBe(403);
    expect(await page.getByLabel(`Role of ${name}`).inputValue()).toBe("viewer");
  });
});

describe("audit log", () => {
  it("opens who did what to a task from its page, and narrows the log by action and by actor", async () => {
    const bot = await apiCall<{ id: string; token: string }>(app, "POST", "/tokens", { name: `auditor-bot-${uid()}`, role: "member" });
    const task = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent: "writer", title: `audited ${uid()}`, description: "@output ok" });
    const byBot = await fetch(`${app.url}/api/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${bot.token}`, "content-type": "application/json" },
      body: JSON.stringify({ agent: "writer", title: `by bot ${uid()}`, description: "@output ok" }),
    });
    expect(byBot.status).toBe(201);
    const botTask = (await byBot.json()) as { id: string };

    await page.goto(`${app.url}/tasks/${task.id}`);
    await page.getByRole("link", { name: "Who did what to this task" }).click();
    await page.getByTestId("target-filter").filter({ hasText: task.id }).waitFor();
    const rows = page.locator("tr[data-audit-id]");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    await rows.first().getByText("task.create").waitFor();
    await rows.first().getByRole("link", { name: task.id }).waitFor();

    await page.getByRole("button", { name: "Show what was done to every target" }).click();
    await page.getByTestId("target-filter").waitFor({ state: "detached" });
    await page.getByLabel("Action").selectOption("token.create");
    // the unfiltered page listed other actions: they go once the filtered one comes
    await rows.filter({ hasNotText: "token.create" }).first().waitFor({ state: "detached" });
    await rows.filter({ hasText: bot.id }).waitFor();

    await page.getByLabel("Action").selectOption("task.create");
    const botRow = rows.filter({ hasText: botTask.id });
    await botRow.getByRole("button", { name: /^auditor-bot-/ }).click();
    await page.getByTestId("actor-filter").filter({ hasText: bot.id }).waitFor();
    await rows.filter({ hasText: task.id }).waitFor({ state: "detached" });
    expect(await rows.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get("actor")).toBe(bot.id);
  });
});

describe("tabs", () => {
  it("draws a plan's graph from its JSON, unsaved edits included, and says when the JSON cannot be drawn", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", {
      name: `Graph ${uid()}`,
      steps: [
        { id: "gather", agent: "writer", instructions: "@output [1]" },
        { id: "each", kind: "loop", over: "gather", body: [{ id: "shape", agent: "writer", instructions: "@output ok" }] },
      ],
    });
    await page.goto(`${app.url}/plans/${plan.id}`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain('"gather"');
    await page.getByRole("tab", { name: "Graph" }).click();
    const graph = page.getByRole("img", { name: "Plan graph" });
    await expect.poll(() => graph.textContent()).toMatch(/gather.*each.*shape/s);
    // on a phone the graph scrolls in its own region, as on a task's page: the page itself never scrolls sideways
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: 390, height: 844 });
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
    await page.setViewportSize(size);
    await page.getByRole("tab", { name: "JSON" }).click();
    await editor.fill((await editor.inputValue()).replace('"id": "shape"', '"id": "polish"'));
    await page.getByRole("tab", { name: "Graph" }).click();
    await expect.poll(() => graph.textContent()).toContain("polish");
    await page.getByText("The graph of your unsaved edits.").waitFor();
    await page.getByRole("tab", { name: "JSON" }).click();
    await editor.fill('{"steps": [{"id": "a", "kind": "loop"}]');
    await page.getByRole("tab", { name: "Graph" }).click();
    await page.getByRole("status").filter({ hasText: "The graph shows once the JSON tab holds a plan" }).waitFor();
    expect(await graph.count()).toBe(0);
    await page.getByRole("tab", { name: "JSON" }).click();
    await page.getByRole("button", { name: "Revert" }).click();
  });

  it("moves along Settings' and a plan's tabs with the arrow keys, Home and End, one Tab stop for the whole list", async () => {
    await page.goto(`${app.url}/settings?tab=pricing`);
    const settings = page.getByRole("tablist", { name: "Settings sections" });
    await settings.getByRole("tab", { name: "Pricing" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("tabpanel", { name: "API tokens" }).getByRole("heading", { name: "API tokens" }).waitFor();
    expect(await settings.getByRole("tab", { name: "API tokens" }).evaluate((t) => t === document.activeElement)).toBe(true);
    expect(new URL(page.url()).searchParams.get("tab")).toBe("tokens");
    await page.keyboard.press("End");
    await page.getByRole("tab", { name: "Limits & spend", selected: true }).waitFor();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("tab", { name: "Pricing", selected: true }).waitFor();
    await page.keyboard.press("ArrowLeft");
    await page.getByRole("tab", { name: "Limits & spend", selected: true }).waitFor();
    await page.keyboard.press("Home");
    await page.getByRole("tab", { name: "Pricing", selected: true }).waitFor();
    // Tab leaves the list for the panel, not the next tab
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("role"))).not.toBe("tab");

    const plan = await onePlan(`Tabs ${uid()}`, [{ name: "topic", required: true }]);
    await page.goto(`${app.url}/plans/${plan.id}`);
    const views = page.getByRole("tablist", { name: "Plan views" });
    await views.getByRole("tab", { name: "JSON" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("img", { name: "Plan graph" }).waitFor();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("form", { name: "Run plan" }).waitFor();
    await page.keyboard.press("End");
    await views.getByRole("tab", { name: "Versions", selected: true }).waitFor();
    expect(await views.getByRole("tab", { name: "Versions" }).evaluate((t) => t === document.activeElement)).toBe(true);
  });
});

describe("the page", () => {
  it("saw no CSP violations or page errors", () => {
    expect(browser.problems).toEqual([]);
  });
});
