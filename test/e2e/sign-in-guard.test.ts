import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, type Browser, launchBrowser, startApp } from "./helpers";

let app: App;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const signIn = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/api/v1/auth/session`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ token }) });

describe("the dashboard's session and sign-in guard, as npm start serves them on http://localhost", () => {
  it("keeps a browser signed in whose session cookie has the old name, and moves it to __Host-fd_session", async () => {
    const sid = /__Host-fd_session=([^;]+)/.exec((await signIn(app.token)).headers.get("set-cookie") ?? "")?.[1];
    expect(sid).toMatch(/^fds_/);
    await browser.context.addCookies([{ name: "fd_session", value: sid!, url: app.url, httpOnly: true, sameSite: "Strict" }]);
    const page = browser.page;
    await page.goto(app.url);
    await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
    await expect.poll(async () => (await browser.context.cookies(app.url)).map((c) => `${c.name}=${c.value}`)).toEqual([`__Host-fd_session=${sid}`]);
    const moved = (await browser.context.cookies(app.url))[0];
    expect(moved).toMatchObject({ secure: true, httpOnly: true, sameSite: "Strict", path: "/" });
    await page.reload();
    await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    await expect.poll(async () => (await browser.context.cookies(app.url)).length).toBe(0);
  });

  it("pauses sign-in from an address after repeated failures, saying so and for how long, even for the right token", async () => {
    // a client cannot pick its own address: the one it sends is replaced with the connection's
    let refused: Response | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const res = await signIn(`fd_wrong_${i}_${crypto.randomUUID()}`, { "cf-connecting-ip": `192.0.2.${i}` });
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(401);
      await res.text();
    }
    expect(refused, "a 429 within 100 failures").toBeTruthy();
    expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);

    const page = browser.page;
    await page.goto(`${app.url}/sign-in`);
    await page.getByLabel("API token").fill(app.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: /Too many failed sign-ins from this address: signing in is paused\. Try again in \d+ minutes\./ }).waitFor();
    expect(await page.getByLabel("API token").evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await browser.context.cookies(app.url)).length).toBe(0);
  });
});
