// The Worker as wrangler deploys it (its bundle, its bindings from wrangler.toml) on Miniflare, in local workerd:
// what `npm start` serves, and what the search benchmark times.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

/** wrangler's reading of the project's wrangler.toml, and the Miniflare options it makes of it. */
export function localConfig(wranglerApi, root) {
  const config = wranglerApi.unstable_readConfig({ config: path.join(root, "wrangler.toml") });
  const { workerOptions } = wranglerApi.unstable_getMiniflareWorkerOptions(config);
  const { Miniflare } = createRequire(import.meta.resolve("wrangler"))("miniflare");
  return { config, workerOptions, Miniflare };
}

/** wrangler keeps local state in <persist-to>/v3; Miniflare finds the same D1 and Durable Object files under that root. */
export const persistRootOf = (stateDir) => path.join(stateDir, "v3");

/**
 * A Miniflare serving the bundle in `workerDir` with `bindings` added to wrangler.toml's, over the state in
 * `persistRoot`, on a free port of 127.0.0.1. Not yet ready: await its `ready` for the URL. `inspectorPort` opens
 * workerd's devtools inspector there (bench/cpu-profile.mjs); `npm start` leaves it off.
 */
export function localWorker({ Miniflare, config, workerOptions, workerDir, persistRoot, bindings = {}, handleStructuredLogs, inspectorPort }) {
  return new Miniflare({
    host: "127.0.0.1",
    port: 0,
    defaultPersistRoot: persistRoot,
    logRequests: false,
    handleStructuredLogs,
    ...(inspectorPort === undefined ? {} : { inspectorPort }),
    workers: [
      {
        ...workerOptions,
        name: config.name,
        modules: true,
        scriptPath: path.join(workerDir, "index.js"),
        modulesRoot: workerDir,
        bindings: { ...workerOptions.bindings, ...bindings },
        ...(inspectorPort === undefined ? {} : { unsafeInspectorProxy: true }),
      },
    ],
  });
}

/** Bundles the Worker as `wrangler deploy` would, into `outDir` (its index.js), without deploying. */
export function bundleWorkerSync(root, outDir) {
  execFileSync(process.execPath, [path.join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outDir], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env, CI: "true" },
  });
}
