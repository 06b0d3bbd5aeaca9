// Where a create's JavaScript time goes: a V8 CPU profile of the product's isolate under the create benchmark's
// load (autocannon, 50 connections, POST /api/v1/tasks), taken through workerd's devtools protocol on npm start's
// runner (the deploy bundle on Miniflare), LOG_LEVEL=warn (the inspector makes every log line dearer). Prints the
// frames with the most self and inclusive time, as shares of the profile (idle included), and writes the profile
// to bench/create.cpuprofile for Chrome's devtools. The isolate's profile does not hold D1, which runs in its own.
// Not part of `npm run bench`. usage: node bench/cpu-profile.mjs [seconds = 10]
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { load } from "./create.mjs";
import { root, scratchDir, sleep } from "./harness.mjs";
import { bundleWorkerSync, localConfig, localWorker, persistRootOf } from "../scripts/local-worker.mjs";
import { applyD1Migrations } from "../scripts/migrate.mjs";

// Node 20 has WebSocket only behind a flag
if (typeof WebSocket === "undefined") {
  const r = spawnSync(process.execPath, ["--experimental-websocket", ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const seconds = Number(process.argv[2] ?? 10);
const INSPECTOR_PORT = 9339;
const token = `fd_${"p".repeat(40)}`;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const body = { agent: "writer", title: "bench create", description: "@output ok" };

/** One devtools session: `send` answers each command's result. */
async function devtools(url) {
  // the inspector proxy lets in local origins only; undici sends none of its own
  const ws = new WebSocket(url, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = () => reject(new Error(`devtools: no connection to ${url}`)))));
  let id = 0;
  const waiting = new Map();
  ws.onmessage = ({ data }) => {
    const m = JSON.parse(data);
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  };
  const send = (method, params = {}) => new Promise((resolve) => (waiting.set(++id, resolve), ws.send(JSON.stringify({ id, method, params }))));
  return { send, close: () => ws.close() };
}

/** Self and inclusive time per frame (name, file and line), in microseconds, and the profile's whole time. */
function frameTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id])));
  const frame = ({ callFrame: f }) => `${f.functionName || "(anonymous)"} ${path.basename(f.url) || "(native)"}:${f.lineNumber + 1}`;
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    self.set(frame(byId.get(id)), (self.get(frame(byId.get(id))) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) seen.add(frame(byId.get(cur)));
    for (const f of seen) inclusive.set(f, (inclusive.get(f) ?? 0) + dt);
  });
  return { self, inclusive, total };
}

const top = (times, total, n) =>
  [...times].sort((a, b) => b[1] - a[1]).slice(0, n).map(([f, t]) => `${((100 * t) / total).toFixed(1).padStart(6)}%  ${f}`).join("\n");

console.log("bundling the Worker as wrangler deploys it…");
const scratch = scratchDir();
const bundle = path.join(scratch.dir, "bundle");
bundleWorkerSync(root, bundle);
const wranglerApi = await import(createRequire(path.join(root, "package.json")).resolve("wrangler"));
const { config, workerOptions, Miniflare } = localConfig(wranglerApi, root);
const persistRoot = persistRootOf(path.join(scratch.dir, "state"));
const db = config.d1_databases[0];
await applyD1Migrations({
  Miniflare, splitSqlQuery: wranglerApi.unstable_splitSqlQuery, persistRoot, d1Databases: workerOptions.d1Databases, binding: db.binding, dir: path.join(root, db.migrations_dir),
});
const mf = localWorker({
  Miniflare,
  config,
  workerOptions,
  workerDir: bundle,
  persistRoot,
  inspectorPort: INSPECTOR_PORT,
  handleStructuredLogs: () => {},
  bindings: { FLIGHTDECK_ADMIN_TOKEN: token, RATE_LIMIT_PER_MIN: "1000000000", LOG_LEVEL: "warn", SECRETS_KEY: "s".repeat(44) },
});
try {
  const url = (await mf.ready).origin;
  console.log(`serving on ${url}; warming up for 3 s, then 15 s for the warm-up's objects to go…`);
  // warm the isolate and the organization's objects, then let the warm-up's tasks finish and their objects go
  await load(`${url}/api/v1/tasks`, headers, body, 3);
  await sleep(15_000);
  console.log(`profiling ${seconds} s of creates…`);
  const [target] = await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`).then((r) => r.json());
  const session = await devtools(target.webSocketDebuggerUrl);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  await session.send("Profiler.start");
  const r = await load(`${url}/api/v1/tasks`, headers, body, seconds);
  await sleep(3000);
  const { profile } = await session.send("Profiler.stop");
  session.close();
  writeFileSync(path.join(root, "bench/create.cpuprofile"), JSON.stringify(profile));
  const { self, inclusive, total } = frameTimes(profile);
  console.log(`${r.requests.total} creates in ${seconds} s (p99 ${r.latency.p99} ms), then 3 s for their tasks; profile ${(total / 1e6).toFixed(1)} s`);
  console.log(`\nself time\n${top(self, total, 30)}\n\ninclusive time\n${top(inclusive, total, 40)}`);
} finally {
  await mf.dispose();
  scratch.remove();
}
