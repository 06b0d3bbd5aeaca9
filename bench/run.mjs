#!/usr/bin/env node
// `npm run bench`: the app in local workerd (wrangler unstable_startWorker, devtools inspector off;
// the search stage on npm start's Miniflare) against peers and floors in the same workerd build, in one run.
// Writes bench/results.json and prints a table. `--profile` adds a counting run
// (bench/profile/) that says where a step, a loop item and a create spend. `--only=create,sse_p99_ms` runs
// just those stages (by the names the log prints), to look at one again.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchBundle } from "./bundle.mjs";
import { benchCreate } from "./create.mjs";
import { client, quiet, root, scratchDir, startPeer, startProduct } from "./harness.mjs";
import { benchSse } from "./sse.mjs";
import { benchFanout, benchStepOverhead, chainPlan, fanoutPlan } from "./steps.mjs";

const args = new Set(process.argv.slice(2));
const STAGES = ["bundle_gz_kb", "step_overhead_ms", "create", "sse_p99_ms", "fanout_1000_s", "search_p95_ms_1m"];
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const unknown = only?.filter((n) => !STAGES.includes(n)) ?? [];
if (unknown.length) {
  console.error(`No stage is named ${unknown.join(", ")}; the stages are ${STAGES.join(", ")}.`);
  process.exit(1);
}
const started = performance.now();
const log = (msg) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`);
const results = [];
const wranglerVersion = JSON.parse(readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version;
const scratch = scratchDir();
let product;
let peer;

async function stage(name, fn) {
  if (only && !only.includes(name)) return;
  if (product && peer) log(`quiet after ${(await quiet([...product.pids, ...peer.pids]) / 1000).toFixed(1)} s`);
  log(name);
  try {
    const r = await fn();
    if (r) results.push(...(Array.isArray(r) ? r : [r]));
  } catch (e) {
    log(`  ${name} failed: ${e.stack ?? e}`);
    results.push({ id: name, value: null, unit: "", notes: `failed: ${String(e.message ?? e)}` });
  }
  writeResults();
}

function machineInfo() {
  return {
    runner: "wrangler unstable_startWorker, local workerd, devtools inspector off, persisted state in a scratch dir; the search stage on npm start's runner (Miniflare, requests straight to workerd)",
    wrangler: wranglerVersion,
    node: process.version,
    cpus: os.cpus().length,
    load_average: os.loadavg().map((l) => Number(l.toFixed(2))),
    duration_s: Math.round((performance.now() - started) / 1000),
  };
}

/** A run of some stages (`--only`) leaves the whole run's bench/results.json as it was. */
const resultsFile = path.join(root, only ? "bench/out/results-only.json" : "bench/results.json");

/** Written after every stage, so a run cut short still leaves what it measured. */
function writeResults() {
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify({ at: new Date().toISOString(), machine: machineInfo(), results }, null, 2)}\n`);
}

try {
  await stage("bundle_gz_kb", () => benchBundle({ outDir: path.join(scratch.dir, "dist") }));
  if (!existsSync(path.join(root, "web/dist/index.html"))) {
    log("building web/dist for the Worker's assets");
    await benchBundle({ outDir: path.join(root, "web/dist") });
  }

  log("starting the product and the peer worker (unstable_startWorker, inspector off)");
  product = await startProduct(scratch.dir);
  peer = await startPeer(scratch.dir);
  const api = client(product.url, product.token);

  await stage("step_overhead_ms", () => benchStepOverhead({ api, peerUrl: peer.url, reps: 5, log }));
  await stage("create", () => benchCreate({ productUrl: product.url, token: product.token, peerUrl: peer.url, pids: product.pids, duration: 10, log }));
  await stage("sse_p99_ms", () => benchSse({ productUrl: product.url, token: product.token, log }));
  // After a 1,000-item fan-out the app answers slowly for a while, so it runs after the latency benchmarks.
  await stage("fanout_1000_s", () => benchFanout({ api, peerUrl: peer.url, reps: 2, log }));

  // bench/search.mjs (owned separately) seeds 1M index rows, so it runs last.
  const searchFile = path.join(root, "bench/search.mjs");
  if (existsSync(searchFile)) {
    const { benchSearch } = await import(searchFile);
    await stage("search_p95_ms_1m", () =>
      benchSearch({ productUrl: product.url, token: product.token, stateDir: product.stateDir, scratchDir: scratch.dir, root, log }),
    );
  } else {
    results.push({ id: "search_p95_ms_1m", value: null, unit: "ms", goal: "p95 ≤ 30 ms", notes: "not measured: bench/search.mjs (export async function benchSearch(opts)) is not there yet" });
  }

  if (args.has("--profile")) {
    await product.worker.dispose();
    product = null;
    const { profile } = await import("./profile.mjs");
    const prof = await startProduct(scratch.dir, { profile: true });
    try {
      const out = await profile(prof, { plans: { chain: chainPlan, fanout: fanoutPlan }, log });
      writeFileSync(path.join(root, "bench/profile.json"), `${JSON.stringify({ at: new Date().toISOString(), profile: out }, null, 2)}\n`);
    } finally {
      await prof.worker.dispose();
    }
  }
} finally {
  await product?.worker.dispose().catch(() => {});
  await peer?.worker.dispose().catch(() => {});
  scratch.remove();
}

writeResults();
const machine = machineInfo();

const cell = (v) => (v == null ? "—" : typeof v === "boolean" ? (v ? "met" : "MISSED") : String(v));
const rows = results.map((r) => [r.id, cell(r.value), r.unit ?? "", cell(r.peer_value), cell(r.ratio), cell(r.floor_value), r.lost == null ? "" : String(r.lost), r.goal ? cell(r.met) : ""]);
const head = ["id", "value", "unit", "peer", "ratio", "floor", "lost", "goal"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log(`\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.map(line).join("\n")}`);
console.log(`\n${machine.runner}; ${machine.cpus} cores, load ${machine.load_average.join(" ")}; ${machine.duration_s} s. Written to ${path.relative(root, resultsFile)}`);
