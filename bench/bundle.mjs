// bundle_gz_kb: the dashboard's initial JS, gzipped — the entry script(s) and the
// modulepreloads that web/dist/index.html references, built fresh by vite.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { root, round } from "./harness.mjs";

export function benchBundle({ outDir }) {
  execFileSync(process.execPath, [path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "error", "--outDir", outDir, "--emptyOutDir"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const html = readFileSync(path.join(outDir, "index.html"), "utf8");
  const refs = new Set();
  for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) refs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) refs.add(m[1]);
  const files = [...refs].map((ref) => {
    const body = readFileSync(path.join(outDir, ref.replace(/^\//, "")));
    return { ref, raw: body.length, gz: gzipSync(body, { level: 9 }).length };
  });
  const gz = files.reduce((s, f) => s + f.gz, 0) / 1024;
  return {
    id: "bundle_gz_kb",
    value: round(gz, 1),
    unit: "KiB gzip",
    goal: "≤ 80",
    met: gz <= 80,
    notes: `vite build (into a scratch dir, so web/dist is left alone); entry script + modulepreloads of index.html, gzip -9: ` +
      files.map((f) => `${path.basename(f.ref)} ${round(f.raw / 1024, 1)} KiB → ${round(f.gz / 1024, 1)} KiB`).join(", "),
  };
}
