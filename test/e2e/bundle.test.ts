import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const outdir = mkdtempSync(path.join(tmpdir(), "flightdeck-bundle-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

interface Summary {
  raw: number;
  gzip: number;
  modules: string[];
  assets: number;
  largestAsset: number;
  fits: { free: boolean; paid: boolean; assets: boolean };
}

describe("wrangler deploy --dry-run", () => {
  it("bundles the Worker within Workers' size limits (3 MiB gzip on the free plan)", () => {
    const args = ["scripts/deploy.mjs", "--dry-run", "--json", "--outdir", outdir];
    if (existsSync(path.join(root, "web/dist/index.html"))) args.push("--skip-build");
    const out = execFileSync(process.execPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } });
    const summary = JSON.parse(out.trim().split("\n").at(-1)!) as Summary;
    console.log(`Worker bundle: ${(summary.raw / 1024).toFixed(1)} KiB raw, ${(summary.gzip / 1024).toFixed(1)} KiB gzip; ${summary.assets} assets`);
    expect(summary.modules).toContain("index.js");
    expect(summary.gzip).toBeGreaterThan(10_000);
    expect(summary.fits).toEqual({ free: true, paid: true, assets: true });
  }, 180_000);
});
