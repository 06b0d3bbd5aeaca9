// The product Worker unchanged, with its TaskRunner given counting wrappers around
// D1, its SQLite storage and outgoing Durable Object calls. GET /__profile reads
// the counters, POST /__profile resets them. Never deployed; bench only.
import app from "../../worker/index";
import { OrgFeed as ProductOrgFeed } from "../../worker/live/org-feed";
import { TaskRunner as ProductTaskRunner } from "../../worker/task/runner";
import type { Bindings } from "../../worker/env";

// Every other Durable Object class as the product exports it; TaskRunner and OrgFeed are replaced below.
export * from "../../worker/index";

type Counts = Record<string, number>;
let counts: Counts = {};
const bump = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);

function bindAll<T extends object>(target: T, wrap: (prop: string | symbol, value: unknown) => unknown = (_p, v) => v): T {
  return new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t);
      const w = wrap(prop, v);
      return typeof w === "function" && w === v ? Function.prototype.bind.call(v as (...a: unknown[]) => unknown, t) : w;
    },
  });
}

const kind = (sql: string) => (/^\s*(select|with)/i.test(sql) && !/returning/i.test(sql) ? "read" : "write");

function countingD1(db: D1Database, who: string): D1Database {
  return bindAll(db, (prop, v) => {
    if (prop === "batch") {
      // one round trip and one transaction, whatever it carries
      return (statements: D1PreparedStatement[]) => (bump(`${who}.d1_batch`), bump(`${who}.d1_batch_statements`, statements.length), db.batch(statements));
    }
    if (prop !== "prepare") return v;
    return (sql: string) => {
      const k = kind(sql);
      const stmt = db.prepare(sql);
      const wrapStmt = (s: D1PreparedStatement): D1PreparedStatement =>
        bindAll(s, (p, fn) => {
          if (p === "bind") return (...args: unknown[]) => wrapStmt(s.bind(...args));
          if (p === "run" || p === "first" || p === "all" || p === "raw") {
            return (...args: unknown[]) => {
              bump(`${who}.d1_${k}`);
              // which statement: the first words of its SQL, spaces collapsed
              bump(`${who}.d1 ${sql.replace(/\s+/g, " ").trim().slice(0, 60)}`);
              return Reflect.apply(fn as (...a: unknown[]) => unknown, s, args);
            };
          }
          return fn;
        });
      return wrapStmt(stmt);
    };
  });
}

function countingNamespace<T extends DurableObjectNamespace>(ns: T, name: string, who: string): T {
  return bindAll(ns, (prop, v) => {
    if (prop !== "get") return v;
    return (id: DurableObjectId) => {
      const stub = ns.get(id);
      return bindAll(stub as object, (p, fn) =>
        typeof fn === "function" && typeof p === "string" && !["fetch", "id", "name"].includes(p)
          ? (...args: unknown[]) => {
              bump(`${who}.rpc_${name}.${p}`);
              return Reflect.apply(fn as (...a: unknown[]) => unknown, stub, args);
            }
          : fn,
      );
    };
  });
}

function countingEnv(env: Bindings, who: string): Bindings {
  return {
    ...env,
    DB: countingD1(env.DB, who),
    ORG_FEED: countingNamespace(env.ORG_FEED, "OrgFeed", who),
    TASK_RUNNER: countingNamespace(env.TASK_RUNNER, "TaskRunner", who),
  };
}

/** DurableObjectState must be the real one, so its storage methods are wrapped in place. */
function countStorage(ctx: DurableObjectState): void {
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec.bind(sql);
  sql.exec = ((query: string, ...args: unknown[]) => {
    bump(`do.sql_${kind(query)}`);
    return exec(query, ...(args as []));
  }) as typeof sql.exec;
  const tx = storage.transactionSync.bind(storage);
  storage.transactionSync = (<T>(cb: () => T): T => (bump("do.transactionSync"), tx(cb))) as typeof storage.transactionSync;
  const setAlarm = storage.setAlarm.bind(storage);
  storage.setAlarm = ((...a: Parameters<typeof storage.setAlarm>) => (bump("do.setAlarm"), setAlarm(...a))) as typeof storage.setAlarm;
}

/** The organization's feed writes every task's index rows, grouped: its D1 batches say how well they group. */
export class OrgFeed extends ProductOrgFeed {
  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, { ...env, DB: countingD1(env.DB, "feed") });
  }
}

export class TaskRunner extends ProductTaskRunner {
  constructor(ctx: DurableObjectState, env: Bindings) {
    countStorage(ctx);
    super(ctx, countingEnv(env, "do"));
  }
}

export default {
  async fetch(req: Request, env: Bindings, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/__profile") {
      if (req.method === "POST") counts = {};
      return Response.json(counts);
    }
    return app.fetch(req, countingEnv(env, "worker"), ctx);
  },
};
