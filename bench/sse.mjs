// sse_p99_ms and lost: 500 SSE clients in this process (plain node:http streaming
// readers, one socket each) receive 100 events; latency is receipt time minus the
// time the server stamped the event. Peer: a bare broadcaster object.
import http from "node:http";
import { median, percentile, post, round, sleep } from "./harness.mjs";

const CLIENTS = 500;
const EVENTS = 100;
const PAIR_GAP_MS = 100;
/** Five, not three: the bare side's p99 alone swung 119–491 ms between rounds of one build (twentieth session). */
const ROUNDS = 5;

/** One streaming reader; calls onEvent(type, data, receivedAt) per SSE frame. */
function openClient(url, headers, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: "text/event-stream", ...headers }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        // what refused it (a 429 names the cap it met)
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        return res.on("end", () => reject(new Error(`SSE ${url} → ${res.statusCode}: ${text.slice(0, 300)}`)));
      }
      res.setEncoding("utf8");
      let buf = "";
      let opened = false;
      res.on("data", (chunk) => {
        const at = Date.now();
        buf += chunk;
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let type = "message";
          let data = "";
          for (const line of frame.split("\n")) {
            if (line.startsWith("event:")) type = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (!opened) {
            opened = true;
            resolve(req);
          }
          if (data) onEvent(type, data, at);
        }
      });
      res.on("error", () => {});
    });
    req.on("error", reject);
    req.setTimeout(120_000);
  });
}

async function openAll(url, headers, onEvent) {
  const reqs = [];
  for (let i = 0; i < CLIENTS; i += 50) {
    reqs.push(...(await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, (_, k) => openClient(url, headers, (t, d, at) => onEvent(i + k, t, d, at))))));
  }
  return reqs;
}

/** Waits until every client holds `expected` events or `ms` pass. */
async function drain(seen, expected, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until && seen.some((s) => s.size < expected)) await sleep(50);
}

function tally(seen, latencies) {
  let got = 0;
  for (const s of seen) got += s.size;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), lost: CLIENTS * EVENTS - got };
}

async function bare(productUrl, feed) {
  const seen = Array.from({ length: CLIENTS }, () => new Set());
  const lat = [];
  const reqs = await openAll(`${productUrl}/__bench/sse?feed=${feed}`, {}, (c, type, data, at) => {
    if (type !== "bench") return;
    const e = JSON.parse(data);
    if (seen[c].has(e.seq)) return;
    seen[c].add(e.seq);
    lat.push(at - e.at);
  });
  const t0 = Date.now();
  for (let i = 0; i < EVENTS / 2; i++) {
    await post(`${productUrl}/__bench/publish?feed=${feed}&count=2`);
    await sleep(Math.max(0, t0 + (i + 1) * PAIR_GAP_MS - Date.now()));
  }
  await drain(seen, EVENTS, 15_000);
  for (const r of reqs) r.destroy();
  return tally(seen, lat);
}

/** An organization of its own for a round: its feed has no streams of an earlier round's clients. */
async function freshOrg(productUrl, adminToken, name) {
  const res = await fetch(`${productUrl}/api/v1/orgs`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`create org: ${res.status} ${await res.text()}`);
  return (await res.json()).token.token;
}

/** Each task created makes two stamped org-feed events: in_progress (started_at) and completed (finished_at). */
async function ours(productUrl, token) {
  const seen = Array.from({ length: CLIENTS }, () => new Set());
  const lat = [];
  const byStatus = { in_progress: [], completed: [] };
  const mine = new Set();
  const headers = { authorization: `Bearer ${token}` };
  const reqs = await openAll(`${productUrl}/api/v1/events`, headers, (c, type, data, at) => {
    if (type !== "task.updated") return;
    const t = JSON.parse(data);
    if (!t.title.startsWith("sse bench ")) return;
    const stamp = t.status === "in_progress" ? t.started_at : t.status === "completed" ? t.finished_at : null;
    const key = `${t.id}:${t.status}`;
    if (!stamp || seen[c].has(key)) return;
    seen[c].add(key);
    lat.push(at - Date.parse(stamp));
    byStatus[t.status].push(at - Date.parse(stamp));
  });
  const t0 = Date.now();
  for (let i = 0; i < EVENTS / 2; i++) {
    const res = await fetch(`${productUrl}/api/v1/tasks`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ agent: "writer", title: `sse bench ${i}`, description: "@output ok" }),
    });
    mine.add((await res.json()).id);
    await sleep(Math.max(0, t0 + (i + 1) * PAIR_GAP_MS - Date.now()));
  }
  await drain(seen, EVENTS, 15_000);
  for (const r of reqs) r.destroy();
  // a start goes out at once; an end once the index row is written (so a client that refetches sees it)
  const split = Object.fromEntries(Object.entries(byStatus).map(([k, v]) => [k, { p50: percentile(v, 50), p99: percentile(v, 99) }]));
  return { ...tally(seen, lat), split };
}

