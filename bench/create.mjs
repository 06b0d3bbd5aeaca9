// create_p99_ms and create_rps: POST /api/v1/tasks under autocannon (50 connections)
// against the peer's bare endpoint (one D1 insert + one Durable Object call).
import autocannon from "autocannon";
import { round } from "./harness.mjs";

const CONNECTIONS = 50;

function load(url, headers, body, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, method: "POST", connections: CONNECTIONS, duration, headers, body: JSON.stringify(body), timeout: 30 }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

const summary = (r) => ({ p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, ok: r["2xx"], bad: r.non2xx + r.errors + r.timeouts });

export async function benchCreate({ productUrl, token, peerUrl, duration = 10, log }) {
  const body = { agent: "writer", title: "bench create", description: "@output ok" };
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const target = `${productUrl}/api/v1/tasks`;
  const bare = `${peerUrl}/create`;
  await load(target, auth, body, 2);
  await load(bare, { "content-type": "application/json" }, body, 2);
  const ours = summary(await load(target, auth, body, duration));
  log(`  create: ours p99 ${ours.p99} ms, ${round(ours.rps, 0)} req/s (${ours.ok} ok, ${ours.bad} failed)`);
  const peer = summary(await load(bare, { "content-type": "application/json" }, body, duration));
  log(`  create: bare p99 ${peer.p99} ms, ${round(peer.rps, 0)} req/s (${peer.ok} ok, ${peer.bad} failed)`);
  const common = `autocannon, ${CONNECTIONS} connections, ${duration} s after a 2 s warm-up; {agent, title, description} on the zero-delay sim (each task also runs to completion in the background)`;
  return [
    {
      id: "create_p99_ms",
      value: ours.p99,
      unit: "ms",
      peer: "bare endpoint: one D1 insert + one Durable Object call (same workerd)",
      peer_value: peer.p99,
      ratio: round(ours.p99 / peer.p99, 3),
      goal: "p99 ≤ 1.5 × the bare endpoint's",
      met: ours.p99 <= 1.5 * peer.p99 && ours.bad === 0,
      notes: `${common}; p50 ${ours.p50} ms vs bare ${peer.p50} ms; failed requests: ours ${ours.bad}, bare ${peer.bad}.`,
    },
    {
      id: "create_rps",
      value: round(ours.rps, 1),
      unit: "req/s",
      peer: "bare endpoint: one D1 insert + one Durable Object call (same workerd)",
      peer_value: round(peer.rps, 1),
      ratio: round(ours.rps / peer.rps, 3),
      notes: common,
    },
  ];
}
