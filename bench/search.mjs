#!/usr/bin/env node
// Search benchmark: p95 latency of a fixed mix of list, filter, name-search and
// summary requests against the real app in local workerd (D1 + Durable Objects,
// inspector off, as `npm start` runs it), with 1,000,000 index rows of which 20%
// belong to the organization that asks. The peer is the plain way: a LIKE scan
// over title and description through a Worker on the same D1 file.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { seedSql } from "./search-seed.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wranglerBin = path.join(root, "node_modules/wrangler/bin/wrangler.js");
const TOKEN = "fd_bench_search_token";

/** The mix: every kind runs once per round, in this order. */
const MIX = [
  ["list", "/tasks?limit=20"],
  ["list page 2", "/tasks?limit=20", { nextPage: true }],
  ["filter status", "/tasks?status=failed"],
  ["filter source", "/tasks?source=cron"],
  ["filter agent", "/tasks?agent=writer"],
  ["filter status+agent", "/tasks?status=needs_input&agent=writer"],
  ["search narrow", "/tasks?q=churn"],
  ["search narrow long", "/tasks?q=pricing"],
  ["search rare", "/tasks?q=w1i575"],
  ["search two words", "/tasks?q=pricing%20saas"],
  ["search broad co", "/tasks?q=co"],
  ["search broad re", "/tasks?q=re"],
  ["search broad page 2", "/tasks?q=co", { nextPage: true }],
  ["search broad+status", "/tasks?q=co&status=needs_input"],
  ["summary", "/tasks/summary"],
  ["summary narrow", "/tasks/summary?q=churn"],
  ["summary broad", "/tasks/summary?q=co"],
  ["summary long", "/tasks/summary?q=pricing"],
];
const LIKE_TERMS = ["churn", "pricing", "w1i575", "co", "re"];

const run = (args, opts = {}) =>
  execFileSync(process.execPath, [wranglerBin, ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    ...opts,
  });

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const round1 = (x) => Math.round(x * 10) / 10;

/** Applies the migrations and seeds once per data dir; a changed migration set reseeds. */
function prepare(stateDir, rows, share, log) {
  const marker = path.join(stateDir, "bench-seeded.json");
  const want = JSON.stringify({ rows, share, migrations: readdirSync(path.join(root, "migrations")).filter((f) => f.endsWith(".sql")) });
  if (existsSync(marker) && readFileSync(marker, "utf8") === want) return;
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  log("applying migrations…");
  run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);
  const file = path.join(stateDir, "seed.sql");
  writeFileSync(file, seedSql({ rows, share }));
  log(`seeding ${rows.toLocaleString("en")} index rows (minutes for 1M)…`);
  const t = performance.now();
  run(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--file", file, "--yes"]);
  log(`seeded in ${round1((performance.now() - t) / 1000)} s`);
  rmSync(file);
  writeFileSync(marker, want);
}

async function timeMix(base, rounds) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const get = async (p) => {
    const t = performance.now();
    const res = await fetch(`${base}/api/v1${p}`, { headers });
    const body = await res.json();
    const ms = performance.now() - t;
    if (!res.ok) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`);
    return { ms, body };
  };
  const cursors = {};
  for (const [name, p, o] of MIX) if (o?.nextPage) cursors[name] = (await get(p)).body.next_cursor;
  for (const [, p] of MIX) await get(p);
  const times = Object.fromEntries(MIX.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, p, o] of MIX) {
      const url = o?.nextPage ? `${p}&cursor=${encodeURIComponent(cursors[name])}` : p;
      times[name].push((await get(url)).ms);
    }
  }
  return times;
}

async function timeLikePeer(stateDir, rounds) {
  const { Miniflare } = await import(pathToFileURL(path.join(root, "node_modules/miniflare/dist/src/index.js")).href);
  const script = `export default { async fetch(req, env) {
    const q = new URL(req.url).searchParams.get("q");
    const { results } = await env.DB.prepare("SELECT * FROM tasks WHERE org_id = ? AND (title LIKE ?2 OR description LIKE ?2) ORDER BY seq DESC LIMIT 21")
      .bind("org_default", "%" + q + "%").all();
    return Response.json(results);
  } }`;
  const mf = new Miniflare({
    modules: true, script, d1Databases: { DB: "00000000-0000-0000-0000-000000000000" }, d1Persist: path.join(stateDir, "v3", "d1"),
  });
  try {
    const times = [];
    const get = async (q) => {
      const t = performance.now();
      const rows = await (await mf.dispatchFetch(`http://peer/?q=${encodeURIComponent(q)}`)).json();
      if (!Array.isArray(rows) || rows.length === 0) throw new Error(`LIKE peer found nothing for ${q}: is the D1 file shared?`);
      return performance.now() - t;
    };
    for (const q of LIKE_TERMS) await get(q);
    for (let r = 0; r < Math.max(3, Math.ceil(rounds / 4)); r++) for (const q of LIKE_TERMS) times.push(await get(q));
    return times;
  } finally {
    await mf.dispose();
  }
}

