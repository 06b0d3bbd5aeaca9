import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { subscribeToFeed } from "../../worker/live/org-feed";
import { streamsPerToken } from "../../worker/lib/stream-slots";
import type { TaskRunner } from "../../worker/task/runner";
import { ADMIN, api, BASE, createTask, expectError, gateOf, makeOrg, taskStub, waitForStatus, runtimeFetch, workerFetch } from "../helpers";

interface Frame {
  id: string | null;
  event: string;
  data: unknown;
  comment?: string;
}

/** Reads SSE frames until `until` says stop or the time runs out; the reader is always cancelled. */
async function readFrames(body: ReadableStream<Uint8Array>, until: (frames: Frame[]) => boolean, timeoutMs = 8000): Promise<Frame[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(frames)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), left))]);
      if (next === null || next.done) break;
      buf += decoder.decode(next.value, { stream: true });
      let end: number;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const f: Frame = { id: null, event: "message", data: null };
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) f.comment = line.slice(1).trim();
          else if (line.startsWith("id: ")) f.id = line.slice(4);
          else if (line.startsWith("event: ")) f.event = line.slice(7);
          else if (line.startsWith("data: ")) f.data = JSON.parse(line.slice(6));
        }
        frames.push(f);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return frames;
}

async function stream(path: string, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }) {
  return runtimeFetch(new Request(`${BASE}/api/v1${path}`, { headers }));
}

const ids = (frames: Frame[]) => frames.filter((f) => f.id != null).map((f) => Number(f.id));
const isFinal = (f: Frame) => f.event === "task.updated" && ["completed", "failed", "cancelled"].includes((f.data as { status: string }).status);

