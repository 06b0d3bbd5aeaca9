import type { TaskRunner } from "./task/runner";
import type { OrgFeed } from "./live/org-feed";
import type { RateLimiter } from "./lib/rate-limit";
import type { TokenGate } from "./lib/token-gate";
import type { TriggerClock } from "./triggers/clock";
import type { ChatConversation } from "./chat/conversation";
import type { OrgQueue } from "./queue/org-queue";
import type { RetentionJanitor } from "./retention/janitor";
import type { Notifier } from "./notify/notifier";
import type { SearchIndexKeeper } from "./db/search-index-keeper";

export interface Bindings {
  DB: D1Database;
  ASSETS: Fetcher;
  TASK_RUNNER: DurableObjectNamespace<TaskRunner>;
  ORG_FEED: DurableObjectNamespace<OrgFeed>;
  TRIGGER_CLOCK: DurableObjectNamespace<TriggerClock>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  TOKEN_GATE: DurableObjectNamespace<TokenGate>;
  CHAT: DurableObjectNamespace<ChatConversation>;
  ORG_QUEUE: DurableObjectNamespace<OrgQueue>;
  RETENTION_JANITOR: DurableObjectNamespace<RetentionJanitor>;
  NOTIFIER: DurableObjectNamespace<Notifier>;
  SEARCH_INDEX_KEEPER: DurableObjectNamespace<SearchIndexKeeper>;
  FLIGHTDECK_ADMIN_TOKEN?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  MAX_BODY_BYTES?: string;
  RATE_LIMIT_PER_MIN?: string;
  /** deliveries a minute to one webhook trigger that has no cap of its own (60); 0: no limit */
  WEBHOOK_RATE_LIMIT_PER_MIN?: string;
  /** failed credential checks (sign-ins, unknown bearer tokens) from one client address in AUTH_FAILURE_WINDOW_S (20); 0: no limit */
  AUTH_FAILURES_PER_ADDRESS?: string;
  /** failed sign-ins with tokens sharing their first 12 characters in AUTH_FAILURE_WINDOW_S (50); 0: no limit */
  AUTH_FAILURES_PER_TOKEN_PREFIX?: string;
  /** the sliding window those two count in, in seconds (900) */
  AUTH_FAILURE_WINDOW_S?: string;
  MAX_STREAMS_PER_ORG?: string;
  MAX_STREAMS_PER_TOKEN?: string;
  HTTP_FETCH_ALLOW_PRIVATE?: string;
  /** tool calls of one model turn that are run (32); the rest are answered with an error */
  MAX_TOOL_CALLS_PER_TURN?: string;
  /** a SearXNG-compatible JSON search endpoint for `web_search` by models without a search of their own */
  WEB_SEARCH_URL?: string;
  /** the key named MCP servers' credentials are sealed with at rest (any long random string; npm start and deploy make one) */
  SECRETS_KEY?: string;
  /** debug | info (default) | warn | error */
  LOG_LEVEL?: string;
  /** How often a task's alarm rings while a run is in flight (ms, at least 1000; default 30,000): worker/task/wake.ts. */
  RUN_HEARTBEAT_MS?: string;
}
