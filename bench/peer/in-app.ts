// The product Worker unchanged, plus the create benchmark's bare endpoint in the same
// Worker, as issue 8 defines the peer: it shares the product's isolate, asset router
// and D1 database. Started only by `npm run bench`; never deployed.
import app from "../../worker/index";
import type { Bindings } from "../../worker/env";
import { type BareCreate, bareCreate } from "./bare";

export * from "../../worker/index";
export { BareCreate } from "./bare";

type Env = Bindings & { BENCH_BARE: DurableObjectNamespace<BareCreate> };

export default {
  fetch(req: Request, env: Env, ctx: ExecutionContext) {
    if (req.method === "POST" && new URL(req.url).pathname === "/__bench/create") return bareCreate(req, env.DB, env.BENCH_BARE);
    return app.fetch(req, env, ctx);
  },
} satisfies ExportedHandler<Env>;
