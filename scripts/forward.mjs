// `npm start`'s front: clients keep their connections to Node, and every request reaches workerd on a
// connection of its own. workerd's HTTP server closes a kept-alive connection when its next request is not
// read within 5 s of the last answer, and a busy runtime reads late: a request sent on a reused connection is
// then dropped unanswered (what wrangler's dev proxy turned into 503s and hung GETs). A fresh connection
// carries one request, which workerd always reads.
import http from "node:http";
import { pipeline } from "node:stream";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

/** Cloudflare refuses a request body over 100 MB before any Worker sees it; the Worker reads what it refuses to its end. */
export const MAX_BODY_BYTES_AT_EDGE = 100 * 1024 * 1024;

/** A Node request handler that sends each request to `upstream` (host, port) on a new connection and streams the answer back. */
export function forwardEachOnItsOwnConnection(upstream) {
  return (req, res) => {
    if (Number(req.headers["content-length"]) > MAX_BODY_BYTES_AT_EDGE) {
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      return res.end(JSON.stringify({ error: { code: "payload_too_large", message: `the request body is larger than ${MAX_BODY_BYTES_AT_EDGE} bytes, Cloudflare's limit` } }));
    }
    // the client's address, as Cloudflare sets it (whatever the client sent): failed sign-ins are counted by it
    const up = http.request(
      { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, connection: "close", "cf-connecting-ip": req.socket.remoteAddress ?? "" }, agent: false },
      (upRes) => {
        const headers = [];
        for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(upRes.rawHeaders[i].toLowerCase())) headers.push(upRes.rawHeaders[i], upRes.rawHeaders[i + 1]);
        }
        res.writeHead(upRes.statusCode, upRes.statusMessage, headers);
        // An answer that fails part-way aborts the client's transfer too, rather than ending it as if complete.
        pipeline(upRes, res, () => {});
      },
    );
    up.on("error", (e) => {
      if (res.headersSent || res.destroyed) return res.destroy();
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "bad_gateway", message: `the Worker did not answer: ${e.message}` } }));
    });
    // A client gone (a closed SSE stream) cancels the Worker's request, as it would deployed.
    res.on("close", () => up.destroy());
    req.pipe(up);
  };
}

/** Cloudflare takes up to 128 KB of request headers; a Node server alone answers 431 past 16 KB. */
export const MAX_HEADER_BYTES = 128 * 1024;

/** The front as a Node server, not yet listening. */
export function frontServer(upstream) {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, forwardEachOnItsOwnConnection(upstream));
  // Node's own answer to headers past the bound is a bare 431: the API's errors are JSON, so this one is too
  server.on("clientError", (err, socket) => {
    if (err.code !== "HPE_HEADER_OVERFLOW" || !socket.writable) return socket.destroy();
    const body = JSON.stringify({ error: { code: "headers_too_large", message: `the request's headers are larger than ${MAX_HEADER_BYTES} bytes, Cloudflare's limit` } });
    socket.end(`HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}
