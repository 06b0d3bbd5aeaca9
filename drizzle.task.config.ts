import { defineConfig } from "drizzle-kit";

/** The TaskRunner Durable Object's own SQLite schema. */
export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./worker/task/storage-schema.ts",
  out: "./worker/task/migrations",
});
