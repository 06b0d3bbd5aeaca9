import type { agents } from "./schema";

/** An agents row as raw D1 queries return it: JSON columns still text. */
export type AgentRow = Omit<typeof agents.$inferSelect, "org_id" | "tools"> & { tools: string };
