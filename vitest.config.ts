import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import path from "node:path";

const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));

/** End-to-end files that start the app but no browser. */
const E2E_WITHOUT_BROWSER = ["bundle", "forward", "migrate", "providers", "restart", "start-edges"].map((f) => `test/e2e/${f}.test.ts`);
/**
 * Browser files `npm test` runs in the workerd lane, after its files, so the two lanes end together. Each then runs
 * beside another browser file: these two wait for nothing against a clock (a seeded scale, screenshots and axe).
 */
const E2E_IN_WORKERD_LANE = ["scale", "screens"].map((f) => `test/e2e/${f}.test.ts`);

/**
 * Files that start the app (and maybe a browser), in Node, one at a time: one app and one Chromium at a time beside a
 * workerd file, as two of each on 2 cores made a page's waits (the live badge, a delivery count) run past their timeouts.
 */
const APP_FILES = {
  sequence: { groupOrder: 0 },
  fileParallelism: false,
  environment: "node",
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // one Worker bundle for every app these files start
  globalSetup: "./test/e2e/global-setup.ts",
} as const;
/** Browser files: a poll waits for the page or the app, which take longer with another test file running beside them. */
const BROWSER_FILES = { ...APP_FILES, expect: { poll: { timeout: 10_000 } } } as const;

/** A project run inside workerd through the workers pool, with the app's bindings and its D1 migrated. */
function workersProject(test: { name: string; include: string[]; isolate?: boolean }) {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // a small stream limit: the tests that fill it open that many streams
          bindings: { TEST_MIGRATIONS: migrations, FLIGHTDECK_ADMIN_TOKEN: "fd_test_admin_token", SECRETS_KEY: "test-secrets-key", HTTP_FETCH_ALLOW_PRIVATE: "true", MAX_STREAMS_PER_ORG: "50" },
        },
      }),
    ],
    test: {
      ...test,
      sequence: { groupOrder: 0 },
      setupFiles: ["./test/apply-migrations.ts"],
      globalSetup: ["./test/global-setup.ts"],
      testTimeout: 20_000,
    },
  };
}

export default defineConfig({
  test: {
    // Two files at a time: most of a file's time is waiting (a runtime or an app starting, a poll, a browser), so
    // on this 2-core machine two halve the wall time. A browser file never runs beside another of the same run
    // (fileParallelism below), and vitest runs such a project after all the others: `npm test` (scripts/test.mjs)
    // runs the whole suite as two vitest runs side by side instead, the workerd files (then the E2E_IN_WORKERD_LANE
    // ones) beside the browser files.
    maxWorkers: 2,
    // The Worker's info-level JSON access and task-event lines are dropped from the output; warnings and errors still show.
    onConsoleLog: (line) => (line.startsWith('{"level":"info"') ? false : undefined),
    projects: [
      // Each project's files share one runtime: a fresh workerd per file cost 3-5 s each, most of it loading the
      // Worker's modules again (38 unit files: 192 s, against 15 s shared; 54 integration files: 216 s of setup,
      // against 10). So an integration file never assumes an empty D1: each works in organizations, names and ids
      // of its own, and asks about what it made.
      workersProject({ name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false }),
      workersProject({ name: "workers", include: ["test/integration/**/*.test.ts"], isolate: false }),
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: ["test/e2e/soak.test.ts", ...E2E_WITHOUT_BROWSER, ...E2E_IN_WORKERD_LANE],
          ...BROWSER_FILES,
        },
      },
      {
        // The app's own files without a browser, one at a time: `npm test` runs them in the workerd lane, after its
        // files, so the browser lane (the longer) is shorter by their minute and a half.
        test: {
          name: "e2e-node",
          include: E2E_WITHOUT_BROWSER,
          ...APP_FILES,
        },
      },
      {
        test: {
          name: "e2e-late",
          include: E2E_IN_WORKERD_LANE,
          ...BROWSER_FILES,
        },
      },
      {
        // The soak runs alone, after the rest: its 50 connections keep the machine busy, and what it asserts
        // (every task completed and indexed within its wait) should not depend on another file's load.
        test: {
          name: "e2e-soak",
          include: ["test/e2e/soak.test.ts"],
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
