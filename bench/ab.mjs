// Compares the CPU per create of two builds of the product (two checkouts), run side by side.
// Both take their bursts at the same time, so both see the same contention; each cycle is a
// burst of N creates per build (five at a time), then 12 s so each process's evictions are
// counted in its own cycle; the CPU is each workerd process's own, from /proc. An A/A run
// gives per-cycle ratios within ±2%. Not part of `npm run bench`.
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
  return { h, p, remove, cpu, last: 0 };
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
A.last = A.cpu();
B.last = B.cpu();
const ratios = [];
for (let k = 0; k < cycles; k++) {
  await Promise.all([burst(A, N), burst(B, N)]);
  await A.h.sleep(12_000);
  const [a, b] = [A, B].map((s) => {
    const now = s.cpu();
    const ms = ((now - s.last) * 1000) / N;
    s.last = now;
    return ms;
  });
  ratios.push(b / a);
  console.log(`cycle ${k + 1}: A ${a.toFixed(2)} ms, B ${b.toFixed(2)} ms of workerd CPU per create; B/A ${(b / a).toFixed(3)}`);
}
console.log(`B/A median ${A.h.median(ratios).toFixed(3)} (cycles ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`);
for (const s of [A, B]) {
  await s.p.worker.dispose();
  s.remove();
}
