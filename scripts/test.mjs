#!/usr/bin/env node
// `npm test`: dependencies if missing, the dashboard build, then every vitest project
// (workers pool unit/integration, browser e2e). Extra arguments go to vitest.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDeps } from "./ensure-deps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
ensureDeps(root);
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: "inherit" });
try {
  run([path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"]);
  run([path.join(root, "node_modules/vitest/vitest.mjs"), "run", ...process.argv.slice(2)]);
} catch (e) {
  process.exit(typeof e.status === "number" ? e.status : 1);
}
