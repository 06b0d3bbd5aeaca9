#!/usr/bin/env node
// Deploys Flightdeck to Cloudflare: D1 database, migrations, secrets, build, deploy, health check.
//   npm run deploy                              the whole thing (needs `npx wrangler login` or CLOUDFLARE_API_TOKEN)
//   npm run deploy -- --dry-run [--outdir DIR]  bundle only, no account: prints the sizes against Workers' limits
// Options: --skip-build, --json (dry run: a JSON summary as the last line).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { recordRenamedSql } from "./migrate.mjs";

const root = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

const MB = 1024 * 1024;
/** Workers' compressed script limits (free / paid) and static-asset limits. */
const LIMITS = { gzipFree: 3 * MB, gzipPaid: 10 * MB, assetFile: 25 * MB, assetFiles: 20_000 };
const SECRET_NAMES = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WEB_SEARCH_URL"];
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function run(cmd, cmdArgs, { capture = false, input } = {}) {
  const res = spawnSync(cmd, cmdArgs, { cwd: root, env, encoding: "utf8", input, stdio: capture ? ["pipe", "pipe", "pipe"] : ["pipe", "inherit", "inherit"] });
  if (res.error) throw res.error;
  return { ok: res.status === 0, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
}
const wrangler = (wArgs, opts) => run(process.execPath, [path.join(root, "node_modules/wrangler/bin/wrangler.js"), ...wArgs], opts);
const must = (res, what) => {
  if (!res.ok) {
    console.error(`✗ ${what} failed${res.stderr ? `:\n${res.stderr}` : ""}`);
    process.exit(1);
  }
  return res;
};
const step = (msg) => console.log(`\n▸ ${msg}`);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

function build() {
  if (flag("skip-build") && existsSync(path.join(root, "web/dist/index.html"))) return;
  step("Building the dashboard (vite build)");
  must(run("npm", ["run", "build", "--silent"]), "vite build");
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** What Cloudflare counts: the Worker's modules, gzip-compressed (source maps are not uploaded), and the assets apart. */
function measure(outdir) {
  const modules = walk(outdir).filter((f) => !f.endsWith(".map") && !f.endsWith(".json"));
  const raw = modules.reduce((n, f) => n + statSync(f).size, 0);
  const gzip = modules.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  const assets = walk(path.join(root, "web/dist"));
  const largestAsset = Math.max(0, ...assets.map((f) => statSync(f).size));
  return { modules: modules.map((f) => path.relative(outdir, f)), raw, gzip, assets: assets.length, largestAsset, limits: LIMITS };
}

function dryRun() {
  build();
  const outdir = path.resolve(option("outdir") ?? mkdtempSync(path.join(tmpdir(), "flightdeck-bundle-")));
  step(`wrangler deploy --dry-run --outdir ${path.relative(root, outdir) || outdir}`);
  must(wrangler(["deploy", "--dry-run", "--outdir", outdir], { capture: flag("json") }), "wrangler deploy --dry-run");
  const m = measure(outdir);
  const fits = { free: m.gzip <= LIMITS.gzipFree, paid: m.gzip <= LIMITS.gzipPaid, assets: m.assets <= LIMITS.assetFiles && m.largestAsset <= LIMITS.assetFile };
  console.log(`\nWorker bundle: ${kb(m.raw)} raw, ${kb(m.gzip)} gzip (limits: 3 MiB free, 10 MiB paid) — ${fits.free ? "fits the free plan" : fits.paid ? "needs the paid plan" : "TOO LARGE"}`);
  console.log(`Static assets: ${m.assets} files, largest ${kb(m.largestAsset)} (limits: ${LIMITS.assetFiles} files, 25 MiB each)`);
  if (flag("json")) console.log(JSON.stringify({ outdir, ...m, fits }));
  if (!fits.paid || !fits.assets) process.exit(1);
}

function tomlDatabase() {
  const toml = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const name = /database_name\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? "flightdeck";
  return { toml, name };
}

function d1Id(name) {
  if (process.env.FLIGHTDECK_D1_ID) return process.env.FLIGHTDECK_D1_ID;
  const find = () => {
    const res = wrangler(["d1", "list", "--json"], { capture: true });
    if (!res.ok) return null;
    const list = JSON.parse(res.stdout.slice(res.stdout.indexOf("[")));
    return list.find((d) => d.name === name)?.uuid ?? null;
  };
  const found = find();
  if (found) return found;
  step(`Creating the D1 database "${name}"`);
  must(wrangler(["d1", "create", name], { capture: true }), "wrangler d1 create");
  return find() ?? (console.error("✗ the new D1 database did not show up in `wrangler d1 list`"), process.exit(1));
}

/** The names of the Worker's secrets, or null when they cannot be listed (say, its first deployment). */
function existingSecrets(config) {
  const list = wrangler(["secret", "list", "--format", "json", "-c", config], { capture: true });
  return list.ok ? JSON.parse(list.stdout.slice(list.stdout.indexOf("["))).map((s) => s.name) : null;
}

/** Secrets go up with the deployment; an admin token and a SECRETS_KEY are generated only if the Worker has none yet. */
function secrets(config) {
  const out = {};
  for (const k of SECRET_NAMES) if (process.env[k]) out[k] = process.env[k];
  let generated = null;
  const existing = process.env.FLIGHTDECK_ADMIN_TOKEN && process.env.SECRETS_KEY ? [] : existingSecrets(config);
  if (process.env.FLIGHTDECK_ADMIN_TOKEN) out.FLIGHTDECK_ADMIN_TOKEN = process.env.FLIGHTDECK_ADMIN_TOKEN;
  else if (!existing?.includes("FLIGHTDECK_ADMIN_TOKEN")) out.FLIGHTDECK_ADMIN_TOKEN = generated = `fd_${randomBytes(30).toString("base64url")}`;
  // the key MCP servers' credentials are sealed with: made once and never replaced, since another could not open them;
  // when the list cannot be read, a Worker that has one would lose it, so only a Worker that lists none gets one
  if (process.env.SECRETS_KEY) out.SECRETS_KEY = process.env.SECRETS_KEY;
  else if (existing && !existing.includes("SECRETS_KEY")) out.SECRETS_KEY = randomBytes(32).toString("base64url");
  else if (!existing) console.warn("  could not list the Worker's secrets: SECRETS_KEY left as it is (set it with `npx wrangler secret put SECRETS_KEY` if it has none)");
  return { values: out, generated };
}

async function deploy() {
  step("Checking the Cloudflare login");
  must(wrangler(["whoami"], { capture: true }), "wrangler whoami (run `npx wrangler login` or set CLOUDFLARE_API_TOKEN)");
  const { toml, name } = tomlDatabase();
  const id = d1Id(name);
  console.log(`  D1 "${name}": ${id}`);
  // A copy of wrangler.toml with the real database id, next to it so relative paths hold; local dev keeps its own id.
  const config = path.join(root, "wrangler.deploy.toml");
  const tmp = mkdtempSync(path.join(tmpdir(), "flightdeck-deploy-"));
  const secretsFile = path.join(tmp, "secrets.json");
  writeFileSync(config, toml.replace(/database_id\s*=\s*"[^"]*"/, `database_id = "${id}"`));
  try {
    step("Applying D1 migrations (remote)");
    // a database an earlier version migrated may know a renumbered migration by its former name (scripts/migrate.mjs)
    must(wrangler(["d1", "execute", "DB", "--remote", "-c", config, "--command", recordRenamedSql()], { capture: true }), "wrangler d1 execute (renamed migrations)");
    must(wrangler(["d1", "migrations", "apply", "DB", "--remote", "-c", config], { input: "y\n" }), "wrangler d1 migrations apply");
    const { values, generated } = secrets(config);
    writeFileSync(secretsFile, JSON.stringify(values), { mode: 0o600 });
    build();
    step(`Deploying (secrets: ${Object.keys(values).join(", ") || "none new"})`);
    const res = must(wrangler(["deploy", "-c", config, "--secrets-file", secretsFile], { capture: true }), "wrangler deploy");
    process.stdout.write(res.stdout);
    const url = /https:\/\/[\w.-]+\.workers\.dev/.exec(res.stdout)?.[0] ?? process.env.FLIGHTDECK_URL;
    if (generated) console.log(`\nGenerated the admin token (shown this once; keep it):\n\n  ${generated}\n`);
    if (url) {
      step(`Health: ${url}/api/v1/health`);
      const health = await fetch(`${url}/api/v1/health`).then((r) => r.json()).catch((e) => ({ ok: false, error: String(e) }));
      console.log(`  ${JSON.stringify(health)}`);
      console.log(`\nDashboard: ${url}   API reference: ${url}/api/v1/reference`);
    }
  } finally {
    rmSync(config, { force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (flag("dry-run")) dryRun();
else await deploy();
