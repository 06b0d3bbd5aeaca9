import type { Role } from "../db/schema";
import type { Bindings } from "../env";
import type { Verdict } from "./sliding-window";

export interface Principal {
  org_id: string;
  token_id: string;
  token_name: string;
  role: Role;
  instance_admin: boolean;
  /** epoch ms; null: never */
  expires_at: number | null;
  via: "bearer" | "session";
  /** the highest role this request's checks asked for so far (`requireRole`): kept with an Idempotency-Key's answer */
  roleNeeded?: Role;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    principal: Principal;
    requestId: string;
    /** the hash of the API token the request came with, or of its session's token */
    tokenHash: string;
    /** the dashboard session cookie the request came with, when it came with no token */
    sessionId?: string;
    rate: Verdict;
    /** set under an Idempotency-Key: ties the key to the task its create makes, in the create's own D1 batch */
    idempotentTask?: (taskId: string) => D1PreparedStatement[];
    /** set by a PUT that found what it was sent already saved: it wrote nothing, so there is nothing to audit */
    changedNothing?: true;
  };
}
