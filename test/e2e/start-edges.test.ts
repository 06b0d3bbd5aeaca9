import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockDataDir } from "../../scripts/start-checks.mjs";
import { type App, ADMIN_TOKEN, freePort, startApp } from "./helpers";

/** `npm start` where it cannot start: one clear line and a non-zero exit, not a stack trace, a hang or a second runtime. */
let app: App;
const scratch = mkdtempSync(path.join(tmpdir(), "flightdeck-start-edges-"));
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Ended { code: number | null; output: string; ms: number }

/** Runs scripts/start.mjs: `ended` resolves when it exits (it is killed, and fails, at `timeoutMs`). */
function launch(env: Record<string, string>, timeoutMs = 60_000) {
  const began = Date.now();
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    env: { ...process.env, FLIGHTDECK_ADMIN_TOKEN: ADMIN_TOKEN, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr.on("data", (b: Buffer) => (output += b.toString()));
  const ended = new Promise<Ended>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, "SIGKILL");
      reject(new Error(`npm start did not exit in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - began });
    });
  });
  return { child, ended };
}
const start = (env: Record<string, string>) => launch(env).ended;

const noStack = (output: string) => expect(output, output).not.toMatch(/^\s+at /m);

describe("npm start refuses what it cannot do", () => {
  it("a second start on a data dir in use, at once, naming the process that has it", async () => {
    const port = await freePort();
    const ended = await start({ PORT: String(port), FLIGHTDECK_DATA_DIR: app.dataDir });
    expect(ended.code).toBe(1);
    expect(ended.output).toMatch(/^Flightdeck cannot start: Flightdeck is already running on the data dir .+ \(process \d+, port \d+\)/);
    noStack(ended.output);
    expect(ended.ms).toBeLessThan(15_000);
    // the first one still serves
    expect((await fetch(`${app.url}/api/v1/health`)).status).toBe(200);
  });

  it("a port in use, before the slow part", async () => {
    const port = new URL(app.url).port;
    const ended = await start({ PORT: port, FLIGHTDECK_DATA_DIR: path.join(scratch, "other") });
    expect(ended.code).toBe(1);
    expect(ended.output).toContain(`Flightdeck cannot start: Port ${port} is already in use`);
    expect(ended.output).toContain("set PORT to a free one");
    noStack(ended.output);
    expect(ended.ms).toBeLessThan(15_000);
  });

  it("a data dir that cannot be written, and a port that is not one", async () => {
    const file = path.join(scratch, "a-file");
    writeFileSync(file, "");
    const dir = await start({ PORT: String(await freePort()), FLIGHTDECK_DATA_DIR: path.join(file, "data") });
    expect(dir.code).toBe(1);
    expect(dir.output).toMatch(/^Flightdeck cannot start: Cannot use the data dir .+a-file\/data \(FLIGHTDECK_DATA_DIR\): ENOTDIR/);
    noStack(dir.output);
    // where Node's own recursive mkdir would spin for ever
    const proc = await start({ PORT: String(await freePort()), FLIGHTDECK_DATA_DIR: "/proc/flightdeck-data" });
    expect(proc.code).toBe(1);
    expect(proc.output).toMatch(/^Flightdeck cannot start: Cannot use the data dir \/proc\/flightdeck-data \(FLIGHTDECK_DATA_DIR\): ENOENT/);
    const port = await start({ PORT: "http", FLIGHTDECK_DATA_DIR: path.join(scratch, "unused") });
    expect(port.code).toBe(1);
    expect(port.output).toContain('PORT must be a port number (1–65535), not "http"');
    expect(existsSync(path.join(scratch, "unused"))).toBe(false);
  });

  it("a failure inside the local runtime: its message first, then its stack for a report", async () => {
    // a Worker that throws as it loads: workerd refuses it, which no check before the start can know
    const bundle = path.join(scratch, "broken-bundle");
    mkdirSync(bundle, { recursive: true });
    writeFileSync(path.join(bundle, "index.js"), 'throw new Error("broken on load");\nexport default {};\n');
    const ended = await start({ PORT: String(await freePort()), FLIGHTDECK_DATA_DIR: path.join(scratch, "broken"), FLIGHTDECK_WORKER_BUNDLE: bundle });
    expect(ended.code, ended.output).toBe(1);
    expect(ended.output).toMatch(/^Flightdeck cannot start: .+/m);
    expect(ended.output).toContain("It failed inside the local runtime");
    expect(ended.output).toMatch(/^\s+at /m);
    expect(existsSync(path.join(scratch, "broken", "flightdeck.lock"))).toBe(false);
  });

  it("SIGTERM while starting: says it did not start, exits 143, leaves the data dir free for the next start", async () => {
    const dataDir = path.join(scratch, "interrupted");
    const { child, ended: done } = launch({ PORT: String(await freePort()), FLIGHTDECK_DATA_DIR: dataDir });
    // once it holds the data dir, and long before it is ready (bundling alone takes seconds)
    await expect.poll(() => existsSync(path.join(dataDir, "flightdeck.lock")), { timeout: 20_000, interval: 50 }).toBe(true);
    child.kill("SIGTERM");
    const ended = await done;
    expect(ended.code).toBe(143);
    expect(ended.output).toContain("Flightdeck stopped by SIGTERM before it was ready");
    noStack(ended.output);
    expect(existsSync(path.join(dataDir, "flightdeck.lock"))).toBe(false);
  });
});

describe("the data dir's lock", () => {
  it("is taken over from a process that is gone or is not npm start, and released only by its holder", async () => {
    const dir = path.join(scratch, "stale");
    const gone = spawn(process.execPath, ["-e", ""]);
    const pid = gone.pid!;
    await new Promise((r) => gone.once("exit", r));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "flightdeck.lock"), JSON.stringify({ pid, port: 1 }));
    const release = lockDataDir(dir, 2);
    expect(JSON.parse(readFileSync(path.join(dir, "flightdeck.lock"), "utf8"))).toEqual({ pid: process.pid, port: 2 });
    // one that is not this process's, it leaves
    writeFileSync(path.join(dir, "flightdeck.lock"), JSON.stringify({ pid: 999_999_999, port: 4 }));
    release();
    expect(JSON.parse(readFileSync(path.join(dir, "flightdeck.lock"), "utf8"))).toEqual({ pid: 999_999_999, port: 4 });
    // a live process that is not npm start (a pid reused after a crash): taken over too
    writeFileSync(path.join(dir, "flightdeck.lock"), JSON.stringify({ pid: process.ppid, port: 5 }));
    lockDataDir(dir, 6)();
    expect(existsSync(path.join(dir, "flightdeck.lock"))).toBe(false);
  });
});

describe("installing dependencies", () => {
  it("never runs npm ci through a node_modules that is a link: it would empty the folder it points to", () => {
    const checkout = path.join(scratch, "linked-checkout");
    const elsewhere = path.join(scratch, "other-checkouts-modules");
    mkdirSync(checkout, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(checkout, "package.json"), JSON.stringify({ name: "linked", version: "1.0.0" }));
    // the lock wants another version than the linked folder holds
    writeFileSync(path.join(checkout, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "": {}, "node_modules/left-pad": { version: "1.3.0" } } }));
    writeFileSync(path.join(elsewhere, ".package-lock.json"), JSON.stringify({ packages: { "node_modules/left-pad": { version: "1.1.0" } } }));
    writeFileSync(path.join(elsewhere, "kept.txt"), "another checkout's install");
    symlinkSync(elsewhere, path.join(checkout, "node_modules"));
    const script = `import(${JSON.stringify(path.resolve("scripts/ensure-deps.mjs"))}).then((m) => m.ensureDeps(${JSON.stringify(checkout)}))`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`node_modules is a link to ${elsewhere}`);
    expect(readFileSync(path.join(elsewhere, "kept.txt"), "utf8")).toBe("another checkout's install");
  });
});
