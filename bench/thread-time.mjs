// Where the product's workerd thread spends a create, ours against the bare endpoint: on CPU,
// blocked on the disk (SQLite's fsyncs run on that thread) or waiting for a core. Alternating
// rounds of autocannon (50 connections) in one process; per thread, from /proc's schedstat and
// stat (blkio needs `sysctl kernel.task_delayacct=1`). The thread's time per create is what
// caps the create rate, and under a closed loop the latency follows the rate.
// Not part of `npm run bench`. usage: node bench/thread-time.mjs [rounds = 2] [seconds = 10]
import { readdirSync, readFileSync } from "node:fs";
import { load } from "./create.mjs";
import { round, scratchDir, sleep, startProduct, statFields } from "./harness.mjs";

const rounds = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 10);
const body = { agent: "writer", title: "bench create", description: "@output ok" };

/** Seconds on CPU, waiting for a core, and blocked on the disk, per thread of the given processes. */
function threadTimes(pids) {
  const out = new Map();
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [onCpu, runQueue] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(" ").map(Number);
        const disk = Number(statFields(`/proc/${pid}/task/${tid}/stat`)[39]) / 100;
        out.set(`${pid}/${tid}`, { cpu: onCpu / 1e9, runQueue: runQueue / 1e9, disk });
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

const { dir, remove } = scratchDir();
const product = await startProduct(dir);
const sides = [
  ["ours", `${product.url}/api/v1/tasks`, { authorization: `Bearer ${product.token}`, "content-type": "application/json" }],
  ["bare", `${product.url}/__bench/create`, { "content-type": "application/json" }],
];
try {
  for (const [, url, headers] of sides) await load(url, headers, body, 2);
  await sleep(3000);
  for (let r = 0; r < rounds; r++) {
    for (const [name, url, headers] of sides) {
      const before = threadTimes(product.pids);
      const res = await load(url, headers, body, seconds);
      const after = threadTimes(product.pids);
      const n = res.requests.total;
      // the busiest thread is the one that runs every isolate, object and SQLite call
      const [, main] = [...after].map(([k, a]) => {
        const b = before.get(k) ?? { cpu: 0, runQueue: 0, disk: 0 };
        return [k, { cpu: a.cpu - b.cpu, runQueue: a.runQueue - b.runQueue, disk: a.disk - b.disk }];
      }).sort((x, y) => y[1].cpu - x[1].cpu)[0];
      const ms = (s) => round((s * 1000) / n, 2);
      const share = (s) => `${Math.round((100 * s) / seconds)}%`;
      console.log(
        `${name}: ${round(res.requests.average, 0)} req/s, p50 ${res.latency.p50} p99 ${res.latency.p99} ms; main thread per create: ` +
          `${ms(main.cpu)} ms on CPU (${share(main.cpu)} of the round), ${ms(main.disk)} ms on the disk (${share(main.disk)}), ${ms(main.runQueue)} ms waiting for a core (${share(main.runQueue)})` +
          // the kernel counts a disk wait when it ends, so a long one that began before the round lands in it whole
          (main.cpu + main.disk + main.runQueue > 1.05 * seconds ? "; more than the round: a long disk wait began before it" : ""),
      );
      await sleep(3000);
    }
  }
} finally {
  await product.worker.dispose();
  remove();
}
