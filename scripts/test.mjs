#!/usr/bin/env node
// `npm test`: dependencies if missing, the dashboard build, then every vitest project
// (workers pool unit/integration, browser e2e). Extra arguments go to one vitest run as they are.
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ensureDeps } from "./ensure-deps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
ensureDeps(root);
const vitest = path.join(root, "node_modules/vitest/vitest.mjs");
try {
  execFileSync(process.execPath, [path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
} catch (e) {
  process.exit(typeof e.status === "number" ? e.status : 1);
}

const args = process.argv.slice(2);
if (args.length) process.exit(await lane(null, ["run", ...args]));

// The whole suite in two lanes side by side: the workerd files (unit, then integration, two runtimes at a time, each
// shared by its files), then the app's files without a browser and two browser files, one at a time, beside the other
// browser files one at a time. In one vitest run a project without file parallelism runs after every other project's
// files, so the browser files ran alone at the end with one core idle (13.7 min in clean-clone CI; two lanes: see
// README). The soak runs last, alone: its 50 connections keep the machine busy.
const codes = await Promise.all([lane("workers", ["run", "--project", "unit", "--project", "workers", "--project", "e2e-node", "--project", "e2e-late", "--maxWorkers", "2"]), lane("e2e", ["run", "--project", "e2e"])]);
codes.push(await lane("soak", ["run", "--project", "e2e-soak"]));
process.exit(codes.find((c) => c !== 0) ?? 0);

/** Runs vitest, its lines prefixed with the lane's name (none: passed through as they are); resolves to its exit code. */
function lane(name, vitestArgs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, ...vitestArgs], { cwd: root, stdio: name ? ["ignore", "pipe", "pipe"] : "inherit" });
    if (name) {
      for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
        createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => to.write(`[${name}] ${line}\n`));
      }
    }
    const stop = (signal) => child.kill(signal);
    process.on("SIGINT", stop).on("SIGTERM", stop);
    child.on("close", (code, signal) => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
