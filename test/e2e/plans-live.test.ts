import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** The Plans page follows plans saved and deleted elsewhere (another tab, a teammate, the API) over the org feed. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

const steps = (text: string) => [{ id: "write", agent: "writer", instructions: `@output ${text}` }];

/** Opens `path` and waits for the org feed; a reload after this would clear the mark `sameDocument` reads. */
async function openLive(path: string): Promise<void> {
  await page.goto(`${app.url}${path}`);
  await page.locator('.conn[data-state="open"]').first().waitFor();
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}
const sameDocument = () => page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

describe("plans, live", () => {
  it("lists a plan created, renamed and deleted through the API without a reload", async () => {
    await openLive("/plans");
    const list = page.getByRole("navigation", { name: "Plans" });
    const name = `Live ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name, steps: steps("one") });
    const link = list.locator(`a[href="/plans/${plan.id}"]`);
    await expect.poll(() => link.textContent()).toMatch(new RegExp(`^${name}v1 · `));

    await apiCall(app, "PUT", `/plans/${plan.id}`, { name: `${name} renamed`, steps: steps("two") });
    await expect.poll(() => link.textContent()).toMatch(new RegExp(`^${name} renamedv2 · `));

    await apiCall(app, "DELETE", `/plans/${plan.id}`);
    await expect.poll(() => link.count()).toBe(0);
    // the last one gone (a fresh install has none), the list says so, outside any list element: a list holds only its items
    expect((await apiCall<{ items: unknown[] }>(app, "GET", "/plans")).items).toEqual([]);
    await list.getByText("No plans yet").waitFor();
    expect(await list.locator("ul").count()).toBe(0);
    expect(await sameDocument()).toBe(true);
  });

  it("tells an open plan of a version saved elsewhere and loads it on request; typed edits stay, and so do they when it is deleted", async () => {
    const name = `Shared ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name, steps: steps("first") });
    await openLive(`/plans/${plan.id}`);
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain("@output first");

    await apiCall(app, "PUT", `/plans/${plan.id}`, { name, steps: steps("second") });
    const notice = page.getByTestId("newer-notice");
    await expect.poll(() => notice.textContent()).toMatch(/^Version 2 was saved by .+ since this page loaded version 1\./);
    // what is on show stays until asked for: a page never changes under its reader
    expect(await editor.inputValue()).toContain("@output first");
    await notice.getByRole("button", { name: "Load version 2" }).click();
    await expect.poll(() => editor.inputValue()).toContain("@output second");
    await page.getByTestId("plan-version").filter({ hasText: /^version 2$/ }).waitFor();
    expect(await notice.count()).toBe(0);

    const typed = (await editor.inputValue()).replace("@output second", "@output mine");
    await editor.fill(typed);
    await apiCall(app, "PUT", `/plans/${plan.id}`, { name, steps: steps("third") });
    await page.getByTestId("plan-version").filter({ hasText: "editing from version 2 — version 3 saved" }).waitFor();
    await page.getByTestId("newer-version").getByRole("button", { name: "Replace version 3" }).waitFor();
    expect(await editor.inputValue()).toBe(typed);

    await apiCall(app, "DELETE", `/plans/${plan.id}`);
    await page.getByRole("alert").filter({ hasText: "This plan was deleted while you edited it" }).waitFor();
    await page.getByRole("button", { name: "Save as a new plan" }).waitFor();
    expect(await editor.inputValue()).toBe(typed);
    await expect.poll(() => page.getByRole("navigation", { name: "Plans" }).locator(`a[href="/plans/${plan.id}"]`).count()).toBe(0);
    expect(await sameDocument()).toBe(true);
    expect(browser.problems).toEqual([]);
  });

  it("lists a version saved elsewhere in the Versions tab as the current one, and picking it loads it", async () => {
    const name = `History ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name, steps: steps("first") });
    await openLive(`/plans/${plan.id}`);
    await page.getByRole("tab", { name: "Versions" }).click();
    const versions = page.getByRole("tabpanel").getByRole("listitem");
    await expect.poll(() => versions.locator(".pick-title").allTextContents()).toEqual(["v1 (current)"]);

    await apiCall(app, "PUT", `/plans/${plan.id}`, { name, steps: steps("second") });
    await page.getByTestId("newer-notice").waitFor();
    // the history follows at once; the version loaded is no longer the current one
    await expect.poll(() => versions.locator(".pick-title").allTextContents()).toEqual(["v2 (current)", "v1"]);
    await versions.getByRole("button", { name: /^v2/ }).click();
    const editor = page.getByLabel("Plan JSON");
    await expect.poll(() => editor.inputValue()).toContain("@output second");
    await page.getByTestId("plan-version").filter({ hasText: /^version 2$/ }).waitFor();
    expect(await page.getByTestId("newer-notice").count()).toBe(0);
    expect(await sameDocument()).toBe(true);
    expect(browser.problems).toEqual([]);
  });

  it("Settings › Triggers follows plans too: a new plan to start, and a trigger a plan's save paused", async () => {
    const name = `Scheduled ${uid()}`;
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name, params: [{ name: "topic", required: true }], steps: steps("{{params.topic}}") });
    const trigger = await apiCall<{ id: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "cron", cron: "0 0 1 1 *", inputs: { topic: "a" } });
    await openLive("/settings?tab=triggers");
    const row = page.locator(`tr[data-trigger-id="${trigger.id}"]`);
    await row.waitFor();

    const later = `Later ${uid()}`;
    await apiCall(app, "POST", "/plans", { name: later, steps: steps("later") });
    const form = page.getByRole("form", { name: "Create trigger" });
    await expect.poll(() => form.getByLabel("Plan").locator("option").allTextContents()).toContain(later);

    // a save whose params the trigger's inputs do not fit, made with ?triggers=pause elsewhere
    await apiCall(app, "PUT", `/plans/${plan.id}?triggers=pause`, { name, params: [{ name: "topic", required: true }, { name: "region", required: true }], steps: steps("{{params.topic}} {{params.region}}") });
    await row.getByText(/paused by the save of plan v2/).waitFor();
    expect(await sameDocument()).toBe(true);
  });
});
