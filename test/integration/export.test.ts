import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { csvField, EXPORT_CAP } from "../../worker/api/export";
import { api, BASE, expectError, makeOrg, workerFetch } from "../helpers";
import { seed } from "./list-seed";

const T0 = Date.parse("2026-04-01T00:00:00Z");

async function org() {
  const orgId = `org_export_${crypto.randomUUID().slice(0, 8)}`;
  return { orgId, token: await makeOrg(orgId) };
}

/** A small RFC 4180 reader, so the test checks what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(field), (field = "");
    else if (ch === "\r" && text[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

async function download(token: string, query: string) {
  const res = await workerFetch(new Request(`${BASE}/api/v1/tasks/export?${query}`, { headers: { authorization: `Bearer ${token}` } }));
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The Worker's D1, but from the `pages`-th page of an export's rows on, D1 answers an error (a lost connection, a reset). */
function failingDb(pages: number): D1Database {
  let read = 0;
  return new Proxy(env.DB, {
    get(db, key) {
      if (key !== "prepare") return Reflect.get(db, key, db);
      return (sql: string) => {
        const stmt = db.prepare(sql);
        if (!sql.startsWith("SELECT seq, duration_ms")) return stmt;
        if (++read < pages) return stmt;
        const fail = () => Promise.reject(new Error("D1_ERROR: Network connection lost."));
        return { bind: () => ({ all: fail, first: fail, run: fail, raw: fail }) };
      };
    },
  });
}

/** The body as far as it goes, and the error that ended it, if one did. */
async function readAll(body: ReadableStream<Uint8Array>): Promise<{ text: string; error: unknown }> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let text = "";
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value, { stream: true });
    return { text, error: null };
  } catch (error) {
    return { text, error };
  }
}

async function downloadFrom(db: D1Database, token: string, query: string) {
  const res = await worker.fetch(new Request(`${BASE}/api/v1/tasks/export?${query}`, { headers: { authorization: `Bearer ${token}` } }), { ...env, DB: db }, createExecutionContext());
  return { status: res.status, ...(await readAll(res.body!)) };
}

describe("csvField", () => {
  it("quotes commas, quotes and line breaks, and defuses formulas", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("=SUM(A1:A9)")).toBe("'=SUM(A1:A9)");
    expect(csvField("@cmd, x")).toBe(`"'@cmd, x"`);
    for (const lead of ["+", "-", "\t", "\r", "\0"]) expect(csvField(`${lead}1+2`).startsWith(`'${lead}`) || csvField(`${lead}1+2`).startsWith(`"'${lead}`), JSON.stringify(lead)).toBe(true);
    expect(csvField(null)).toBe("");
    expect(csvField(0.25)).toBe("0.25");
  });
});