describe("per-task stream", () => {
  it("says which started steps a cancel or a failure stopped, before the task's last event", async () => {
    const plans = [
      { name: "to cancel", steps: [{ id: "slow", agent: "writer", instructions: "@delay 5000\n@output late" }] },
      { name: "to fail", steps: [{ id: "slow", agent: "writer", instructions: "@delay 5000\n@output late" }, { id: "wait", agent: "writer", instructions: "@delay 300\n@output go" }, { id: "bad", agent: "writer", instructions: "@fail permanent", depends_on: ["wait"] }] },
    ];
    for (const [i, plan] of plans.entries()) {
      const saved = await api("POST", "/plans", { body: plan });
      const task = (await api("POST", `/plans/${saved.json.id}/run`, { body: {} })).json;
      await waitForStatus(task.id, ["in_progress"]);
      if (i === 0) expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
      await waitForStatus(task.id, ["cancelled", "failed"]);
      const frames = await readFrames((await stream(`/tasks/${task.id}/events`)).body!, (fs) => fs.some(isFinal), 3000);
      const stopped = frames.findIndex((f) => f.event === "step.updated" && (f.data as { step: string }).step === "slow" && (f.data as { status: string }).status === "cancelled");
      expect(stopped, plan.name).toBeGreaterThanOrEqual(0);
      expect(stopped, plan.name).toBeLessThan(frames.findIndex(isFinal));
    }
  });

  it("sends every status change of every step the detail shows, so replaying the step events gives the detail's statuses", { timeout: 30_000 }, async () => {
    type Shown = { id: string; status: string; iterations?: Shown[]; steps?: Shown[] };
    const detailStatuses = (steps: Shown[], into: Record<string, string> = {}) => {
      for (const st of steps) {
        into[st.id] = st.status;
        detailStatuses([...(st.iterations ?? []), ...(st.steps ?? [])], into);
      }
      return into;
    };
    const stepEvents = (frames: Frame[]) => frames.filter((f) => f.event === "step.updated").map((f) => f.data as { step: string; status: string });
    const replayed = (frames: Frame[]) => Object.fromEntries(stepEvents(frames).map((e) => [e.step, e.status]));
    const saw = (frames: Frame[], step: string, status: string) => stepEvents(frames).some((e) => e.step === step && e.status === status);
    const run = async (steps: unknown[]) => {
      const saved = await api("POST", "/plans", { body: { name: `step events ${crypto.randomUUID()}`, steps } });
      expect(saved.status, JSON.stringify(saved.json)).toBe(201);
      return (await api("POST", `/plans/${saved.json.id}/run`, { body: {} })).json as { id: string };
    };
    /** The stream read to the task's end, checked against the detail it ends with. */
    const finished = async (id: string, statuses: string[]) => {
      const detail = await waitForStatus(id, statuses);
      const frames = await readFrames((await stream(`/tasks/${id}/events`)).body!, (fs) => fs.some(isFinal), 5000);
      expect(frames.some(isFinal)).toBe(true);
      expect(replayed(frames)).toEqual(detailStatuses(detail.steps));
      return frames;
    };

    const loop = await run([
      { id: "list", agent: "writer", instructions: '@output ["a", "b", "c"]' },
      { id: "loop", kind: "loop", over: "list", body: [{ id: "w", agent: "writer", instructions: "@output {{item}}" }] },
    ]);
    const looped = await finished(loop.id, ["completed", "failed"]);
    for (const i of [0, 1, 2]) {
      expect(saw(looped, `loop[${i}]`, "in_progress"), `loop[${i}] started`).toBe(true);
      expect(saw(looped, `loop[${i}]`, "completed"), `loop[${i}] ended`).toBe(true);
    }

    const review = await run([
      { id: "list", agent: "writer", instructions: '@output ["x"]' },
      { id: "em", kind: "loop", over: "list", body: [{ id: "d", agent: "writer", instructions: "@output {{item}}", approval: true }] },
    ]);
    const waiting = await waitForStatus(review.id, ["needs_input", "failed"]);
    const asked = await readFrames((await stream(`/tasks/${review.id}/events`)).body!, (fs) => saw(fs, "em", "needs_input"), 3000);
    expect(saw(asked, "em[0]", "needs_input"), "the iteration needs input").toBe(true);
    expect(saw(asked, "em", "needs_input"), "the loop needs input").toBe(true);
    expect(replayed(asked)).toEqual(detailStatuses(waiting.steps));
    expect((await api("POST", `/tasks/${review.id}/steps/${encodeURIComponent("em[0].d")}/approve`, { body: {} })).status).toBe(200);
    const reviewed = await finished(review.id, ["completed", "failed"]);
    expect(replayed(reviewed).em).toBe("completed");

    const cancelled = await run([
      { id: "a", agent: "writer", instructions: "@delay 5000\n@output x" },
      { id: "after", agent: "writer", instructions: "@output y", depends_on: ["a"] },
    ]);
    await waitForStatus(cancelled.id, ["in_progress"]);
    expect((await api("DELETE", `/tasks/${cancelled.id}`)).status).toBe(200);
    expect(replayed(await finished(cancelled.id, ["cancelled"])).after).toBe("cancelled");

    const failing = await run([
      { id: "list", agent: "writer", instructions: `@output ${JSON.stringify(["@delay 3000", "@delay 3000", "@fail permanent", "@output d", "@output e", "@output f"])}` },
      { id: "l", kind: "loop", over: "list", concurrency: 3, body: [{ id: "w", agent: "writer", instructions: "{{item}}" }] },
      { id: "after", agent: "writer", instructions: "@output y", depends_on: ["l"] },
    ]);
    const failed = replayed(await finished(failing.id, ["failed"]));
    expect(failed).toMatchObject({ l: "failed", "l[2]": "failed", "l[0]": "cancelled", "l[3]": "cancelled", "l[5]": "cancelled", "l[5].w": "cancelled", after: "cancelled" });
  });

  it("sends history then live events, and Last-Event-ID resumes with exactly the missed ones", async () => {
    const task = await createTask({ agent: "researcher", title: "sse live", description: "@ask Which region?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);

    const res = await stream(`/tasks/${task.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reading = readFrames(res.body!, (fs) => fs.some(isFinal));
    // Give the history time to arrive before the live part starts.
    await new Promise((r) => setTimeout(r, 100));
    const answer = await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["EMEA"] } });
    expect(answer.status).toBe(200);
    const all = await reading;
    const seen = ids(all);
    expect(seen.length).toBeGreaterThan(4);
    // a step's events speak the task's words, as its detail does
    const stepStatuses = all.filter((f) => f.event === "step.updated").map((f) => (f.data as { status: string }).status);
    expect(new Set(stepStatuses)).toEqual(new Set(["in_progress", "needs_input", "completed"]));
    expect(seen[0]).toBe(1);
    seen.forEach((id, i) => expect(id).toBe(i + 1));
    const statuses = all.filter((f) => f.event === "task.updated").map((f) => (f.data as { status: string }).status);
    expect(statuses).toContain("needs_input");
    expect(statuses[statuses.length - 1]).toBe("completed");

    // Reconnect across a gap: everything after the given id, in order, nothing twice; a finished task's stream ends.
    const cut = seen[Math.floor(seen.length / 2)];
    const resumed = await readFrames((await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${ADMIN}`, "last-event-id": String(cut) })).body!, () => false, 3000);
    expect(ids(resumed)).toEqual(seen.filter((id) => id > cut));
    expect(resumed.map((f) => f.event)).toEqual(all.filter((f) => f.id != null && Number(f.id) > cut).map((f) => f.event));
  });

  it("resumes a live task without loss: missed history first, then new events", async () => {
    const task = await createTask({ agent: "researcher", title: "sse resume live", description: "@ask First?\n@ask Second?\n@output done" });
    const first = await waitForStatus(task.id, ["needs_input"]);
    const before = await readFrames((await stream(`/tasks/${task.id}/events`)).body!, (fs) => fs.some((f) => (f.data as { status?: string })?.status === "needs_input"));
    const last = Math.max(...ids(before));
    await api("POST", `/sessions/${first.session_id}/respond`, { body: { call_id: first.pending[0].call_id, answers: ["one"] } });
    const second = await waitForStatus(task.id, ["needs_input"]);
    expect(second.pending[0].call_id).not.toBe(first.pending[0].call_id);
    // Events happened while we were away; reconnect, then let the task finish live.
    const res = await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${ADMIN}`, "last-event-id": String(last) });
    const reading = readFrames(res.body!, (fs) => fs.some(isFinal));
    await new Promise((r) => setTimeout(r, 100));
    await api("POST", `/sessions/${second.session_id}/respond`, { body: { call_id: second.pending[0].call_id, answers: ["two"] } });
    const got = ids(await reading);
    expect(got[0]).toBe(last + 1);
    got.forEach((id, i) => expect(id).toBe(last + 1 + i));
  });

  it("pushes an event only once the write that stores it has committed: one rolled back reaches no stream, and its id is given again", async () => {
    const task = await createTask({ agent: "researcher", title: "sse rollback", description: "@ask Which region?\n@output done" });
    const waiting = await waitForStatus(task.id, ["needs_input"]);
    const before = await readFrames((await stream(`/tasks/${task.id}/events`)).body!, (fs) => fs.some((f) => (f.data as { status?: string })?.status === "needs_input"));
    const last = Math.max(...ids(before));
    const res = await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${ADMIN}`, "last-event-id": String(last) });
    const reading = readFrames(res.body!, (fs) => fs.some(isFinal));
    const text = (delta: string) => ({ type: "run.text" as const, task_id: task.id, step: "main", run_no: 1, delta });
    await runInDurableObject(taskStub(task.id), (o: TaskRunner) => {
      expect(() =>
        o.transact(() => {
          o.emit(text("rolled back"));
          throw new Error("boom");
        }),
      ).toThrow("boom");
      // a savepoint rolled back inside a transaction that commits: only the outer one's events go out
      o.transact(() => {
        o.emit(text("kept"));
        try {
          o.transact(() => {
            o.emit(text("rolled back too"));
            throw new Error("inner");
          });
        } catch {}
        o.emit(text("kept too"));
      });
    });
    await api("POST", `/sessions/${waiting.session_id}/respond`, { body: { call_id: waiting.pending[0].call_id, answers: ["EMEA"] } });
    const live = (await reading).filter((f) => f.id != null);
    const deltas = live.filter((f) => f.event === "run.text").map((f) => (f.data as { delta: string }).delta);
    expect(deltas.slice(0, 2)).toEqual(["kept", "kept too"]);
    expect(deltas.join(" ")).not.toContain("rolled back");
    live.forEach((f, i) => expect(Number(f.id)).toBe(last + 1 + i));
    // what went out live is what the log holds, id for id
    const stored = await readFrames((await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${ADMIN}`, "last-event-id": String(last) })).body!, () => false, 1000);
    expect(stored.map((f) => [f.id, f.event, f.data])).toEqual(live.map((f) => [f.id, f.event, f.data]));
  });

  it("answers a Last-Event-ID the task never gave with reset (at its last id), then goes on live", async () => {
    const task = await createTask({ agent: "researcher", title: "sse ahead", description: "@output done" });
    await waitForStatus(task.id, ["completed"]);
    const all = ids(await readFrames((await stream(`/tasks/${task.id}/events`)).body!, () => false, 1000));
    const frames = await readFrames((await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${ADMIN}`, "last-event-id": "500" })).body!, () => false, 1000);
    expect(frames).toEqual([{ id: String(Math.max(...all)), event: "reset", data: { type: "reset", reason: expect.stringContaining("ahead") } }]);
  });

  it("refuses a last_event_id or Last-Event-ID that is not an event id with 400, rather than replaying from the start", async () => {
    const task = await createTask({ agent: "researcher", title: "sse bad id", description: "@output done" });
    for (const bad of ["abc", "-5", "1.5", "1e3"]) {
      expectError(await api("GET", `/tasks/${task.id}/events?last_event_id=${bad}`), 400);
      expectError(await api("GET", `/events?last_event_id=${bad}`), 400);
      // the header as the query: a task's stream replayed everything, the feed went live, in silence
      for (const path of [`/tasks/${task.id}/events`, "/events"]) {
        const res = await api("GET", path, { headers: { "last-event-id": bad } });
        expectError(res, 400, "bad_request");
        expect(res.json.error.message).toMatch(/last-event-id.*an event id/);
      }
    }
  });

  it("refuses a Last-Event-ID header that is not an event id with 400 as well, takes an empty one as none, and documents it", async () => {
    const task = await createTask({ agent: "researcher", title: "sse bad header", description: "@output done" });
    await waitForStatus(task.id, ["completed"]);
    for (const path of [`/tasks/${task.id}/events`, "/events"]) {
      for (const bad of ["abc", "-5", "1.5", "1e3"]) {
        const res = await stream(path, { authorization: `Bearer ${ADMIN}`, "last-event-id": bad });
        if (res.status === 200) await res.body!.cancel();
        expect(res.status, `${path} ${bad}`).toBe(400);
        expect(((await res.json()) as { error: { details: { path: string }[] } }).error.details[0].path).toBe('["last-event-id"]');
      }
      const doc = (await api("GET", "/openapi.json", { token: null })).json;
      const op = doc.paths[path.replace(task.id, "{id}")].get as { parameters: { name: string; in: string }[] };
      expect(op.parameters).toContainEqual(expect.objectContaining({ name: "last-event-id", in: "header" }));
    }
    const frames = await readFrames((await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${ADMIN}`, "last-event-id": "" })).body!, () => false, 1000);
    expect(ids(frames)[0]).toBe(1);
  });

  it("is 404 for another organization's task and 401 without credentials", async () => {
    const other = await makeOrg(`org_sse_${crypto.randomUUID().slice(0, 8)}`);
    const task = await createTask({ agent: "researcher", title: "private", description: "@output x" });
    expectError(await api("GET", `/tasks/${task.id}/events`, { token: other }), 404);
    expectError(await api("GET", `/tasks/${task.id}/events`, { token: null }), 401);
    expectError(await api("GET", "/events", { token: null }), 401);
  });

  it("authenticates with the dashboard session cookie", async () => {
    const signIn = await api("POST", "/auth/session", { token: null, body: { token: ADMIN } });
    expect(signIn.status).toBe(200);
    const cookie = /fd_session=([^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1];
    expect(cookie).toBeTruthy();
    const task = await createTask({ agent: "researcher", title: "cookie stream", description: "@output x" });
    await waitForStatus(task.id, ["completed"]);
    const taskFrames = await readFrames((await stream(`/tasks/${task.id}/events`, { cookie: `fd_session=${cookie}` })).body!, (fs) => fs.some(isFinal));
    expect(taskFrames.some(isFinal)).toBe(true);
    const res = await stream("/events", { cookie: `fd_session=${cookie}` });
    expect(res.status).toBe(200);
    const feed = await readFrames(res.body!, (fs) => fs.length > 0);
    expect(feed[0].event).toBe("ready");
    expectError(await api("GET", "/events", { token: null, headers: { cookie: "fd_session=fds_not_a_session" } }), 401);
  });
});

describe("a revoked token's or signed-out session's streams", () => {
  /** Reads until the stream ends (cut off, as a lost authorization ends it, or done); false if it is still open after `ms`. */
  async function ends(body: ReadableStream<Uint8Array>, ms: number): Promise<boolean> {
    const reader = body.getReader();
    const deadline = Date.now() + ms;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        const next = await Promise.race([reader.read().catch(() => ({ done: true as const })), new Promise<null>((r) => setTimeout(() => r(null), left))]);
        if (next === null) return false;
        if (next.done) return true;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  it("end at once: the organization's feed and a task's stream, by bearer token and by its dashboard session", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "streams", role: "viewer" } });
    const signIn = await api("POST", "/auth/session", { token: null, body: { token: made.token } });
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const task = await createTask({ agent: "researcher", title: "watched", description: "@ask go on?\n@output x" });
    await waitForStatus(task.id, ["needs_input"]);
    const opened = await Promise.all([
      stream("/events", { authorization: `Bearer ${made.token}` }),
      stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${made.token}` }),
      stream("/events", { cookie }),
      stream(`/tasks/${task.id}/events`, { cookie }),
    ]);
    for (const res of opened) expect(res.status).toBe(200);
    const ending = opened.map((res) => ends(res.body!, 3000));
    await new Promise((r) => setTimeout(r, 100));
    expect((await api("DELETE", `/tokens/${made.id}`)).status).toBe(204);
    expect(await Promise.all(ending)).toEqual([true, true, true, true]);
    await api("DELETE", `/tasks/${task.id}`);
  });

  it("end at once when their dashboard session signs out, while the token's other streams stay open", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "signs out", role: "viewer" } });
    const signIn = await api("POST", "/auth/session", { token: null, body: { token: made.token } });
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const bySession = await stream("/events", { cookie });
    const byToken = await stream("/events", { authorization: `Bearer ${made.token}` });
    const sessionEnds = ends(bySession.body!, 3000);
    const tokenEnds = ends(byToken.body!, 1500);
    await new Promise((r) => setTimeout(r, 100));
    const out = await api("DELETE", "/auth/session", { token: null, headers: { cookie, origin: BASE } });
    expect(out.status, out.text).toBe(204);
    expect(await sessionEnds).toBe(true);
    expect(await tokenEnds).toBe(false);
  });

  it("end when their token expires, by bearer token and by its dashboard session", async () => {
    const at = Date.now() + 1200;
    const { json: made } = await api("POST", "/tokens", { body: { name: "expiring streams", role: "viewer", expires_at: new Date(at).toISOString() } });
    const signIn = await api("POST", "/auth/session", { token: null, body: { token: made.token } });
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const opened = await Promise.all([stream("/events", { authorization: `Bearer ${made.token}` }), stream("/events", { cookie })]);
    for (const res of opened) expect(res.status).toBe(200);
    expect(await Promise.all(opened.map((res) => ends(res.body!, at - Date.now() + 1500)))).toEqual([true, true]);
    expect(Date.now()).toBeGreaterThanOrEqual(at);
  });

  it("end when their dashboard session expires, at once rather than at their next check", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "session expires", role: "viewer" } });
    const signIn = await api("POST", "/auth/session", { token: null, body: { token: made.token } });
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const res = await stream("/events", { cookie });
    expect(res.status).toBe(200);
    const ending = ends(res.body!, 5000);
    // seven days on: the session's end is now, and its gate's alarm comes for it
    const at = Date.now() + 300;
    await env.DB.prepare("UPDATE auth_sessions SET expires_at = ? WHERE token_id = ?").bind(at, made.id).run();
    await (await gateOf(made.token)).sessionOpened(made.id, at);
    expect(await ending).toBe(true);
  });

  it("stay open while the token holds", async () => {
    const { json: made } = await api("POST", "/tokens", { body: { name: "kept", role: "viewer" } });
    const { json: other } = await api("POST", "/tokens", { body: { name: "revoked beside it", role: "viewer" } });
    const res = await stream("/events", { authorization: `Bearer ${made.token}` });
    const ending = ends(res.body!, 1000);
    expect((await api("DELETE", `/tokens/${other.id}`)).status).toBe(204);
    expect(await ending).toBe(false);
  });
});

