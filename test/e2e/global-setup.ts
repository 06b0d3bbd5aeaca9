import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Bundles the Worker once, as `npm start` does, for every app the browser tests start (FLIGHTDECK_WORKER_BUNDLE):
 * bundling took each of some thirty starts 2–3 s of a core.
 */
export default function ({ provide }: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), "flightdeck-e2e-bundle-"));
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(process.execPath, [path.join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  provide("workerBundle", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
