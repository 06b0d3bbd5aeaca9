// What `npm start` checks before the slow part (bundling, migrations, the runtime), so a start that cannot work
// says why in one line, in its first second, and exits non-zero rather than failing later with a stack trace.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

/** A start that cannot go on: its message is for the person who ran it, printed as is. */
export class StartError extends Error {}

/** `dir` made if it is missing, and writable, else a StartError saying which and why. */
/** `mkdir -p` a level at a time: Node's recursive mkdir never returns under /proc (ENOENT at every level, tried again). */
function makeDirs(dir) {
  const missing = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
}

export function prepareDataDir(dir) {
  try {
    makeDirs(path.join(dir, "state"));
    const probe = path.join(dir, `.write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (e) {
    throw new StartError(`Cannot use the data dir ${dir} (FLIGHTDECK_DATA_DIR): ${e.message}`);
  }
}

/** Whether `pid` is a running `npm start`: a pid reused by another program (after a crash, a reboot) is not one. */
const running = (pid) => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== "EPERM") return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("start.mjs");
  } catch {
    return true; // no /proc (macOS): a live pid is taken at its word
  }
};

/**
 * Takes the data dir for this process: two runtimes on one set of SQLite files would run the same tasks twice and
 * can corrupt them. A lock left by a process that is gone (killed, a crash) is taken over. Answers its release.
 */
export function lockDataDir(dir, port) {
  const file = path.join(dir, "flightdeck.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, port }), { flag: "wx" });
      return () => {
        try {
          if (JSON.parse(readFileSync(file, "utf8")).pid === process.pid) rmSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if (e.code !== "EEXIST") throw new StartError(`Cannot use the data dir ${dir} (FLIGHTDECK_DATA_DIR): ${e.message}`);
    }
    let held = null;
    try {
      held = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      /* half-written or unreadable: treated as stale */
    }
    if (held && held.pid !== process.pid && running(held.pid)) {
      throw new StartError(
        `Flightdeck is already running on the data dir ${dir} (process ${held.pid}, port ${held.port}): stop it first, or set FLIGHTDECK_DATA_DIR to another dir.`,
      );
    }
    rmSync(file, { force: true });
  }
  throw new StartError(`Cannot lock the data dir ${dir}: another start is taking it at the same moment; try again.`);
}

/** Resolves once `port` on `host` could be listened on now, else rejects with a StartError naming it. */
export function checkPortFree(port, host) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e) =>
      reject(
        new StartError(
          e.code === "EADDRINUSE"
            ? `Port ${port} is already in use on ${host} (another Flightdeck, or another program): stop it, or set PORT to a free one.`
            : `Cannot listen on ${host}:${port}: ${e.code ?? ""} ${e.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
