import { describe, expect, it } from "vitest";
import { ADMIN, api, BASE, createTask, until, waitForStatus, workerFetch } from "../helpers";

async function readEvents(id: string, until: (type: string) => boolean) {
  const res = await workerFetch(new Request(`${BASE}/api/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${ADMIN}` } }));
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (type && data) events.push({ type, data: JSON.parse(data) });
        if (type && until(type)) return events;
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

describe("live model output", () => {
  it("streams a turn's text while it runs, before the turn is stored", async () => {
    const task = await createTask({ agent: "writer", title: "stream", description: "@delay 800\n@output one two three four five six seven eight nine ten" });
    const events = await readEvents(task.id, (type) => type === "run.turn");
    const texts = events.filter((e) => e.type === "run.text");
    expect(texts.length).toBeGreaterThan(1);
    const turnAt = events.findIndex((e) => e.type === "run.turn");
    expect(events.findIndex((e) => e.type === "run.text")).toBeLessThan(turnAt);
    // the whole of it, by the turn's event: what was held back to be masked whole goes out as the turn ends
    expect(texts.map((e) => e.data.delta).join("")).toBe("one two three four five six seven eight nine ten");
    await waitForStatus(task.id, ["completed"]);
  });

  it("masks a secret split between two streamed pieces as the stored turn does", async () => {
    // sim streams this in two-word pieces 320 ms apart, each its own event: "Bearer" ends one, the token starts the next
    const task = await createTask({ agent: "writer", title: "stream a secret", description: "@delay 1600\n@output call with Authorization: Bearer abcdefgh12345678 and then stop there please" });
    const events = await readEvents(task.id, (type) => type === "run.turn");
    const streamed = events.filter((e) => e.type === "run.text").map((e) => e.data.delta).join("");
    expect(streamed).toBe("call with Authorization: Bearer [masked] and then stop there please");
    const done = await waitForStatus(task.id, ["completed"]);
    expect(done.output).toContain("abcdefgh12345678");
  });

  it("keeps in a cancelled run's interrupted text what the stream still held back", async () => {
    // sim streams two words every 2 s: once "a1 a2 " is live, "a3 a4 " has come and is held back
    const task = await createTask({ agent: "writer", title: "cancel mid-stream", description: "@delay 16000\n@output a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16" });
    const trace = () => api("GET", `/tasks/${task.id}/steps/main/runs/1/trace`).then((r) => r.json);
    await until("live text", trace, (t) => typeof t.live_text === "string" && t.live_text.startsWith("a1 a2 "));
    expect((await api("DELETE", `/tasks/${task.id}`)).status).toBe(200);
    const after = await until("cancelled", trace, (t) => t.status === "cancelled");
    expect(after.interrupted_text).toMatch(/^a1 a2 a3 a4 (a\d+ )*$/);
  });
});
