#!/usr/bin/env node
// `npm start`: the API and dashboard on http://localhost:$PORT with local D1 and
// Durable Objects persisted in $FLIGHTDECK_DATA_DIR. Runs workerd through
// wrangler's programmatic dev server with the devtools inspector off: the
// inspector proxies every streamed chunk and collapses under many SSE clients.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDeps } from "./ensure-deps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
ensureDeps(root);
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const port = Number(process.env.PORT ?? 8443);
const dataDir = path.resolve(root, process.env.FLIGHTDECK_DATA_DIR ?? ".data");
const stateDir = path.join(dataDir, "state");
mkdirSync(stateDir, { recursive: true });

function adminToken() {
  if (process.env.FLIGHTDECK_ADMIN_TOKEN) return { token: process.env.FLIGHTDECK_ADMIN_TOKEN, generated: false };
  const file = path.join(dataDir, "admin-token");
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), generated: false, file };
  const token = `fd_${randomBytes(30).toString("base64url")}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file };
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

function applyMigrations() {
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules/wrangler/bin/wrangler.js"), "d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CI: "true" } },
  );
}

/** The provider keys and base URLs, and the search endpoint, set in this shell reach the Worker as secrets (wrangler passes no other environment). */
const PROVIDER_VARS = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WEB_SEARCH_URL"];
const providerBindings = Object.fromEntries(
  PROVIDER_VARS.filter((k) => process.env[k]).map((k) => [k, { type: "secret_text", value: process.env[k] }]),
);

const { token, generated, file } = adminToken();
buildDashboardIfStale();
applyMigrations();

const { unstable_startWorker } = await import("wrangler");
const worker = await unstable_startWorker({
  config: path.join(root, "wrangler.toml"),
  bindings: { ...providerBindings, FLIGHTDECK_ADMIN_TOKEN: { type: "plain_text", value: token } },
  // wrangler 4.86's unstable_startWorker does not derive this from `nodejs_compat` as `wrangler dev` and deploy do
  // (workers-sdk#14617): without it the dev bundle skips the Node.js compatibility layer and warns about node:* imports.
  build: { nodejsCompatMode: "v2" },
  dev: {
    remote: false,
    persist: stateDir,
    inspector: false,
    watch: false,
    logLevel: process.env.FLIGHTDECK_LOG_LEVEL ?? "warn",
    server: { hostname: process.env.HOST ?? "localhost", port },
  },
});
await worker.ready;

const url = `http://localhost:${port}`;
const health = await fetch(`${url}/api/v1/health`).then((r) => r.json()).catch((e) => ({ ok: false, error: String(e) }));
if (!health.ok) console.warn("Health check failed:", health);
console.log(`Flightdeck ready on ${url}`);
if (generated) console.log(`Generated an admin token (kept in ${file}):\n\n  ${token}\n`);
else if (file) console.log(`Admin token: kept in ${file}`);
else console.log("Admin token: FLIGHTDECK_ADMIN_TOKEN");

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await worker.dispose().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
