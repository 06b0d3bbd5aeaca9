import { type FakeServer, listen, sendJson } from "./listen";

/** Plain HTTP for `http_fetch`: text, JSON echo, a 2 MB body, redirects, a 404 and a request that never ends. */
export function startHttp(): Promise<FakeServer> {
  return listen((req, body, res) => {
    switch (req.url) {
      case "/hello":
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        return void res.end("hello from the fake server");
      case "/echo":
        return sendJson(res, 200, { method: req.method, body, test_header: req.headers["x-test"] ?? null });
      case "/big":
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 32; i++) res.write("a".repeat(64 * 1024));
        return void res.end();
      case "/redirect":
        res.writeHead(302, { location: "/hello" });
        return void res.end();
      case "/redirect-loop":
        res.writeHead(302, { location: "/redirect-loop" });
        return void res.end();
      case "/slow":
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" });
        return void res.end("nope");
    }
  });
}
