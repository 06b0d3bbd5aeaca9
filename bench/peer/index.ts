import { DurableObject, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { type BareCreate, bareCreate } from "./bare";

export { BareCreate } from "./bare";

interface Env {
  DB: D1Database;
  COMMITTER: DurableObjectNamespace<Committer>;
  BARE: DurableObjectNamespace<BareCreate>;
  CHAIN: Workflow<{ n: number }>;
}

/** The Workflows peer: N sequential `step.do` calls; the first and last stamp the clock. */
export class ChainWorkflow extends WorkflowEntrypoint<Env, { n: number }> {
  async run(event: WorkflowEvent<{ n: number }>, step: WorkflowStep) {
    const n = event.payload.n;
    let first = 0;
    let last = 0;
    for (let i = 0; i < n; i++) {
      const at = await step.do(`s${i}`, async () => Date.now());
      if (i === 0) first = at;
      last = at;
    }
    return { first, last, n };
  }
}

/** The floor: one durable SQLite commit per step, sequential or all at once. */
export class Committer extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS steps (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)");
  }

  private async commit(i: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO steps (v) VALUES (?)", `step ${i}`);
    await this.ctx.storage.sync();
  }

  async chain(n: number): Promise<{ ms: number }> {
    const t0 = performance.now();
    const s0 = Date.now();
    for (let i = 0; i < n; i++) await this.commit(i);
    return { ms: Math.max(performance.now() - t0, Date.now() - s0) };
  }

  async fan(n: number): Promise<{ ms: number }> {
    const s0 = Date.now();
    await Promise.all(Array.from({ length: n }, (_, i) => this.commit(i)));
    return { ms: Date.now() - s0 };
  }

}

const json = (v: unknown, status = 200) => Response.json(v, { status });

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const n = Number(url.searchParams.get("n") ?? 200);
    switch (`${req.method} ${url.pathname}`) {
      case "POST /create":
        return bareCreate(req, env.DB, env.BARE);
      case "POST /floor/chain":
        return json(await env.COMMITTER.get(env.COMMITTER.idFromName(`chain-${crypto.randomUUID()}`)).chain(n));
      case "POST /floor/fan":
        return json(await env.COMMITTER.get(env.COMMITTER.idFromName(`fan-${crypto.randomUUID()}`)).fan(n));
      case "POST /workflow": {
        const t0 = Date.now();
        const instance = await env.CHAIN.create({ params: { n } });
        for (;;) {
          const s = await instance.status();
          if (s.status === "complete") {
            const out = s.output as { first: number; last: number; n: number };
            return json({ ...out, wall_ms: Date.now() - t0 });
          }
          if (s.status === "errored" || s.status === "terminated") return json({ error: s.error ?? s.status }, 500);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      default:
        return json({ error: "not found" }, 404);
    }
  },
} satisfies ExportedHandler<Env>;
