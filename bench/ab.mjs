// Compares the CPU per create of two builds of the product (two checkouts), run side by side.
// Both take their bursts at the same time, so both see the same contention; each cycle is a
// burst of N creates per build (five at a time), then 12 s so each process's evictions are
// counted in its own cycle; the CPU is each workerd process's own, from /proc. An A/A run
// gives per-cycle ratios within ±2%. With `kernel.task_delayacct=1` it also counts the time each
// workerd process spent blocked on disk (SQLite commits run on its event-loop thread). Not part of
// `npm run bench`.
// usage: node bench/ab.mjs <checkout A> <checkout B> [cycles = 6] [N = 200]
import path from "node:path";

const [rootA, rootB] = process.argv.slice(2, 4).map((p) => path.resolve(p ?? ""));
if (!process.argv[3]) {
  console.error("usage: node bench/ab.mjs <checkout A> <checkout B> [cycles] [creates per cycle]");
  process.exit(2);
}
const cycles = Number(process.argv[4] ?? 6);
const N = Number(process.argv[5] ?? 200);
const body = JSON.stringify({ agent: "writer", title: "bench create", description: "@output ok" });

async function side(root) {
  const h = await import(path.join(root, "bench/harness.mjs"));
  const { dir, remove } = h.scratchDir();
  const p = await h.startProduct(dir);
  const cpu = () => h.cpuSeconds(p.pids);
  const io = () => h.ioWaitSeconds?.(p.pids) ?? null;
  return { h, p, remove, cpu, io, last: 0, lastIo: 0 };
}

async function burst(s, n) {
  let i = 0;
  const headers = { authorization: `Bearer ${s.p.token}`, "content-type": "application/json" };
  const worker = async () => {
    while (i++ < n) {
      const r = await fetch(`${s.p.url}/api/v1/tasks`, { method: "POST", headers, body });
      await r.text();
      if (!r.ok) throw new Error(`create: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 5 }, worker));
}

const A = await side(rootA);
const B = await side(rootB);
await Promise.all([burst(A, 100), burst(B, 100)]);
await A.h.sleep(12_000);
for (const s of [A, B]) [s.last, s.lastIo] = [s.cpu(), s.io()];
const ratios = [];
const busyRatios = [];
for (let k = 0; k < cycles; k++) {
  await Promise.all([burst(A, N), burst(B, N)]);
  await A.h.sleep(12_000);
  const [[a, aIo], [b, bIo]] = [A, B].map((s) => {
    const [now, io] = [s.cpu(), s.io()];
    const ms = ((now - s.last) * 1000) / N;
    const ioMs = io === null ? null : ((io - s.lastIo) * 1000) / N;
    [s.last, s.lastIo] = [now, io];
    return [ms, ioMs];
  });
  ratios.push(b / a);
  let busy = "";
  if (aIo !== null && bIo !== null) {
    busyRatios.push((b + bIo) / (a + aIo));
    busy = `; CPU + disk wait A ${(a + aIo).toFixed(2)}, B ${(b + bIo).toFixed(2)} ms, B/A ${((b + bIo) / (a + aIo)).toFixed(3)}`;
  }
  console.log(`cycle ${k + 1}: A ${a.toFixed(2)} ms, B ${b.toFixed(2)} ms of workerd CPU per create; B/A ${(b / a).toFixed(3)}${busy}`);
}
const spread = (xs) => `${A.h.median(xs).toFixed(3)} (cycles ${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})`;
console.log(`B/A median: CPU ${spread(ratios)}${busyRatios.length ? `; CPU + disk wait ${spread(busyRatios)}` : " (disk wait not accounted: sysctl kernel.task_delayacct=1)"}`);
for (const s of [A, B]) {
  await s.p.worker.dispose();
  s.remove();
}
