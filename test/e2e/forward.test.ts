import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES_AT_EDGE, MAX_HEADER_BYTES, forwardEachOnItsOwnConnection, frontServer } from "../../scripts/forward.mjs";

/** `npm start`'s front (scripts/forward.mjs) over a stand-in for workerd, with no app or browser. */
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(handler: http.RequestListener | http.Server): Promise<{ server: http.Server; port: number }> {
  const server = handler instanceof http.Server ? handler : http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** One keep-alive client connection, so every request after the first reuses it. */
function send(port: number, agent: http.Agent, method = "POST", body = "{}"): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: "/api/v1/tasks", agent, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("npm start's front", () => {
  it("hands every request to the Worker on a connection of its own, so none rides a reused connection workerd may drop unread", async () => {
    // Like workerd reading late past its 5 s keep-alive window: a request on a reused connection is dropped unanswered.
    const seen = new WeakSet<Socket>();
    const bodies: string[] = [];
    const worker = await listen((req, res) => {
      if (seen.has(req.socket)) return req.socket.destroy();
      seen.add(req.socket);
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ n: bodies.length }));
      });
    });
    const front = await listen(forwardEachOnItsOwnConnection({ host: "127.0.0.1", port: worker.port }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await send(front.port, agent, "POST", JSON.stringify({ i })));
    agent.destroy();
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(bodies).toEqual([0, 1, 2, 3, 4].map((i) => JSON.stringify({ i })));
    // the client keeps its connection: workerd's `connection: close` is not passed on
    expect(answers[0].headers.connection).toBe("keep-alive");
  });

  it("cancels the Worker's request when the client goes away mid-stream (a closed SSE tab frees its stream)", async () => {
    let workerSawClose: () => void;
    const closed = new Promise<void>((r) => (workerSawClose = r));
    const worker = await listen((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": open\n\n");
      res.on("close", () => workerSawClose());
    });
    const front = await listen(forwardEachOnItsOwnConnection({ host: "127.0.0.1", port: worker.port }));
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: front.port, path: "/api/v1/events" }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.on("timeout", reject);
    });
    await closed;
  });

  it("aborts the client's transfer when the Worker's answer fails part-way (a cut-off export never looks complete)", async () => {
    const worker = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("id,title\n");
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const front = await listen(forwardEachOnItsOwnConnection({ host: "127.0.0.1", port: worker.port }));
    const outcome = await new Promise<string>((resolve) => {
      http.get({ host: "127.0.0.1", port: front.port, path: "/api/v1/tasks/export" }, (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve("ended as complete"));
        res.on("error", () => resolve("aborted"));
      });
    });
    expect(outcome).toBe("aborted");
  });

  it("refuses a body declared over Cloudflare's 100 MB itself, as the edge does, without calling the Worker", async () => {
    let called = 0;
    const worker = await listen((_req, res) => (called++, res.end()));
    const front = await listen(forwardEachOnItsOwnConnection({ host: "127.0.0.1", port: worker.port }));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: front.port, method: "POST", path: "/api/v1/tasks", headers: { "content-type": "application/json", "content-length": MAX_BODY_BYTES_AT_EDGE + 1 } }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      // the first megabyte of it: the answer comes without the rest
      req.write("x".repeat(1024 * 1024));
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large" } });
    expect(called).toBe(0);
  });

  it("answers a JSON 502 when the Worker cannot be reached", async () => {
    const gone = await listen(() => {});
    const port = (gone.server.address() as AddressInfo).port;
    await new Promise((r) => gone.server.close(r));
    servers.splice(servers.indexOf(gone.server), 1);
    const front = await listen(forwardEachOnItsOwnConnection({ host: "127.0.0.1", port }));
    const agent = new http.Agent();
    const res = await send(front.port, agent, "GET", "");
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "bad_gateway" } });
  });

  it("takes request headers up to Cloudflare's 128 KB, where Node alone answers 431 past 16 KB", async () => {
    const sizes: number[] = [];
    const worker = await listen(http.createServer({ maxHeaderSize: 2 * MAX_HEADER_BYTES }, (req, res) => {
      sizes.push(String(req.headers["x-big"]).length);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    }));
    const front = await listen(frontServer({ host: "127.0.0.1", port: worker.port }));
    const answer = (bytes: number) => new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      http.get({ host: "127.0.0.1", port: front.port, path: "/api/v1/health", agent: false, headers: { "x-big": "a".repeat(bytes) } }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve({ status: res.statusCode!, type: res.headers["content-type"], body }));
      }).on("error", reject);
    });
    expect((await answer(64 * 1024)).status).toBe(200);
    expect(sizes).toEqual([64 * 1024]);
    // past it, the API's JSON error, not Node's bare status
    const refused = await answer(MAX_HEADER_BYTES + 1024);
    expect([refused.status, refused.type]).toEqual([431, "application/json"]);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "headers_too_large", message: expect.stringContaining("131072 bytes") } });
    expect(sizes).toHaveLength(1);
  });
});
