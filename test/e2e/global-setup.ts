import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { bundleWorkerSync } from "../../scripts/local-worker.mjs";

/**
 * Bundles the Worker once, as `npm start` does, for every app the browser tests start (FLIGHTDECK_WORKER_BUNDLE):
 * bundling took each of some thirty starts 2–3 s of a core.
 */
export default function ({ provide }: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), "flightdeck-e2e-bundle-"));
  const root = path.resolve(import.meta.dirname, "../..");
  bundleWorkerSync(root, dir);
  provide("workerBundle", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
