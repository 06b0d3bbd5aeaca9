// The product Worker unchanged, plus the bare peers issue 8 wants in the same process: the
// create benchmark's bare endpoint (sharing the product's isolate, asset router and D1) and the
// SSE benchmark's bare broadcaster. Started only by `npm run bench`; never deployed.
import app from "../../worker/index";
import type { Bindings } from "../../worker/env";
import { type BareCreate, bareCreate } from "./bare";
import type { Broadcaster } from "./broadcaster";

export * from "../../worker/index";
export { BareCreate } from "./bare";
export { Broadcaster } from "./broadcaster";

type Env = Bindings & { BENCH_BARE: DurableObjectNamespace<BareCreate>; BENCH_BROADCASTER: DurableObjectNamespace<Broadcaster> };

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext) {
    const url = new URL(req.url);
    const feed = () => env.BENCH_BROADCASTER.get(env.BENCH_BROADCASTER.idFromName(url.searchParams.get("feed") ?? "feed"));
    switch (`${req.method} ${url.pathname}`) {
      case "POST /__bench/create":
        return bareCreate(req, env.DB, env.BENCH_BARE);
      case "GET /__bench/sse":
        return feed().fetch(req);
      case "POST /__bench/publish":
        return Response.json({ last: await feed().publish(Number(url.searchParams.get("count") ?? 1)) });
      default:
        return app.fetch(req, env, ctx);
    }
  },
} satisfies ExportedHandler<Env>;
