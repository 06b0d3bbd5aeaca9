// create_p99_ms and create_rps: POST /api/v1/tasks under autocannon (50 connections)
// against a bare endpoint in the same Worker (one D1 insert + one Durable Object call:
// bench/peer/in-app.ts). The same bare create in the separate peer Worker is reported too.
import autocannon from "autocannon";
import { median, percentile, quiet, round, sleep } from "./harness.mjs";

const CONNECTIONS = 50;
/** workerd evicts an idle object about 10 s after its last call; evicting costs the process CPU and disk. */
const EVICTION_MS = 12_000;

/**
 * One autocannon round of POSTs; resolves with autocannon's result and `sent`: each response's
 * send time (ms after the round began) and latency, so a round's first second can be told apart.
 */
export function load(url, headers, body, duration) {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const sent = [];
    const run = autocannon({ url, method: "POST", connections: CONNECTIONS, duration, headers, body: JSON.stringify(body), timeout: 30 }, (err, res) =>
      err ? reject(err) : resolve({ ...res, sent }),
    );
    run.on("response", (_client, _status, _bytes, latency) => sent.push([Date.now() - began - latency, latency]));
  });
}

/**
 * The tasks a round created run on after it; the next side starts only once they have
 * all finished, so it does not pay for them. Returns how long that took (ms).
 */
async function settle(productUrl, auth) {
  const t0 = performance.now();
  const busy = async (status) => {
    const page = await fetch(`${productUrl}/api/v1/tasks?status=${status}&limit=1`, { headers: auth }).then((r) => r.json());
    return page.items.length > 0;
  };
  while (performance.now() - t0 < 60_000 && ((await busy("pending")) || (await busy("in_progress")))) await sleep(100);
  return performance.now() - t0;
}

/**
 * Waits until the objects the last round made have been evicted and the product is quiet again, so
 * their eviction lands in no side's round. Both sides wait the same way: before, our round was
 * followed at once by the bare endpoint's, which paid for evicting our objects (about 1 ms of the
 * thread each, twice a bare object's), while the bare endpoint's objects were evicted during the
 * round of the bare create in its own Worker, when the product was idle (bench/HISTORY.md, twelfth
 * session). Returns how long it waited (ms).
 */
async function evicted(pids) {
  const t0 = performance.now();
  await sleep(EVICTION_MS);
  await quiet(pids);
  return performance.now() - t0;
}

/** What failed, so a failure can be told apart: statuses other than 2xx, socket errors, requests past the 30 s timeout. */
function failures(r) {
  const kinds = Object.entries(r.statusCodeStats ?? {}).filter(([code]) => !code.startsWith("2")).map(([code, s]) => `${s.count} × ${code}`);
  if (r.errors - r.timeouts > 0) kinds.push(`${r.errors - r.timeouts} socket errors`);
  if (r.timeouts) kinds.push(`${r.timeouts} timeouts`);
  return kinds;
}

/**
 * Each round opens with all its connections sending at once, onto organization objects workerd evicted
 * while the product was idle: the slowest request sent in the first second, and the p99 of the rest,
 * say how much of a round's p99 that opening decides (bench/HISTORY.md, eleventh session).
 */
function opening(sent) {
  const first = sent.filter(([at]) => at < 1000).map(([, latency]) => latency);
  const rest = sent.filter(([at]) => at >= 1000).map(([, latency]) => latency);
  return { firstSecondMax: first.length ? Math.max(...first) : NaN, restP99: percentile(rest, 99) };
}

const summary = (r) => ({ p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, ok: r["2xx"], bad: r.non2xx + r.errors, failures: failures(r), ...opening(r.sent) });

/** Rounds alternate ours and the bare endpoint, so a noisy moment on this shared machine falls on both; medians are reported. */
/** Five rounds a side, not three: this machine's speed swings within a run, and a median of three such rounds decided nothing (bench/README.md, twentieth session). */
const ROUNDS = 5;
/** The bare create in its own Worker is a reference only (notes): its first rounds are enough, and the run keeps within its 10 minutes. */
const APART_ROUNDS = 3;

