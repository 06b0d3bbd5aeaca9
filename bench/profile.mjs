// `node bench/run.mjs --profile`: where the time goes. Runs the product with counting
// wrappers (bench/profile/) and reports, per unit of work, D1 reads and writes,
// Durable Object SQLite statements and transactions, outgoing RPCs and workerd CPU time.
import { client, cpuSeconds, post, round } from "./harness.mjs";

async function measure(p, label, units, work) {
  await post(`${p.url}/__profile`);
  const cpu0 = cpuSeconds(p.pids);
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  // let coalesced index writes land before reading the counters
  await new Promise((r) => setTimeout(r, 600));
  const cpu = cpuSeconds(p.pids) - cpu0;
  const counts = await fetch(`${p.url}/__profile`).then((r) => r.json());
  const per = Object.fromEntries(Object.entries(counts).sort().map(([k, v]) => [k, round(v / units, 2)]));
  return { label, units, wall_ms: round(wall, 0), workerd_cpu_ms_per_unit: round((cpu * 1000) / units, 3), per_unit: per };
}

export async function profile(p, { plans, log }) {
  const api = client(p.url, p.token);
  const out = [];
  const chain = await api("POST", "/plans", plans.chain(200));
  await api("GET", `/tasks/${(await api("POST", `/plans/${chain.id}/run`, { inputs: {} })).id}?wait=60`);
  out.push(await measure(p, "200-step chain, per step", 200, async () => {
    const t = await api("POST", `/plans/${chain.id}/run`, { inputs: {} });
    await api("GET", `/tasks/${t.id}?wait=60`);
  }));
  const fan = await api("POST", "/plans", plans.fanout(1000));
  out.push(await measure(p, "1,000-item loop, per item", 1000, async () => {
    const t = await api("POST", `/plans/${fan.id}/run`, { inputs: {} });
    await api("GET", `/tasks/${t.id}?wait=60`);
  }));
  out.push(await measure(p, "POST /tasks, per request (sequential)", 50, async () => {
    for (let i = 0; i < 50; i++) await api("POST", "/tasks", { agent: "writer", title: `profile ${i}`, description: "@output ok" });
  }));
  for (const r of out) log(JSON.stringify(r));
  return out;
}
