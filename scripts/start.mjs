#!/usr/bin/env node
// `npm start`: the API and dashboard on http://localhost:$PORT with local D1 and
// Durable Objects persisted in $FLIGHTDECK_DATA_DIR. Runs the Worker as wrangler
// deploys it (its bundle, its bindings from wrangler.toml) on Miniflare, behind a
// Node front that gives each request its own connection to workerd (forward.mjs).
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDeps } from "./ensure-deps.mjs";
import { frontServer } from "./forward.mjs";
import { localConfig, localWorker, persistRootOf } from "./local-worker.mjs";
import { applyD1Migrations, RENAMED_MIGRATIONS } from "./migrate.mjs";
import { checkPortFree, lockDataDir, prepareDataDir, StartError } from "./start-checks.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
ensureDeps(root);
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const port = Number(process.env.PORT ?? 8443);
const dataDir = path.resolve(root, process.env.FLIGHTDECK_DATA_DIR ?? ".data");
const stateDir = path.join(dataDir, "state");
// as wrangler and Miniflare did: localhost is 127.0.0.1, whatever order the resolver gives ::1 in
const host = process.env.HOST ?? "localhost";
const listenHost = host === "localhost" ? "127.0.0.1" : host;
const children = new Set();
let bundleDir;
let mf;
let ready = false;
let stopping = false;
async function stop(code = 0) {
  // a second caller waits for the first one's exit, rather than going on with the start
  if (stopping) return new Promise(() => {});
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  await mf?.dispose().catch(() => {});
  process.exit(code);
}
// stopped once serving, a clean exit; stopped while starting, it did not start: said, and not 0
let stoppedStarting = 0;
const onSignal = (signal, n) => () => {
  if (!ready && !stopping) {
    console.error(`Flightdeck stopped by ${signal} before it was ready; nothing was served. Its data dir is as it was, or has this start's migrations.`);
    stoppedStarting = 128 + n;
  }
  stop(stoppedStarting);
};
process.on("SIGINT", onSignal("SIGINT", 2));
process.on("SIGTERM", onSignal("SIGTERM", 15));
// wrangler's own signal handlers may exit first, and with 0
process.on("exit", () => {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  if (stoppedStarting) process.exitCode = stoppedStarting;
});

try {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`PORT must be a port number (1–65535), not "${process.env.PORT}".`);
  prepareDataDir(dataDir);
  process.on("exit", lockDataDir(dataDir, port));
  await checkPortFree(port, listenHost);
} catch (e) {
  if (!(e instanceof StartError)) throw e;
  console.error(`Flightdeck cannot start: ${e.message}`);
  process.exit(1);
}