describe("GET /tasks/export", () => {
  it("streams the filtered list as CSV in the list's order, every awkward title intact", async () => {
    const { orgId, token } = await org();
    const titles = ['Quarterly, "final" report', "line one\nline two", "=HYPERLINK(\"x\")", "plain", "crlf\r\nend"];
    const ids = await seed(orgId, titles.map((title, i) => ({ title, cost_nanos: (i + 1) * 1_000_000, created_at: T0 + i * 1000, started_at: T0 + i * 1000, finished_at: T0 + i * 1000 + 2500 })));
    await seed(orgId, [{ title: "Too early", created_at: T0 - 86_400_000 }]);
    const res = await download(token, "format=csv&sort=cost&created_from=2026-04-01");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="tasks-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.headers.get("x-export-truncated")).toBe("false");
    expect(res.headers.get("x-export-cap")).toBe(String(EXPORT_CAP));
    const rows = parseCsv(res.text);
    expect(rows[0].slice(0, 4)).toEqual(["id", "title", "status", "source"]);
    expect(rows.slice(1).map((r) => r[0])).toEqual([...ids].reverse());
    const col = (name: string) => rows[0].indexOf(name);
    expect(rows.slice(1).map((r) => r[col("title")])).toEqual(
      [...titles].reverse().map((t) => (t.startsWith("=") ? `'${t}` : t)),
    );
    expect(rows[1][col("cost_usd")]).toBe("0.005");
    // below a millionth of a dollar too: String(9e-9) would have written 9e-9
    await seed(orgId, [{ title: "tiny", cost_nanos: 9, created_at: T0 + 9000 }]);
    const tiny = parseCsv((await download(token, "format=csv&q=tiny")).text);
    expect(tiny[1][col("cost_usd")]).toBe("0.000000009");
    expect(rows[1][col("duration_ms")]).toBe("2500");
    // Anthropic's cache writes are priced apart: without them a row's cost cannot be worked out from its tokens
    expect(rows.slice(1).map((r) => r[col("tokens_cache_write")])).toEqual(titles.map(() => "0"));
    expect(rows[1][col("created_at")]).toBe(new Date(T0 + 4000).toISOString());
    expect(rows.every((r) => r.length === rows[0].length)).toBe(true);
  });

  it("exports JSON: an array of the same items the list answers", async () => {
    const { orgId, token } = await org();
    await seed(orgId, Array.from({ length: 7 }, (_, i) => ({ title: `J ${i}`, status: i % 2 ? "failed" : "completed", created_at: T0 + i, finished_at: T0 + i + 5 })));
    const res = await download(token, "format=json&status=failed&sort=oldest");
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const items = JSON.parse(res.text) as { title: string }[];
    expect(items.map((t) => t.title)).toEqual(["J 1", "J 3", "J 5"]);
    const list = await api("GET", "/tasks?status=failed&sort=oldest", { token });
    expect(items).toEqual(list.json.items);
    const empty = await download(token, "format=json&q=nothingmatches");
    expect(JSON.parse(empty.text)).toEqual([]);
    expect(parseCsv((await download(token, "q=nothingmatches")).text)).toHaveLength(1);
  });

  it(`stops at ${EXPORT_CAP.toLocaleString("en")} rows and says so`, async () => {
    const { orgId, token } = await org();
    await seed(orgId, Array.from({ length: EXPORT_CAP + 1 }, (_, i) => ({ title: `Bulk ${i}`, created_at: T0 + i })));
    const res = await download(token, "format=csv&sort=oldest");
    expect(res.headers.get("x-export-truncated")).toBe("true");
    // a browser's download shows no header: the file's name says it is not all
    expect(res.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="tasks-\\d{4}-\\d{2}-\\d{2}-first-${EXPORT_CAP}\\.csv"$`));
    const rows = parseCsv(res.text);
    expect(rows).toHaveLength(EXPORT_CAP + 1);
    expect(rows[1][1]).toBe("Bulk 0");
    expect(rows.at(-1)![1]).toBe(`Bulk ${EXPORT_CAP - 1}`);
    const fewer = await download(token, "format=json&created_to=2026-04-01T00:00:05Z");
    expect(fewer.headers.get("x-export-truncated")).toBe("false");
    expect(fewer.headers.get("content-disposition")).toMatch(/^attachment; filename="tasks-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(JSON.parse(fewer.text)).toHaveLength(5001);
  }, 120_000);

  it("ends a download that D1 cuts off part-way with a line saying so and a stream error, never as a whole file; one that cannot start is a JSON error", async () => {
    const { orgId, token } = await org();
    await seed(orgId, Array.from({ length: 1200 }, (_, i) => ({ title: `Cut ${i}`, created_at: T0 + i })));
    const csv = await downloadFrom(failingDb(2), token, "format=csv");
    expect(csv.status).toBe(200);
    expect(String(csv.error)).toMatch(/export cut off after 500 rows/);
    const rows = parseCsv(csv.text);
    expect(rows.slice(1, -1).map((r) => r[1])).toEqual(Array.from({ length: 500 }, (_, i) => `Cut ${1199 - i}`));
    expect(rows.at(-1)).toHaveLength(1);
    expect(rows.at(-1)![0]).toMatch(/^#export cut off after 500 rows by an error: this file is incomplete; export again \(request [\w-]+\)$/);
    const json = await downloadFrom(failingDb(2), token, "format=json");
    expect(json.status).toBe(200);
    expect(json.error).toBeTruthy();
    expect(() => JSON.parse(json.text)).toThrow();
    const last = JSON.parse(json.text.slice(json.text.lastIndexOf(',{"error"') + 1));
    expect(last.error).toMatchObject({ code: "export_cut_off", message: expect.stringContaining("after 500 rows") });
    expect(json.text.split('{"id":"tsk_')).toHaveLength(501);
    for (const format of ["csv", "json"]) {
      const before = await downloadFrom(failingDb(1), token, `format=${format}`);
      expect(before.status).toBe(500);
      expect(JSON.parse(before.text).error.code).toBe("internal");
    }
    const whole = await downloadFrom(env.DB, token, "format=json");
    expect(whole.error).toBeNull();
    expect(JSON.parse(whole.text)).toHaveLength(1200);
  });

  it("answers 400 for a bad format, range or filter, and 401 without a token", async () => {
    const { token } = await org();
    expectError(await api("GET", "/tasks/export?format=xml", { token }), 400);
    for (const path of ["/tasks/export", "/tasks"]) {
      for (const range of ["created_from=2026-05-02&created_to=2026-05-01", "created_from=2026-05-01T10:00:00Z&created_to=2026-05-01T11:00:00%2B02:00"]) {
        const reversed = await api("GET", `${path}?${range}`, { token });
        expectError(reversed, 400, "bad_request");
        expect(reversed.json.error.details).toEqual([{ path: "created_to", message: "before created_from: the range holds no time" }]);
      }
    }
    expectError(await api("GET", "/tasks/export?status=sleeping", { token }), 400);
    expectError(await api("GET", "/tasks/export", { token: null }), 401);
  });
});
