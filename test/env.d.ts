import type { D1Migration } from "cloudflare:test";
import type { Bindings } from "../worker/env";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../worker/index");
      durableNamespaces: "TaskRunner" | "OrgFeed" | "TriggerClock" | "RateLimiter" | "ChatConversation" | "OrgQueue" | "RetentionJanitor" | "Notifier" | "SearchIndexKeeper";
    }
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    fakeServers: { openai: number; anthropic: number; mcp: number; http: number; httpOther: number; receiver: number; planner: number };
    /** The browser tests' Worker bundle, made once for all their apps (test/e2e/global-setup.ts). */
    workerBundle?: string;
  }
}