export async function benchCreate({ productUrl, token, peerUrl, pids, duration = 10, rounds = ROUNDS, log }) {
  const body = { agent: "writer", title: "bench create", description: "@output ok" };
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const target = `${productUrl}/api/v1/tasks`;
  const bare = `${productUrl}/__bench/create`;
  const apart = `${peerUrl}/create`;
  const plain = { "content-type": "application/json" };
  await load(target, auth, body, 2);
  await settle(productUrl, auth);
  await load(bare, plain, body, 2);
  await load(apart, plain, body, 2);
  const ours = [];
  const peers = [];
  const aparts = [];
  const drains = [];
  const idles = [];
  for (let r = 0; r < rounds; r++) {
    idles.push(await evicted(pids));
    ours.push(summary(await load(target, auth, body, duration)));
    drains.push(await settle(productUrl, auth));
    idles.push(await evicted(pids));
    peers.push(summary(await load(bare, plain, body, duration)));
    if (r < APART_ROUNDS) aparts.push(summary(await load(apart, plain, body, duration)));
    const line = (x) =>
      `p99 ${x.p99} ms (first second's slowest ${round(x.firstSecondMax, 0)}, the rest's p99 ${round(x.restP99, 0)}), ${round(x.rps, 0)} req/s (${x.bad} failed${x.failures.length ? `: ${x.failures.join(", ")}` : ""})`;
    log(`  create round ${r + 1}: ours ${line(ours.at(-1))}; bare ${line(peers.at(-1))}${r < APART_ROUNDS ? `; bare in its own Worker ${line(aparts.at(-1))}` : ""}`);
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const [p99, peerP99, rps, peerRps] = [m(ours, "p99"), m(peers, "p99"), m(ours, "rps"), m(peers, "rps")];
  const bad = ours.reduce((n, x) => n + x.bad, 0);
  const peerBad = peers.reduce((n, x) => n + x.bad, 0);
  const list = (xs, k) => xs.map((x) => round(x[k], 0)).join(", ");
  // each of our rounds against the bare round right after it: what the machine's drift within a run does to one pair
  const pairRatios = ours.map((x, i) => round(x.p99 / peers[i].p99, 2));
  const common = `autocannon, ${CONNECTIONS} connections, ${rounds} rounds of ${duration} s each side, alternating, after a 2 s warm-up, each round on a product that has evicted the objects made before it; medians; {agent, title, description} on the zero-delay sim (each task also runs to completion in the background); the peer is a bare endpoint in the same Worker (same isolate, asset router and D1)`;
  return [
    {
      id: "create_p99_ms",
      value: p99,
      unit: "ms",
      peer: "bare endpoint in the same Worker: one D1 insert + one Durable Object call",
      peer_value: peerP99,
      ratio: round(p99 / peerP99, 3),
      goal: "p99 ≤ 1.5 × the bare endpoint's",
      met: p99 <= 1.5 * peerP99 && bad === 0,
      notes: `${common}; p99 per round ours ${list(ours, "p99")} ms, bare ${list(peers, "p99")} ms (each round's ratio ${pairRatios.join(", ")}, median ${median(pairRatios)}); the slowest request sent in each round's first second ours ${list(ours, "firstSecondMax")} ms, bare ${list(peers, "firstSecondMax")} ms, and the p99 of the rest of each round ours ${list(ours, "restP99")} ms, bare ${list(peers, "restP99")} ms (medians ${round(m(ours, "restP99"), 0)} and ${round(m(peers, "restP99"), 0)} ms: ${round(m(ours, "restP99") / m(peers, "restP99"), 3)} × without the rounds' openings, which can decide a round's p99); p50 ${m(ours, "p50")} ms vs bare ${m(peers, "p50")} ms; failed requests: ours ${bad}${bad ? ` (${ours.flatMap((x) => x.failures).join("; ")})` : ""}, bare ${peerBad}. The same bare create in its own Worker (no asset router, a smaller isolate; the first ${APART_ROUNDS} rounds): p99 ${m(aparts, "p99")} ms, ${round(m(aparts, "rps"), 1)} req/s. After each of our rounds the bare round waited for every task to finish: ${drains.map((d) => round(d / 1000, 1)).join(", ")} s. Before each round of either side, the objects made before it were left to be evicted and the product to go quiet: ${idles.map((d) => round(d / 1000, 1)).join(", ")} s.`,
    },
    {
      id: "create_rps",
      value: round(rps, 1),
      unit: "req/s",
      peer: "bare endpoint in the same Worker: one D1 insert + one Durable Object call",
      peer_value: round(peerRps, 1),
      ratio: round(rps / peerRps, 3),
      notes: `${common}; per round ours ${list(ours, "rps")}, bare ${list(peers, "rps")}`,
    },
  ];
}