function adminToken() {
  if (process.env.FLIGHTDECK_ADMIN_TOKEN) return { token: process.env.FLIGHTDECK_ADMIN_TOKEN, generated: false };
  const file = path.join(dataDir, "admin-token");
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), generated: false, file };
  const token = `fd_${randomBytes(30).toString("base64url")}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file };
}

/** The key named MCP servers' credentials are sealed with: SECRETS_KEY, else one made on first start and kept beside the state it opens. */
function secretsKey() {
  if (process.env.SECRETS_KEY) return process.env.SECRETS_KEY;
  const file = path.join(dataDir, "secrets-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = randomBytes(32).toString("base64url");
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function buildDashboardIfStale() {
  const index = path.join(root, "web/dist/index.html");
  const sources = Math.max(newestMtime(path.join(root, "web/src")), statSync(path.join(root, "web/index.html")).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  console.log("Building the dashboard…");
  execFileSync(process.execPath, [path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
}

const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");

function run(args) {
  return new Promise((resolve, reject) => {
    // its errors are kept and told on failure: a child stopped with this process (and esbuild under it) says nothing
    const child = spawn(process.execPath, [wrangler, ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, CI: "true" } });
    let stderr = "";
    child.stderr.on("data", (b) => (stderr = (stderr + b).slice(-8000)));
    children.add(child);
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`wrangler ${args.slice(0, 2).join(" ")} exited with ${code}${stderr.trim() ? `:\n${stderr.trim()}` : ""}`));
    });
  });
}

const bundleWorker = (outDir) => run(["deploy", "--dry-run", "--outdir", outDir]);

/** The provider keys and base URLs, and the search endpoint, set in this shell reach the Worker as secrets (no other environment does). */
const PROVIDER_VARS = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WEB_SEARCH_URL"];
const providerBindings = Object.fromEntries(PROVIDER_VARS.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));

/** FLIGHTDECK_LOG_LEVEL (default warn) picks which of the Worker's console lines are printed, in wrangler's order of levels. */
const PRINT_LEVELS = { none: -1, error: 0, warn: 1, info: 2, log: 3, debug: 4 };
const printLevel = PRINT_LEVELS[process.env.FLIGHTDECK_LOG_LEVEL ?? "warn"] ?? PRINT_LEVELS.warn;
function printWorkerLog({ level, message }) {
  if ((PRINT_LEVELS[level] ?? PRINT_LEVELS.log) > printLevel) return;
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(`${message}\n`);
}

const { token, generated, file } = adminToken();
buildDashboardIfStale();
// FLIGHTDECK_WORKER_BUNDLE: a directory where `wrangler deploy --dry-run --outdir` already bundled this Worker, used as it
// is and left in place (the browser tests bundle once for their thirty starts); otherwise each start bundles afresh.
const prebuilt = process.env.FLIGHTDECK_WORKER_BUNDLE;
if (!prebuilt) bundleDir = mkdtempSync(path.join(tmpdir(), "flightdeck-worker-"));
const workerDir = prebuilt ?? bundleDir;

let wranglerApi;
try {
  if (prebuilt && !existsSync(path.join(prebuilt, "index.js"))) throw new StartError(`FLIGHTDECK_WORKER_BUNDLE names ${prebuilt}, which holds no index.js.`);
  [wranglerApi] = await Promise.all([import("wrangler"), prebuilt ? undefined : bundleWorker(bundleDir)]);
} catch (e) {
  if (!stopping) console.error(`Flightdeck cannot start: ${e.message}`);
  await stop(1);
}

const { config, workerOptions, Miniflare } = localConfig(wranglerApi, root);
/** A `[vars]` value of wrangler.toml set in this shell is the Worker's instead (`RATE_LIMIT_PER_MIN=0 npm start`). */
const varOverrides = Object.fromEntries(Object.keys(config.vars ?? {}).filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
const persistRoot = persistRootOf(stateDir);
try {
  const db = config.d1_databases[0];
  await applyD1Migrations({
    Miniflare, splitSqlQuery: wranglerApi.unstable_splitSqlQuery, persistRoot, d1Databases: workerOptions.d1Databases, binding: db.binding, dir: path.join(root, db.migrations_dir), renamed: RENAMED_MIGRATIONS,
  }).catch((e) => {
    // not a passing fault: the same migration on the same database fails again
    throw /^migration \S+ failed/.test(e.message) ? new StartError(`${e.message}. Starting again fails the same way: report it with this message.`) : e;
  });
  mf = localWorker({
    Miniflare,
    config,
    workerOptions,
    workerDir,
    persistRoot,
    handleStructuredLogs: printWorkerLog,
    bindings: { ...varOverrides, ...providerBindings, FLIGHTDECK_ADMIN_TOKEN: token, SECRETS_KEY: secretsKey() },
  });
  const worker = await mf.ready;
  const server = frontServer({ host: worker.hostname, port: Number(worker.port) });
  await new Promise((resolve, reject) =>
    server
      .once("error", (e) => reject(e.code === "EADDRINUSE" ? new StartError(`Port ${port} was taken on ${listenHost} while starting: stop what took it, or set PORT to a free one.`) : e))
      .listen(port, listenHost, resolve),
  );
} catch (e) {
  if (!stopping) {
    console.error(`Flightdeck cannot start: ${e.message}`);
    // not a condition of ours but the runtime's (Miniflare, workerd, D1): where it came from, for a report
    if (!(e instanceof StartError)) console.error(`It failed inside the local runtime (Miniflare, workerd or local D1); a passing fault goes with the next start. Its stack, for a report:\n${e.stack}`);
  }
  await stop(1);
}
ready = true;

const url = `http://localhost:${port}`;
const health = await fetch(`${url}/api/v1/health`).then((r) => r.json()).catch((e) => ({ ok: false, error: String(e) }));
if (!health.ok) console.warn("Health check failed:", health);
console.log(`Flightdeck ready on ${url}`);
if (generated) console.log(`Generated an admin token (kept in ${file}):\n\n  ${token}\n`);
else if (file) console.log(`Admin token: kept in ${file}`);
else console.log("Admin token: FLIGHTDECK_ADMIN_TOKEN");
