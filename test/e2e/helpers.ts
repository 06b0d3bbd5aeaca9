import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../../scripts/chromium.mjs";
import { afterAll, beforeAll, expect, inject } from "vitest";

/** Shared pieces of the browser tests: the real app as `npm start` starts it, and Debian's Chromium. */

const ROOT = path.resolve(import.meta.dirname, "../..");
export const SHOTS = path.join(ROOT, "test-results/e2e");
export const ADMIN_TOKEN = "fd_e2e_admin_token_0123456789abcdef";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns `node scripts/start.mjs` on `port` over `dataDir` and resolves once it prints its ready line. */
async function spawnApp(port: number, dataDir: string, timeoutMs: number, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child: ChildProcess = spawn(process.execPath, ["scripts/start.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...(inject("workerBundle") ? { FLIGHTDECK_WORKER_BUNDLE: inject("workerBundle") } : {}),
      ...env,
      PORT: String(port),
      FLIGHTDECK_DATA_DIR: dataDir,
      FLIGHTDECK_ADMIN_TOKEN: ADMIN_TOKEN,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not become ready in ${timeoutMs} ms:\n${log.slice(-4000)}`)), timeoutMs);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /Flightdeck ready on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before ready:\n${log.slice(-4000)}`));
    });
  });
  return { child, url };
}

/** Ends the app's whole process group: SIGTERM, then SIGKILL after 5 s. */
async function killApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    /* already gone */
  }
  const t = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }, 5000);
  await exited;
  clearTimeout(t);
}

export interface App {
  url: string;
  token: string;
  dataDir: string;
  /** Stops the server, keeps its data dir, and starts it again on the same port (a dropped connection, a deploy). */
  restart: (downMs?: number) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Starts the app as `npm start` does, on a free port with a fresh data dir (or `dataDir`, e.g. one seeded
 * beforehand), with `env` added to the shell's environment (e.g. a provider's base URL).
 */
export async function startApp(timeoutMs = 110_000, opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<App> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), "flightdeck-e2e-"));
  let port = 0;
  let started: { child: ChildProcess; url: string } | undefined;
  // A port free when asked can be taken by another process (the other test lane's app, a browser) before the app binds
  // it; the app then says so and exits, and another free port is tried.
  for (let attempt = 1; !started; attempt++) {
    port = await freePort();
    started = await spawnApp(port, dataDir, timeoutMs, opts.env).catch((e: Error) => {
      if (attempt < 3 && /Port \d+ was taken/.test(e.message)) return undefined;
      throw e;
    });
  }
  let { child, url } = started;
  return {
    url,
    token: ADMIN_TOKEN,
    dataDir,
    restart: async (downMs = 0) => {
      await killApp(child);
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      ({ child, url } = await spawnApp(port, dataDir, timeoutMs, opts.env));
    },
    stop: async () => {
      await killApp(child);
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations seen so far. */
  problems: string[];
  close: () => Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), "flightdeck-chromium-"));
  const context = await launchChromium(profile);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, app: App): Promise<void> {
  await page.goto(`${app.url}/sign-in`);
  await page.getByLabel("API token").fill(app.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
}

/** Calls the API with the admin bearer token (for setup the UI does not cover, e.g. plans). */
export async function apiCall<T>(app: App, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${app.url}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${app.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** A list step, then a loop whose `draft` step of each item waits for review: `emails[i].draft`. */
export function loopOfReviews(items: string[], o: { listAgent?: string; draft?: string } = {}): unknown[] {
  return [
    { id: "list", agent: o.listAgent ?? "writer", instructions: `@output ${JSON.stringify(items)}` },
    { id: "emails", kind: "loop", over: "list", body: [{ id: "draft", agent: "writer", instructions: `@output ${o.draft ?? "Email to {{item}}"}`, approval: true }] },
  ];
}

/** Saves `steps` as a plan named `name`, runs it (with `run`'s body) and waits until `waiting` items wait for a person. */
export async function runUntilWaiting(app: App, name: string, steps: unknown[], waiting: number, run: Record<string, unknown> = {}): Promise<{ id: string }> {
  const plan = await apiCall<{ id: string }>(app, "POST", "/plans", { name, steps });
  const task = await apiCall<{ id: string }>(app, "POST", `/plans/${plan.id}/run`, run);
  const pending = async () => (await apiCall<{ pending: unknown[] }>(app, "GET", `/tasks/${task.id}`)).pending.length;
  await expect.poll(pending, { timeout: 20_000 }).toBe(waiting);
  return task;
}

export function uid(): string {
  return Math.random().toString(36).slice(2, 8);
}

export interface Dashboard {
  app: App;
  browser: Browser;
  page: Page;
}

/** The app as `npm start` runs it, and a browser signed in to it. */
export async function openDashboard(): Promise<Dashboard> {
  const app = await startApp();
  const browser = await launchBrowser();
  await signIn(browser.page, app);
  return { app, browser, page: browser.page };
}

/** For a whole test file: the app and a signed-in browser, handed to `use` before its tests and closed after them. */
export function useDashboard(use: (d: Dashboard) => void): void {
  let opened: Dashboard | undefined;
  beforeAll(async () => {
    opened = await openDashboard();
    use(opened);
  });
  afterAll(() => closeDashboard(opened ?? {}));
}

export async function closeDashboard(d: Partial<Dashboard>): Promise<void> {
  await d.browser?.close();
  await d.app?.stop();
}
