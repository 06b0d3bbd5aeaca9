// On a fresh clone `npm start` and `npm test` install the locked dependencies first,
// so the quick start is two commands.
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";

/**
 * Whether node_modules holds what package-lock.json locks: npm's own record of what it installed
 * (node_modules/.package-lock.json) lists every locked package at its version. Compared by content,
 * not by time, so a clone given a copy of node_modules is not reinstalled, and a pull that changes the
 * lock is. Optional packages for other platforms are locked but never installed.
 */
function installed(root) {
  const marker = path.join(root, "node_modules/.package-lock.json");
  if (!existsSync(marker)) return false;
  try {
    const want = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")).packages ?? {};
    const have = JSON.parse(readFileSync(marker, "utf8")).packages ?? {};
    return Object.entries(want).every(([at, p]) => at === "" || p.link || (have[at] ? have[at].version === p.version : p.optional === true));
  } catch {
    return false;
  }
}

export function ensureDeps(root) {
  if (installed(root)) return;
  // npm ci empties node_modules first, through a link too: the folder it points to (another checkout's) would be lost
  const modules = path.join(root, "node_modules");
  if (lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) {
    console.error(
      `node_modules is a link to ${realpathSync(modules)}, which does not hold what this checkout's package-lock.json locks. ` +
        "Installing here would empty the folder it points to: run npm ci there if it is meant to match, or remove the link and start again to install here.",
    );
    process.exit(1);
  }
  console.log("Installing dependencies (npm ci)…");
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}
