import type { TaskRunner } from "./task/runner";
import type { OrgFeed } from "./live/org-feed";

export interface Bindings {
  DB: D1Database;
  ASSETS: Fetcher;
  TASK_RUNNER: DurableObjectNamespace<TaskRunner>;
  ORG_FEED: DurableObjectNamespace<OrgFeed>;
  FLIGHTDECK_ADMIN_TOKEN?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  MAX_BODY_BYTES?: string;
  RATE_LIMIT_PER_MIN?: string;
  MAX_STREAMS_PER_ORG?: string;
  HTTP_FETCH_ALLOW_PRIVATE?: string;
}