describe("organization feed", () => {
  const feedOf = (org: string) => env.ORG_FEED.get(env.ORG_FEED.idFromName(org));

  it("carries task changes of its organization only", async () => {
    const org = `org_feed_${crypto.randomUUID().slice(0, 8)}`;
    const other = await makeOrg(org);
    const mine = await stream("/events", { authorization: `Bearer ${other}` });
    const reading = readFrames(mine.body!, (fs) => fs.some((f) => f.event === "task.updated" && (f.data as { status: string }).status === "completed"));
    await new Promise((r) => setTimeout(r, 50));
    const elsewhere = await createTask({ agent: "researcher", title: "not for you", description: "@output x" });
    const task = await createTask({ agent: "researcher", title: "feed me", description: "@output x" }, other);
    const frames = await reading;
    const taskIds = frames.filter((f) => f.event === "task.updated").map((f) => (f.data as { id: string }).id);
    expect(taskIds).toContain(task.id);
    expect(taskIds).not.toContain(elsewhere.id);
  });

  it("names each event's type in its data as well, for clients that read the data alone (onmessage): ready, task.updated, task.deleted, reset", async () => {
    const org = `org_typed_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const reading = readFrames((await stream("/events", { authorization: `Bearer ${token}` })).body!, (fs) => fs.some((f) => f.event === "task.deleted"));
    await new Promise((r) => setTimeout(r, 50));
    const task = await createTask({ agent: "researcher", title: "typed feed", description: "@output x" }, token);
    await waitForStatus(task.id, ["completed"], 10_000, token);
    const listed = (await api("GET", "/tasks?limit=1", { token })).json.items[0];
    expect((await api("DELETE", `/tasks/${task.id}/purge`, { token })).status).toBe(204);
    const frames = await reading;
    expect(frames.map((f) => f.event)).toEqual(expect.arrayContaining(["ready", "task.updated", "task.deleted"]));
    for (const f of frames) expect(f.data, f.event).toMatchObject({ type: f.event });
    // the rest is as it was: the task's summary
    const done = frames.find((f) => f.event === "task.updated" && (f.data as { status: string }).status === "completed")!;
    const { type, ...item } = done.data as { type: string };
    expect(type).toBe("task.updated");
    expect(item).toEqual(listed);
    const reset = await readFrames((await stream("/events", { authorization: `Bearer ${token}`, "last-event-id": "1" })).body!, (fs) => fs.length >= 1);
    expect(reset[0]).toMatchObject({ event: "reset", data: { type: "reset" } });
  });

  it("lists a task that waits for a slot as soon as it is created, not when it starts", async () => {
    const org = `org_wait_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human"] } });
    expect((await api("PATCH", "/settings", { token, body: { max_concurrent_tasks: 1 } })).status).toBe(200);
    const holder = await createTask({ agent: "researcher", title: "holds the slot", description: "@ask go on?\n@output x" }, token);
    while ((await api("GET", `/tasks/${holder.id}`, { token })).json.status !== "needs_input") await new Promise((r) => setTimeout(r, 20));

    const feed = await stream("/events", { authorization: `Bearer ${token}` });
    let waitingId = "";
    const reading = readFrames(feed.body!, (fs) => fs.some((f) => (f.data as { id?: string }).id === waitingId));
    await new Promise((r) => setTimeout(r, 50));
    const waiting = await createTask({ agent: "researcher", title: "waits for the slot", description: "@output x" }, token);
    waitingId = waiting.id;
    const heard = (await reading).filter((f) => f.event === "task.updated" && (f.data as { id: string }).id === waiting.id);
    expect(heard.map((f) => (f.data as { status: string }).status)).toEqual(["pending"]);
    expect(heard[0].data).toMatchObject({ id: waiting.id, title: "waits for the slot", status: "pending" });
    expect((await api("GET", `/tasks/${waiting.id}`, { token })).json.status).toBe("pending");
    await api("DELETE", `/tasks/${waiting.id}`, { token });
    await api("DELETE", `/tasks/${holder.id}`, { token });
  });

  it("hears of a start in order with the run's end when that comes in the same turn, else on its own, while D1 takes it with the next write: a short task's row is written once, finished", async () => {
    await env.DB.exec("CREATE TABLE IF NOT EXISTS test_index_writes (task_id TEXT NOT NULL, status TEXT NOT NULL)");
    await env.DB.exec(
      "CREATE TRIGGER IF NOT EXISTS test_count_index_writes AFTER UPDATE OF index_version ON tasks BEGIN INSERT INTO test_index_writes VALUES (new.id, new.status); END",
    );
    const feed = await stream("/events");
    let shortId = "";
    const done = (fs: Frame[]) => fs.some((f) => (f.data as { id?: string }).id === shortId && (f.data as { status?: string }).status === "completed");
    const reading = readFrames(feed.body!, done);
    await new Promise((r) => setTimeout(r, 50));
    const short = await createTask({ agent: "researcher", title: "short", description: "@output x" });
    shortId = short.id;
    const seen = (await reading).filter((f) => (f.data as { id?: string }).id === short.id).map((f) => (f.data as { status: string }).status);
    expect(seen).toEqual(["in_progress", "completed"]);
    await waitForStatus(short.id, ["completed"]);
    const writes = await env.DB.prepare("SELECT status FROM test_index_writes WHERE task_id = ?").bind(short.id).all<{ status: string }>();
    expect(writes.results.map((w) => w.status)).toEqual(["completed"]);

    const longFeed = await stream("/events");
    let longId = "";
    const started = readFrames(longFeed.body!, (fs) => fs.some((f) => (f.data as { id?: string }).id === longId));
    await new Promise((r) => setTimeout(r, 50));
    const long = await createTask({ agent: "researcher", title: "long", description: "@delay 1500\n@output x" });
    longId = long.id;
    // a run that goes on past its first turn: the feed hears of its start on its own, before it ends
    expect((await started).filter((f) => (f.data as { id?: string }).id === long.id).map((f) => (f.data as { status: string }).status)).toEqual(["in_progress"]);
    await waitForStatus(long.id, ["in_progress"]);
    await new Promise((r) => setTimeout(r, 600));
    const row = await env.DB.prepare("SELECT status FROM tasks WHERE id = ?").bind(long.id).first<{ status: string }>();
    expect(row?.status).toBe("in_progress");
    await env.DB.exec("DROP TRIGGER test_count_index_writes");
  });

  it("replays inside the window and sends reset outside it", { timeout: 60_000 }, async () => {
    const feed = feedOf(`org_window_${crypto.randomUUID()}`);
    const base = (await feed.publish("task.updated", { n: 1 })) - 1;
    for (let i = 2; i <= 30; i++) await feed.publish("task.updated", { n: i });
    const inside = await readFrames((await subscribeToFeed(feed, base + 20, 10))!, (fs) => fs.length >= 10);
    expect(ids(inside)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30].map((n) => base + n));
    expect(inside.map((f) => (f.data as { n: number }).n)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);

    const upToDate = await readFrames((await subscribeToFeed(feed, base + 30, 10))!, (fs) => fs.length >= 1);
    expect(upToDate[0].event).toBe("ready");
    const fromFuture = await readFrames((await subscribeToFeed(feed, base + 31, 10))!, (fs) => fs.length >= 1);
    expect(fromFuture[0]).toMatchObject({ event: "reset", data: { reason: expect.stringContaining("never gave that id") } });

    await Promise.all(Array.from({ length: 1100 }, (_, i) => feed.publish("task.updated", { n: 31 + i })));
    const old = await readFrames((await subscribeToFeed(feed, base + 5, 10))!, (fs) => fs.length >= 1);
    expect(old[0]).toMatchObject({ event: "reset", data: { reason: expect.stringContaining("older than the replay window") } });
    expect(Number(old[0].id)).toBe(base + 1130);
    const edge = await readFrames((await subscribeToFeed(feed, base + 1125, 10))!, (fs) => fs.length >= 5);
    expect(ids(edge)).toEqual([1126, 1127, 1128, 1129, 1130].map((n) => base + n));
    const oldest = await readFrames((await subscribeToFeed(feed, base + 130, 10))!, (fs) => fs.length >= 1000);
    expect(ids(oldest)).toEqual(Array.from({ length: 1000 }, (_, i) => base + 131 + i));
    expect((await readFrames((await subscribeToFeed(feed, base + 129, 10))!, (fs) => fs.length >= 1))[0].event).toBe("reset");
  });

  it("keeps its window in memory: a new instance's ids follow the last one's, and an id from before gets reset", async () => {
    const name = `org_restart_${crypto.randomUUID()}`;
    const before = await feedOf(name).publish("task.updated", { n: 1 });
    // a new instance: the old one is gone, as after an eviction or a deploy
    await runInDurableObject(feedOf(name), (_o, state) => state.abort("restart")).catch(() => {});
    const after = await feedOf(name).publish("task.updated", { n: 2 });
    expect(after).toBeGreaterThan(before);
    const resumed = await readFrames((await subscribeToFeed(feedOf(name), before, 10))!, (fs) => fs.length >= 1);
    expect(resumed[0].event).toBe("reset");
    expect(Number(resumed[0].id)).toBe(after);
  });

  it("wraps its epochs before ids lose precision: an id from before the wrap gets reset", async () => {
    const name = `org_wrap_${crypto.randomUUID()}`;
    await feedOf(name).publish("task.updated", { n: 1 });
    await runInDurableObject(feedOf(name), (_o, state) => state.storage.kv.put("epoch", 2 ** 20 - 1));
    await runInDurableObject(feedOf(name), (_o, state) => state.abort("restart")).catch(() => {});
    const last = await feedOf(name).publish("task.updated", { n: 2 });
    expect(Number.isSafeInteger(last)).toBe(true);
    await runInDurableObject(feedOf(name), (_o, state) => state.abort("restart")).catch(() => {});
    const wrapped = await feedOf(name).publish("task.updated", { n: 3 });
    expect(wrapped).toBeLessThan(last);
    const resumed = await readFrames((await subscribeToFeed(feedOf(name), last, 10))!, (fs) => fs.length >= 1);
    expect(resumed[0].event).toBe("reset");
  });

  it("delivers live events after the replay, without duplicates", async () => {
    const feed = feedOf(`org_live_${crypto.randomUUID()}`);
    const base = (await feed.publish("task.updated", { n: 1 })) - 1;
    for (let i = 2; i <= 5; i++) await feed.publish("task.updated", { n: i });
    const s = (await subscribeToFeed(feed, base + 2, 10))!;
    const reading = readFrames(s, (fs) => fs.length >= 8);
    for (let i = 6; i <= 10; i++) await feed.publish("task.updated", { n: i });
    expect(ids(await reading)).toEqual([3, 4, 5, 6, 7, 8, 9, 10].map((n) => base + n));
  });

  it("gives its ready frame the feed's last id, so a client that has seen nothing else resumes from it without loss", async () => {
    const org = `org_ready_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    await feedOf(org).publish("task.updated", { n: 1 });
    const first = await readFrames((await stream("/events", { authorization: `Bearer ${token}` })).body!, (fs) => fs.length >= 1);
    expect(first[0].event).toBe("ready");
    expect(first[0].id).toBe(String((first[0].data as { last_event_id: number }).last_event_id));
    // what happens while it is away: an EventSource reconnects with the last id it was given
    const missed = [await feedOf(org).publish("task.updated", { n: 2 }), await feedOf(org).publish("task.updated", { n: 3 })];
    const resumed = await readFrames((await stream("/events", { authorization: `Bearer ${token}`, "last-event-id": first[0].id! })).body!, (fs) => fs.length >= 2);
    expect(ids(resumed)).toEqual(missed);
  });

  it("sends heartbeats on idle streams at the configured interval", async () => {
    const feed = feedOf(`org_hb_${crypto.randomUUID()}`);
    const frames = await readFrames((await subscribeToFeed(feed, null, 10, 50))!, (fs) => fs.filter((f) => f.comment === "heartbeat").length >= 2, 3000);
    expect(frames.filter((f) => f.comment === "heartbeat").length).toBeGreaterThanOrEqual(2);
  });

  it("refuses streams past the organization's limit (429 over HTTP)", async () => {
    const feed = feedOf(`org_limit_${crypto.randomUUID()}`);
    const a = (await subscribeToFeed(feed, null, 2))!;
    const b = (await subscribeToFeed(feed, null, 2))!;
    expect(await subscribeToFeed(feed, null, 2)).toBeNull();
    await a.cancel();
    await b.cancel();
    // The route turns the refusal into 429 with retry-after.
    const org = `org_http_limit_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const open: ReadableStream<Uint8Array>[] = [];
    const max = Number(env.MAX_STREAMS_PER_ORG ?? 1000);
    try {
      for (let i = 0; i < max; i++) open.push((await subscribeToFeed(feedOf(org), null, max))!);
      const res = await api("GET", "/events", { token });
      expectError(res, 429, "rate_limited");
      expect(res.headers.get("retry-after")).toBeTruthy();
    } finally {
      await Promise.all(open.map((s) => s.cancel().catch(() => {})));
    }
  });

  it("counts a task's streams against the organization's limit with the feed's: 429 past it, and the slot back once the stream ends", async () => {
    const org = `org_task_streams_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    await api("PUT", "/agents/researcher", { token, body: { name: "researcher", model: "sim", tools: ["ask_human"] } });
    const task = await createTask({ agent: "researcher", title: "watched", description: "@ask go on?\n@output x" }, token);
    const waiting = await waitForStatus(task.id, ["needs_input"], 10_000, token);
    const max = Number(env.MAX_STREAMS_PER_ORG);
    const feeds: ReadableStreamDefaultReader<Uint8Array>[] = [];
    try {
      for (let i = 0; i < max - 1; i++) {
        const reader = (await subscribeToFeed(feedOf(org), null, max))!.getReader();
        await reader.read();
        feeds.push(reader);
      }
      const first = await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${token}` });
      expect(first.status).toBe(200);
      const reader = first.body!.getReader();
      await reader.read();
      expect(await feedOf(org).openStreams()).toBe(max);
      for (const path of [`/tasks/${task.id}/events`, "/events"]) {
        const res = await api("GET", path, { token });
        expectError(res, 429, "rate_limited");
        expect(res.json.error.message).toContain(`MAX_STREAMS_PER_ORG, ${max}`);
        expect(res.headers.get("retry-after")).toBeTruthy();
      }
      // the refused streams gave their token slots back
      expect(await (await gateOf(token)).openStreams()).toBe(1);
      // a client that went away is seen at the task's next write
      await reader.cancel();
      await api("POST", `/sessions/${waiting.session_id}/respond`, { token, body: { call_id: waiting.pending[0].call_id, answers: ["yes"] } });
      await expect.poll(() => feedOf(org).openStreams(), { timeout: 5000 }).toBe(max - 1);
      await expect.poll(async () => (await gateOf(token)).openStreams(), { timeout: 5000 }).toBe(0);
      const again = await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${token}` });
      expect(again.status).toBe(200);
      await again.body!.cancel();
    } finally {
      await Promise.all(feeds.map((r) => r.cancel().catch(() => {})));
    }
  });

  it("counts a task's stream again after the feed restarted and forgot it, at the stream's next check", async () => {
    const org = `org_task_streams_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const task = await createTask({ agent: "researcher", title: "watched", description: "@delay 30000\n@output x" }, token);
    const res = await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${token}` });
    const reader = res.body!.getReader();
    await reader.read();
    expect(await feedOf(org).openStreams()).toBe(1);
    await runInDurableObject(feedOf(org), (_o, state) => state.abort("restart")).catch(() => {});
    expect(await feedOf(org).openStreams()).toBe(0);
    // a stream checks its authorization at least once a minute; a wake-up makes it check now
    await (await gateOf(token)).wake();
    await expect.poll(() => feedOf(org).openStreams(), { timeout: 5000 }).toBe(1);
    await reader.cancel();
    await api("DELETE", `/tasks/${task.id}`, { token });
    await expect.poll(() => feedOf(org).openStreams(), { timeout: 5000 }).toBe(0);
  });

  it("drops a client that stops reading, and keeps serving the others", async () => {
    const feed = feedOf(`org_slow_${crypto.randomUUID()}`);
    const slow = (await subscribeToFeed(feed, null, 10))!;
    const fast = (await subscribeToFeed(feed, null, 10))!;
    const reading = readFrames(fast, (fs) => fs.length >= 201, 15_000);
    const big = "x".repeat(4000);
    for (let i = 0; i < 200; i++) await feed.publish("task.updated", { i, big });
    expect((await reading).length).toBe(201);
    expect(await feed.openStreams()).toBeLessThanOrEqual(1);
    await slow.cancel().catch(() => {});
  });

  it("lets go of a client that went away at the next write to its stream, so it holds none of the organization's stream slots", async () => {
    const org = `org_gone_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const gone = await stream("/events", { authorization: `Bearer ${token}` });
    const staying = await stream("/events", { authorization: `Bearer ${token}` });
    const reading = readFrames(staying.body!, (fs) => fs.some((f) => f.event === "task.updated"));
    await readFrames(gone.body!, (fs) => fs.length > 0);
    expect(await feedOf(org).openStreams()).toBe(2);
    await feedOf(org).publish("task.updated", { id: "tsk_after" });
    await expect.poll(() => feedOf(org).openStreams()).toBe(1);
    expect((await reading).some((f) => (f.data as { id?: string } | null)?.id === "tsk_after")).toBe(true);

    // a heartbeat is such a write too
    const quiet = `org_quiet_${crypto.randomUUID()}`;
    await (await subscribeToFeed(feedOf(quiet), null, 10, 50))!.cancel();
    await expect.poll(() => feedOf(quiet).openStreams()).toBe(0);
  });

  it("lets go of a stream that took nothing for a whole heartbeat interval while writes waited (a client gone without a word)", async () => {
    const feed = feedOf(`org_stalled_${crypto.randomUUID()}`);
    const stalled = (await subscribeToFeed(feed, null, 10, 100))!;
    const reader = stalled.getReader();
    await reader.read();
    // less than the backlog that drops a slow client, but more than the pipe between holds
    const big = "x".repeat(4000);
    for (let i = 0; i < 40; i++) await feed.publish("task.updated", { i, big });
    await expect.poll(() => feed.openStreams(), { timeout: 3000 }).toBe(0);
    await reader.cancel().catch(() => {});
  });
});