/** Rounds alternate which side goes first, so a noisy moment on this shared machine falls on both; medians are reported. */
export async function benchSse({ productUrl, token, log }) {
  const bares = [];
  const ourRounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    // A fresh feed each round on both sides: a client that went away is noticed only at the next write to its stream,
    // so an earlier round's 500 streams would still be written to.
    const orgToken = await freshOrg(productUrl, token, `sse bench ${r + 1}`);
    const sides = [() => bare(productUrl, `round-${r + 1}`).then((x) => bares.push(x)), () => ours(productUrl, orgToken).then((x) => ourRounds.push(x))];
    for (const side of r % 2 ? sides.reverse() : sides) await side();
    const [b, o] = [bares.at(-1), ourRounds.at(-1)];
    log(
      `  sse round ${r + 1}: ours p50 ${o.p50} ms, p99 ${o.p99} ms, lost ${o.lost} (in_progress p50/p99 ${o.split.in_progress.p50}/${o.split.in_progress.p99}, ` +
        `completed ${o.split.completed.p50}/${o.split.completed.p99}); bare p50 ${b.p50} ms, p99 ${b.p99} ms, lost ${b.lost}`,
    );
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const [p99, peerP99] = [m(ourRounds, "p99"), m(bares, "p99")];
  const lost = ourRounds.reduce((n, x) => n + x.lost, 0);
  const peerLost = bares.reduce((n, x) => n + x.lost, 0);
  const list = (xs, k) => xs.map((x) => x[k]).join(", ");
  const pairRatios = ourRounds.map((x, i) => round(x.p99 / Math.max(1, bares[i].p99), 2));
  return {
    id: "sse_p99_ms",
    value: p99,
    unit: "ms",
    lost,
    peer: "bare broadcaster DO in the same Worker (SQLite log + write to every stream, streams as fetched bodies)",
    peer_value: peerP99,
    peer_lost: peerLost,
    ratio: round(p99 / Math.max(1, peerP99), 3),
    goal: "p99 ≤ 1.5 × the bare one's, lost = 0",
    met: lost === 0 && p99 <= 1.5 * Math.max(1, peerP99),
    notes: `${CLIENTS} node:http streaming clients in the bench process, ${EVENTS} events in pairs every ${PAIR_GAP_MS} ms; ${ROUNDS} rounds each side, alternating which goes first; medians. ` +
      `Ours: GET /api/v1/events; each POST /tasks yields task.updated in_progress and completed, latency from the task's started_at / finished_at ` +
      `(so it includes the D1 index write before the feed publish). Bare: latency from the broadcaster's own stamp. ` +
      `p99 per round ours ${list(ourRounds, "p99")} ms, bare ${list(bares, "p99")} ms (each round's ratio ${pairRatios.join(", ")}, median ${median(pairRatios)}); p50 ours ${m(ourRounds, "p50")} ms, bare ${m(bares, "p50")} ms; ours by event, medians of the rounds' p50/p99: ` +
      `in_progress ${median(ourRounds.map((x) => x.split.in_progress.p50))}/${median(ourRounds.map((x) => x.split.in_progress.p99))} ms, ` +
      `completed ${median(ourRounds.map((x) => x.split.completed.p50))}/${median(ourRounds.map((x) => x.split.completed.p99))} ms; lost over all rounds: ours ${lost}, bare ${peerLost}.`,
  };
}
