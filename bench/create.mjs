// create_p99_ms and create_rps: POST /api/v1/tasks under autocannon (50 connections)
// against the peer's bare endpoint (one D1 insert + one Durable Object call).
import autocannon from "autocannon";
import { median, round } from "./harness.mjs";

const CONNECTIONS = 50;

function load(url, headers, body, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, method: "POST", connections: CONNECTIONS, duration, headers, body: JSON.stringify(body), timeout: 30 }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

const summary = (r) => ({ p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, ok: r["2xx"], bad: r.non2xx + r.errors + r.timeouts });

/** Rounds alternate ours and the bare endpoint, so a noisy moment on this shared machine falls on both; medians are reported. */
export async function benchCreate({ productUrl, token, peerUrl, duration = 10, rounds = 3, log }) {
  const body = { agent: "writer", title: "bench create", description: "@output ok" };
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const target = `${productUrl}/api/v1/tasks`;
  const bare = `${peerUrl}/create`;
  await load(target, auth, body, 2);
  await load(bare, { "content-type": "application/json" }, body, 2);
  const ours = [];
  const peers = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(summary(await load(target, auth, body, duration)));
    peers.push(summary(await load(bare, { "content-type": "application/json" }, body, duration)));
    log(`  create round ${r + 1}: ours p99 ${ours.at(-1).p99} ms, ${round(ours.at(-1).rps, 0)} req/s (${ours.at(-1).bad} failed); bare p99 ${peers.at(-1).p99} ms, ${round(peers.at(-1).rps, 0)} req/s (${peers.at(-1).bad} failed)`);
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const [p99, peerP99, rps, peerRps] = [m(ours, "p99"), m(peers, "p99"), m(ours, "rps"), m(peers, "rps")];
  const bad = ours.reduce((n, x) => n + x.bad, 0);
  const peerBad = peers.reduce((n, x) => n + x.bad, 0);
  const list = (xs, k) => xs.map((x) => round(x[k], 0)).join(", ");
  const common = `autocannon, ${CONNECTIONS} connections, ${rounds} rounds of ${duration} s each side, alternating, after a 2 s warm-up; medians; {agent, title, description} on the zero-delay sim (each task also runs to completion in the background)`;
  return [
    {
      id: "create_p99_ms",
      value: p99,
      unit: "ms",
      peer: "bare endpoint: one D1 insert + one Durable Object call (same workerd)",
      peer_value: peerP99,
      ratio: round(p99 / peerP99, 3),
      goal: "p99 ≤ 1.5 × the bare endpoint's",
      met: p99 <= 1.5 * peerP99 && bad === 0,
      notes: `${common}; p99 per round ours ${list(ours, "p99")} ms, bare ${list(peers, "p99")} ms; p50 ${m(ours, "p50")} ms vs bare ${m(peers, "p50")} ms; failed requests: ours ${bad}, bare ${peerBad}.`,
    },
    {
      id: "create_rps",
      value: round(rps, 1),
      unit: "req/s",
      peer: "bare endpoint: one D1 insert + one Durable Object call (same workerd)",
      peer_value: round(peerRps, 1),
      ratio: round(rps / peerRps, 3),
      notes: `${common}; per round ours ${list(ours, "rps")}, bare ${list(peers, "rps")}`,
    },
  ];
}