describe("open streams per token", () => {
  it("answers a HEAD with the stream's headers and opens no stream, so it holds no slot", async () => {
    const org = `org_head_streams_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const task = await createTask({ agent: "researcher", title: "looked at" }, token);
    for (const path of ["/events", `/tasks/${task.id}/events`]) {
      const res = await workerFetch(new Request(`${BASE}/api/v1${path}`, { method: "HEAD", headers: { authorization: `Bearer ${token}` } }));
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
    }
    expect(await (await gateOf(token)).openStreams()).toBe(0);
    expect(await env.ORG_FEED.get(env.ORG_FEED.idFromName(org)).openStreams()).toBe(0);
  });

  it("refuses a token's stream past MAX_STREAMS_PER_TOKEN with a 429 naming the cap, task streams and the feed alike, and leaves the organization's other tokens theirs", async () => {
    const org = `org_token_streams_${crypto.randomUUID().slice(0, 8)}`;
    const token = await makeOrg(org);
    const other = (await api("POST", "/tokens", { token, body: { name: "another dashboard", role: "viewer" } })).json.token as string;
    const task = await createTask({ agent: "researcher", title: "watched" }, token);
    const cap = streamsPerToken(env);
    // the benchmark opens 500 streams on one token
    expect(cap).toBeGreaterThanOrEqual(500);
    const gate = await gateOf(token);
    const first = await stream("/events", { authorization: `Bearer ${token}` });
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    await reader.read();
    expect(await gate.openStreams()).toBe(1);
    const held = Array.from({ length: cap - 1 }, (_, i) => `held_${i}`);
    for (const id of held) expect(await gate.openStream(id, cap)).toBe(true);
    for (const path of ["/events", `/tasks/${task.id}/events`]) {
      const res = await api("GET", path, { token });
      expectError(res, 429, "rate_limited");
      expect(res.json.error.message).toContain(`MAX_STREAMS_PER_TOKEN, ${cap}`);
      expect(res.headers.get("retry-after")).toBeTruthy();
    }
    expect(await gate.openStreams()).toBe(cap);
    const theirs = await stream("/events", { authorization: `Bearer ${other}` });
    expect(theirs.status).toBe(200);
    await theirs.body!.cancel();
    // a stream that ends gives its slot back (its end is seen at its next write)
    await reader.cancel();
    await env.ORG_FEED.get(env.ORG_FEED.idFromName(org)).publish("task.updated", { id: "tsk_after" });
    await expect.poll(() => env.ORG_FEED.get(env.ORG_FEED.idFromName(org)).openStreams()).toBe(0);
    await expect.poll(() => gate.openStreams(), { timeout: 5000 }).toBe(cap - 1);
    const again = await stream(`/tasks/${task.id}/events`, { authorization: `Bearer ${token}` });
    expect(again.status).toBe(200);
    await again.body!.cancel();
    for (const id of held) await gate.closeStream(id);
  });
});
