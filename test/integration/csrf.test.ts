import { describe, expect, it } from "vitest";
import { securityHeaders } from "../../worker/lib/security-headers";
import { ADMIN, api, BASE, expectError, workerFetch } from "../helpers";

async function signIn(token = ADMIN) {
  const res = await api("POST", "/auth/session", { token: null, body: { token } });
  expect(res.status).toBe(200);
  return res.headers.get("set-cookie")!;
}

const withCookie = (cookie: string, origin?: string) => ({ token: null, headers: { cookie: cookie.split(";")[0], ...(origin ? { origin } : {}) } });
const task = { agent: "researcher", title: "from the dashboard", description: "@output ok" };

describe("dashboard session and CSRF", () => {
  it("sets an HttpOnly, SameSite=Strict session cookie", async () => {
    const cookie = await signIn();
    expect(cookie).toMatch(/^fd_session=fds_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    const extra = await api("POST", "/auth/session", { token: null, body: { token: ADMIN, remember: true } });
    expectError(extra, 400, "bad_request");
    expect(extra.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a cookie-authenticated mutation from another origin, or with no Origin, with 403", async () => {
    const cookie = await signIn();
    expectError(await api("POST", "/tasks", { ...withCookie(cookie, "https://evil.example"), body: task }), 403, "forbidden");
    expectError(await api("POST", "/tasks", { ...withCookie(cookie), body: task }), 403, "forbidden");
    expectError(await api("POST", "/tasks", { ...withCookie(cookie, "http://flightdeck.test.evil.example"), body: task }), 403, "forbidden");
    expectError(await api("DELETE", "/tasks/tsk_x", withCookie(cookie, "https://evil.example")), 403, "forbidden");
    expectError(await api("POST", "/tokens", { ...withCookie(cookie, "null"), body: { name: "x", role: "admin" } }), 403, "forbidden");
    expectError(await api("DELETE", "/auth/session", withCookie(cookie, "https://evil.example")), 403, "forbidden");
  });

  it("refuses a sign-in from another origin (login CSRF) with 403, setting no cookie and ending no session; our own origin and clients that send none sign in", async () => {
    const cookie = await signIn();
    for (const origin of ["https://evil.example", "null", "http://flightdeck.test.evil.example"]) {
      const res = await api("POST", "/auth/session", { token: null, body: { token: ADMIN }, headers: { origin, cookie: cookie.split(";")[0] } });
      expectError(res, 403, "forbidden");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    expect((await api("GET", "/auth/session", withCookie(cookie))).status).toBe(200);
    expect((await api("POST", "/auth/session", { token: null, body: { token: ADMIN }, headers: { origin: BASE } })).status).toBe(200);
  });

  it("accepts the same mutation from our own origin, as a dashboard task", async () => {
    const cookie = await signIn();
    const res = await api("POST", "/tasks", { ...withCookie(cookie, BASE), body: task });
    expect(res.status, res.text).toBe(201);
    expect(res.json.source).toBe("dashboard");
  });

  it("lets reads through from any origin (they change nothing), and does not apply to bearer tokens", async () => {
    const cookie = await signIn();
    expect((await api("GET", "/tasks", withCookie(cookie, "https://evil.example"))).status).toBe(200);
    expect((await api("POST", "/tasks", { body: task, headers: { origin: "https://evil.example" } })).status).toBe(201);
  });

  it("ends the session on sign-out", async () => {
    const cookie = await signIn();
    expect((await api("DELETE", "/auth/session", withCookie(cookie, BASE))).status).toBe(204);
    expectError(await api("GET", "/tasks", withCookie(cookie)), 401, "unauthorized");
  });
});

describe("the dashboard's security headers", () => {
  function expectStrict(headers: Headers) {
    const csp = headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(headers.get("x-frame-options")).toBe("DENY");
    expect(headers.get("x-content-type-options")).toBe("nosniff");
  }

  it("serves the SPA with a strict CSP and frame-ancestors 'none', deep links included", async () => {
    for (const path of ["/", "/tasks/tsk_123"]) {
      const res = await workerFetch(new Request(`${BASE}${path}`));
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      expectStrict(res.headers);
    }
  });

  it("gives the dashboard's pages and files an x-request-id, as every API answer, a caller's own kept", async () => {
    const ids = new Set<string>();
    for (const path of ["/", "/tasks/tsk_123", "/settings?tab=limits", "/favicon.svg"]) {
      const res = await workerFetch(new Request(`${BASE}${path}`));
      await res.arrayBuffer();
      const id = res.headers.get("x-request-id");
      expect(id, path).toMatch(/^[\w=-]{1,255}$/);
      ids.add(id!);
    }
    expect(ids.size).toBe(4);
    const own = await workerFetch(new Request(`${BASE}/tasks`, { headers: { "x-request-id": "trace-42" } }));
    await own.arrayBuffer();
    expect(own.headers.get("x-request-id")).toBe("trace-42");
  });

  it("securityHeaders adds them to any response and keeps the body", async () => {
    const res = securityHeaders(new Response("<html></html>", { headers: { "content-type": "text/html" } }));
    expectStrict(res.headers);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(await res.text()).toBe("<html></html>");
  });
});
