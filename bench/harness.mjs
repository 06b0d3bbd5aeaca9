// Starts the product and the peer worker in local workerd through wrangler's
// unstable_startWorker with the devtools inspector off, each on its own port and
// its own throwaway state directory, plus small helpers the benchmarks share.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const wranglerBin = path.join(root, "node_modules/wrangler/bin/wrangler.js");

function devOptions(persist) {
  return { remote: false, persist, inspector: false, watch: false, logLevel: "error", server: { hostname: "127.0.0.1", port: 0 } };
}

async function start(config, persist, bindings = {}, extra = {}) {
  const { unstable_startWorker } = await import("wrangler");
  // As scripts/start.mjs: wrangler 4.86's unstable_startWorker does not derive the mode from `nodejs_compat` (workers-sdk#14617).
  const worker = await unstable_startWorker({ config, bindings, build: { nodejsCompatMode: "v2" }, dev: devOptions(persist), ...extra });
  await worker.ready;
  const url = (await worker.url).origin;
  return { worker, url };
}

/**
 * The product Worker with the create and SSE benchmarks' bare peers added (bench/peer/in-app.ts: issue 8
 * measures against peers "in the same process", the create's "a bare endpoint in the same Worker"), from
 * the product's own wrangler.toml.
 */
async function inAppPeer() {
  const { unstable_readConfig } = await import("wrangler");
  const { migrations } = unstable_readConfig({ config: path.join(root, "wrangler.toml") });
  return {
    entrypoint: path.join(root, "bench/peer/in-app.ts"),
    bindings: {
      BENCH_BARE: { type: "durable_object_namespace", class_name: "BareCreate" },
      BENCH_BROADCASTER: { type: "durable_object_namespace", class_name: "Broadcaster" },
    },
    migrations: [...migrations, { tag: "bench-bare", new_sqlite_classes: ["BareCreate", "Broadcaster"] }],
  };
}

/** The real app, as `npm start` runs it, with its limits raised so the load is not refused. */
export async function startProduct(dir, { profile = false } = {}) {
  const stateDir = path.join(dir, profile ? "profile" : "product");
  mkdirSync(stateDir, { recursive: true });
  execFileSync(process.execPath, [wranglerBin, "d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: "true" },
  });
  const token = `fd_${randomBytes(30).toString("base64url")}`;
  const config = path.join(root, "wrangler.toml");
  const before = workerdPids();
  const entry = profile ? { bindings: {}, entrypoint: path.join(root, "bench/profile/entry.ts") } : await inAppPeer();
  const { worker, url } = await start(config, stateDir, {
    FLIGHTDECK_ADMIN_TOKEN: { type: "plain_text", value: token },
    RATE_LIMIT_PER_MIN: { type: "plain_text", value: "1000000000" },
    MAX_STREAMS_PER_ORG: { type: "plain_text", value: "100000" },
    ...entry.bindings,
  }, { entrypoint: entry.entrypoint, ...(entry.migrations ? { migrations: entry.migrations } : {}) });
  const health = await fetch(`${url}/api/v1/health`).then((r) => r.json());
  if (!health.ok) throw new Error(`product not healthy: ${JSON.stringify(health)}`);
  const pids = workerdPids().filter((p) => !before.includes(p));
  return { worker, url, token, stateDir, pids };
}

export async function startPeer(dir) {
  const stateDir = path.join(dir, "peer");
  mkdirSync(stateDir, { recursive: true });
  const before = workerdPids();
  const peer = await start(path.join(root, "bench/peer/wrangler.toml"), stateDir);
  // wrangler starts its second workerd with the first request
  await fetch(`${peer.url}/floor/chain?n=1`, { method: "POST" }).then((r) => r.text());
  return { ...peer, pids: workerdPids().filter((p) => !before.includes(p)) };
}

/** workerd processes started by this process (wrangler spawns one per worker). */
export function workerdPids() {
  const out = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat);
      if (comm === "workerd" && Number(rest.split(" ")[1]) === process.pid) out.push(Number(pid));
    } catch {}
  }
  return out;
}

const lastTicks = new Map();

/** The fields of a `/proc/…/stat` file after the command name (field 3 is index 0), so 14 (utime) is [11] and 42 (blkio ticks) [39]. */
export const statFields = (file) => /\) (.*)$/s.exec(readFileSync(file, "utf8"))[1].split(" ");

/** CPU seconds (user + system) used so far by these processes; one that exited keeps its last reading. */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = statFields(`/proc/${pid}/stat`);
      lastTicks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {}
    ticks += lastTicks.get(pid) ?? 0;
  }
  return ticks / 100;
}

/**
 * Waits until the processes use under `cores` of CPU over a whole second (at most `maxMs`), so a
 * benchmark does not start while the one before still runs on: tasks finishing, objects being
 * evicted, a peer's workflows cleaning up. Without it that work lands in whichever side's round
 * comes first. Returns how long it waited (ms).
 */
export async function quiet(pids, { cores = 0.05, maxMs = 30_000 } = {}) {
  const t0 = performance.now();
  let last = cpuSeconds(pids);
  while (performance.now() - t0 < maxMs) {
    await sleep(1000);
    const now = cpuSeconds(pids);
    if (now - last < cores) break;
    last = now;
  }
  return performance.now() - t0;
}

/**
 * Seconds the processes spent blocked on disk I/O (field 42 of /proc/<pid>/stat), or null when the
 * kernel does not account it (`sysctl kernel.task_delayacct=1` turns it on). SQLite's commits run on
 * workerd's event-loop thread, so a process blocked in fsync serves no request either: CPU alone
 * undercounts what a write-heavy path costs.
 */
export function ioWaitSeconds(pids) {
  try {
    if (readFileSync("/proc/sys/kernel/task_delayacct", "utf8").trim() !== "1") return null;
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      ticks += Number(statFields(`/proc/${pid}/stat`)[39]);
    } catch {}
  }
  return ticks / 100;
}

export function scratchDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flightdeck-bench-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A JSON API client for the product. */
export function client(url, token) {
  return async function api(method, p, body) {
    const res = await fetch(`${url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok || !text) throw new Error(`${method} ${p} → ${res.status} ${text.slice(0, 300) || "(empty body)"}`);
    return JSON.parse(text);
  };
}

export async function post(url, body) {
  const res = await fetch(url, { method: "POST", body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const median = (values) => percentile(values, 50);
export const round = (v, digits = 2) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
