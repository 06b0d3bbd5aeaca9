import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../worker/triggers/webhook-signature";
import { type App, apiCall, type Browser, launchBrowser, startApp } from "./helpers";

let app: App;
let browser: Browser;

/** A token's stream cap from npm start's shell (an optional var of wrangler.toml's, set there as empty). */
const STREAMS_PER_TOKEN = 3;

beforeAll(async () => {
  app = await startApp(110_000, { env: { MAX_STREAMS_PER_TOKEN: String(STREAMS_PER_TOKEN) } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const signIn = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/api/v1/auth/session`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ token }) });

describe("npm start's limits, as a client meets them", () => {
  it("answers a body over MAX_BODY_BYTES with the API's 413, whatever its size and whether its length is declared or not", async () => {
    const post = (p: string, body: BodyInit) =>
      fetch(`${app.url}${p}`, { method: "POST", headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json" }, body, duplex: "half" } as RequestInit).then(
        async (res) => `${res.status} ${((await res.json()) as { error: { code: string; request_id?: string } }).error.request_id ? "with" : "without"} request_id`,
        (e: Error) => `${e.message} ${String((e.cause as { code?: string } | undefined)?.code ?? "")}`,
      );
    const outcomes: string[] = [];
    // a declared length, sent as fast as it goes: the Worker reads it to its end before it answers, so the answer arrives
    for (const mb of [1.1, 2, 4, 20, 60]) {
      const big = JSON.stringify({ agent: "writer", title: "big", description: "d".repeat(mb * 1024 * 1024) });
      for (const p of ["/api/v1/tasks", "/hooks/trg_nope"]) outcomes.push(await post(p, big));
    }
    // sent chunked, with no length
    const chunks = (n: number) => new ReadableStream<Uint8Array>({ pull: (c) => (n-- > 0 ? c.enqueue(new Uint8Array(1024 * 1024).fill(0x20)) : c.close()) });
    outcomes.push(await post("/api/v1/tasks", chunks(3)));
    expect(outcomes).toEqual(Array(11).fill("413 with request_id"));
    // nothing of it was created
    expect((await apiCall<{ items: unknown[] }>(app, "GET", "/tasks?q=big")).items).toEqual([]);
  }, 120_000);

  it("caps a token's open streams at MAX_STREAMS_PER_TOKEN set in npm start's shell", async () => {
    const { token } = await apiCall<{ token: string }>(app, "POST", "/tokens", { name: "streams", role: "viewer" });
    const open: AbortController[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i <= STREAMS_PER_TOKEN; i++) {
        const ac = new AbortController();
        const res = await fetch(`${app.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
        statuses.push(res.status);
        if (res.status === 200) open.push(ac);
        else expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`MAX_STREAMS_PER_TOKEN, ${STREAMS_PER_TOKEN}`);
      }
      expect(statuses).toEqual([...Array(STREAMS_PER_TOKEN).fill(200), 429]);
    } finally {
      for (const ac of open) ac.abort();
    }
  });
});

describe("the unauthenticated edges, as npm start serves them on http://localhost", () => {
  it("keeps a browser signed in whose session cookie has the old name, and moves it to __Host-fd_session", async () => {
    // a session issued under the old name: as plain http on a host other than this machine still issues it
    const cookies = await new Promise<string[]>((resolve, reject) => {
      const req = request(`${app.url}/api/v1/auth/session`, { method: "POST", headers: { host: "flightdeck.lan", "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.headers["set-cookie"] ?? []);
      });
      req.on("error", reject);
      req.end(JSON.stringify({ token: app.token }));
    });
    const sid = /^fd_session=([^;]+)/.exec(cookies.find((c) => c.startsWith("fd_session=")) ?? "")?.[1];
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
  });

  it("shows a webhook's delivery limit in Settings › Triggers, changes it there, and its deliveries meet it", async () => {
    const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name: "Limited hook plan", steps: [{ id: "a", agent: "writer", instructions: "@output ok" }] });
    const name = "Limited hook";
    const trigger = await apiCall<{ id: string; secret: string }>(app, "POST", "/triggers", { plan_id: plan.id, kind: "webhook", title: name });
    const page = browser.page;
    await page.goto(`${app.url}/settings?tab=triggers`);
    const row = page.locator(`tr[data-trigger-id="${trigger.id}"]`);
    await row.getByTestId("delivery-limit").filter({ hasText: "At most 60 deliveries a minute (the instance's default)" }).waitFor();

    await row.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    const field = dialog.getByLabel("Deliveries a minute (empty: the instance's default)");
    expect(await field.getAttribute("placeholder")).toBe("60");
    await field.fill("0");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("Deliveries a minute must be a whole number of at least 1").waitFor();
    expect((await apiCall<{ rate_limit_per_min: number | null }>(app, "GET", `/triggers/${trigger.id}`)).rate_limit_per_min).toBeNull();
    await field.fill("2");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await row.getByTestId("delivery-limit").filter({ hasText: /^At most 2 deliveries a minute$/ }).waitFor();

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = `msg_${crypto.randomUUID()}`;
      const ts = Math.floor(Date.now() / 1000);
      const body = "{}";
      const res = await fetch(`${app.url}/hooks/${trigger.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": await signWebhook(trigger.secret, id, ts, body) },
        body,
      });
      await res.text();
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([202, 202, 429]);

    await row.getByRole("button", { name: `Edit ${name}` }).click();
    await field.fill("");
    await dialog.getByRole("button", { name: "Save" }).click();
    await row.getByTestId("delivery-limit").filter({ hasText: "At most 60 deliveries a minute (the instance's default)" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    await expect.poll(async () => (await browser.context.cookies(app.url)).length).toBe(0);
  });

  it("pauses sign-in from an address after repeated failures, saying so and for how long, even for a right token new to it", async () => {
    const { token: newcomer } = await apiCall<{ token: string }>(app, "POST", "/tokens", { name: "newcomer", role: "viewer" });
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
    await page.getByLabel("API token").fill(newcomer);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: /Too many failed sign-ins from this address: signing in is paused\. Try again in \d+ minutes, or sign in with a token already used from this network\./ }).waitFor();
    expect(await page.getByLabel("API token").evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await browser.context.cookies(app.url)).length).toBe(0);

    // the admin token was used from this address before (the tests above): someone else's failures here do not hold it
    await page.getByLabel("API token").fill(app.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
    expect((await browser.context.cookies(app.url)).length).toBe(1);
  });
});
