import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { csvField, EXPORT_CAP } from "../../worker/api/export";
import { api, BASE, expectError, makeOrg } from "../helpers";
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
  const res = await exports.default.fetch(new Request(`${BASE}/api/v1/tasks/export?${query}`, { headers: { authorization: `Bearer ${token}` } }));
  return { status: res.status, headers: res.headers, text: await res.text() };
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
    const rows = parseCsv(res.text);
    expect(rows).toHaveLength(EXPORT_CAP + 1);
    expect(rows[1][1]).toBe("Bulk 0");
    expect(rows.at(-1)![1]).toBe(`Bulk ${EXPORT_CAP - 1}`);
    const fewer = await download(token, "format=json&created_to=2026-04-01T00:00:05Z");
    expect(fewer.headers.get("x-export-truncated")).toBe("false");
    expect(JSON.parse(fewer.text)).toHaveLength(5001);
  }, 120_000);

  it("answers 400 for a bad format, range or filter, and 401 without a token", async () => {
    const { token } = await org();
    expectError(await api("GET", "/tasks/export?format=xml", { token }), 400);
    expectError(await api("GET", "/tasks/export?created_from=2026-05-02&created_to=2026-05-01", { token }), 400);
    expectError(await api("GET", "/tasks/export?status=sleeping", { token }), 400);
    expectError(await api("GET", "/tasks/export", { token: null }), 401);
  });
});
