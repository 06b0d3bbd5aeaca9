import { describe, expect, it } from "vitest";
import { errorResponse, newApp } from "../../worker/api/app";

/** The API's answer to a fault no route raised on purpose, as every sub-app hands it to `errorResponse`. */
function failingWith(error: Error) {
  const app = newApp();
  app.get("/boom", () => {
    throw error;
  });
  app.onError(errorResponse);
  return app.request("/boom");
}

describe("an unexpected fault's answer", () => {
  it("is a 500 naming no internals", async () => {
    const res = await failingWith(new Error("TypeError: x is undefined at secret/path.ts"));
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: "internal", message: "internal error" } });
  });

  it("is a 503 to retry when the runtime's SQLite heap is spent (too many live task objects in one process), not a 500", async () => {
    const res = await failingWith(new Error("D1_ERROR: out of memory: SQLITE_NOMEM"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toContain("try again in a few seconds");
  });
});