/**
 * @param {{ rows?: number, share?: number, rounds?: number, dataDir?: string, port?: number, log?: (m: string) => void }} [opts]
 * @returns {Promise<{ id: string, value: number, unit: "ms", ratio: number, peer: string, peer_value: number, notes: string }>}
 */
export async function benchSearch(opts = {}) {
  const rows = opts.rows ?? 1_000_000;
  const share = opts.share ?? 0.2;
  const rounds = opts.rounds ?? 30;
  const log = opts.log ?? ((m) => console.error(`[search] ${m}`));
  const stateDir = path.resolve(opts.dataDir ?? path.join(root, ".data", `bench-search-${rows}`));
  process.env.WRANGLER_SEND_METRICS ??= "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  prepare(stateDir, rows, share, log);

  const { unstable_startWorker } = await import("wrangler");
  const port = opts.port ?? 8600 + Math.floor(Math.random() * 300);
  const worker = await unstable_startWorker({
    config: path.join(root, "wrangler.toml"),
    bindings: { FLIGHTDECK_ADMIN_TOKEN: { type: "plain_text", value: TOKEN }, RATE_LIMIT_PER_MIN: { type: "plain_text", value: "1000000" } },
    dev: { remote: false, persist: stateDir, inspector: false, watch: false, logLevel: "warn", server: { hostname: "127.0.0.1", port } },
  });
  let times;
  try {
    await worker.ready;
    log(`timing ${MIX.length} request kinds × ${rounds} rounds…`);
    times = await timeMix(`http://127.0.0.1:${port}`, rounds);
  } finally {
    await worker.dispose();
  }
  log("timing the LIKE peer…");
  const peerTimes = await timeLikePeer(stateDir, rounds);

  const all = Object.values(times).flat();
  const value = round1(percentile(all, 0.95));
  const peerValue = round1(percentile(peerTimes, 0.95));
  const perKind = Object.entries(times).map(([k, xs]) => `${k} ${round1(percentile(xs, 0.5))}/${round1(percentile(xs, 0.95))}`);
  return {
    id: "search_p95_ms_1m",
    value,
    unit: "ms",
    ratio: Math.round((value / peerValue) * 1000) / 1000,
    peer: "LIKE scan",
    peer_value: peerValue,
    notes:
      `${rows.toLocaleString("en")} rows, ${share * 100}% in the asking org; p95 over ${all.length} HTTP requests (${rounds} rounds of ${MIX.length} kinds), ` +
      `sequential, local workerd, inspector off. ratio = value / peer_value. Per kind p50/p95 ms: ${perKind.join("; ")}. ` +
      `LIKE peer (same D1, ${LIKE_TERMS.join("|")}): p50 ${round1(percentile(peerTimes, 0.5))} ms.`,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);
  const result = await benchSearch({ rows, rounds: Number(process.env.BENCH_SEARCH_ROUNDS ?? 30) });
  console.log(JSON.stringify(result, null, 2));
}
