import type { TaskSource } from "../db/schema";
import type { Principal } from "../lib/context";
import type { CreatedBy } from "../task/meta";

/** Tasks made through the dashboard's cookie session are `dashboard`; bearer tokens are `api`. */
export const sourceOf = (p: Principal): TaskSource => (p.via === "session" ? "dashboard" : "api");

export const createdBy = (p: Principal): CreatedBy => ({ type: "token", id: p.token_id, name: p.token_name });
