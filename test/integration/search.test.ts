import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createTask, makeOrg, waitForStatus } from "../helpers";

const HOSTILE = [
  '"', '""', "'", "*", "**", "-", "+", ":", "^", "(", ")", "{", "}", "[", "]", "\\", "NEAR", "NEAR(a b, 2)", "a OR b", "a AND b", "NOT a",
  "title:x", "{title description}:x", "tags : o", "- tags", "a -b", '"unterminated', "x*", "*x", "co*", "^start", "a + b", "col:*",
  "'; DROP TABLE tasks; --", "%", "_", "___", "%_%", "\u0000", "\u200b", "e\u0301", "naïve café", "Ǆemo", "ﬁle", "Ⅻ", "١٢٣",
  "日本語のタスク", "emoji 🚀🔥", "מבחן", "𝓯𝓪𝓷𝓬𝔂", "\uE000o6f72", "a".repeat(500), "word ".repeat(100), "é".repeat(250),
  Array.from({ length: 60 }, (_, i) => `w${i}`).join(" "),
];

describe("name search", () => {
  it("never errors, whatever the text", async () => {
    for (const q of HOSTILE) {
      const qs = `q=${encodeURIComponent(q)}`;
      const [list, filtered, summary] = await Promise.all([
        api("GET", `/tasks?${qs}&limit=5`),
        api("GET", `/tasks?${qs}&status=completed&source=api&agent=researcher`),
        api("GET", `/tasks/summary?${qs}`),
      ]);
      expect(list.status, `${JSON.stringify(q)}: ${list.text}`).toBe(200);
      expect(Array.isArray(list.json.items)).toBe(true);
      expect(filtered.status, JSON.stringify(q)).toBe(200);
      expect(summary.status, JSON.stringify(q)).toBe(200);
      expect(Object.keys(summary.json.counts)).toHaveLength(6);
    }
  });

  it("matches word prefixes in title and description, folds case and accents, ANDs words", async () => {
    const tag = `zq${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const a = await createTask({ agent: "researcher", title: `Quarterly ${tag}alpha Café review`, description: "@output x" });
    const b = await createTask({ agent: "researcher", title: `Other ${tag}beta`, description: `@output y\nmentions résumé parsing` });
    const find = async (q: string) => ((await api("GET", `/tasks?q=${encodeURIComponent(q)}`)).json.items as { id: string }[]).map((t) => t.id);
    expect(await find(tag)).toEqual([b.id, a.id]);
    expect(await find(`${tag}al`)).toEqual([a.id]);
    expect(await find(`${tag.toUpperCase()}BETA`)).toEqual([b.id]);
    expect(await find(`${tag} cafe`)).toEqual([a.id]);
    expect(await find(`${tag} RESUME`)).toEqual([b.id]);
    expect(await find(`"${tag}alpha" OR ${tag}beta`)).toEqual([]);
    expect(await find(`${tag} -review`)).toEqual([a.id]);
  });

  it("finds a word inside a title or description in Japanese or Chinese, which have no spaces between words", async () => {
    const tag = `zj${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const a = await createTask({ agent: "researcher", title: `${tag} 東京の市場調査レポート`, description: "@output x" });
    const b = await createTask({ agent: "researcher", title: `${tag} 北京`, description: "@output y\n分析客户流失的原因" });
    const find = async (q: string) => ((await api("GET", `/tasks?q=${encodeURIComponent(q)}`)).json.items as { id: string }[]).map((t) => t.id);
    expect(await find(`${tag} 市場`)).toEqual([a.id]);
    expect(await find(`${tag} 市場調査`)).toEqual([a.id]);
    expect(await find(`${tag} レポート`)).toEqual([a.id]);
    expect(await find(`${tag} 京`)).toEqual([b.id, a.id]);
    expect(await find(`${tag} 客户流失`)).toEqual([b.id]);
    expect(await find(`${tag} 市調`)).toEqual([]);
    for (const path of ["/tasks?status=pending&", "/tasks?sort=oldest&", "/tasks/export?format=json&"]) {
      const res = await api("GET", `${path}q=${encodeURIComponent(`${tag} 流失`)}`);
      expect(res.status, res.text).toBe(200);
    }
    const sorted = await api("GET", `/tasks?sort=oldest&q=${encodeURIComponent(`${tag} 調査`)}`);
    expect(sorted.json.items.map((t: { id: string }) => t.id)).toEqual([a.id]);
    const summary = await api("GET", `/tasks/summary?q=${encodeURIComponent(`${tag} 流失`)}`);
    expect(Object.values(summary.json.counts).reduce((n: number, c) => n + Number(c), 0)).toBe(1);
  });

  it("finds text in fullwidth, halfwidth or ligature forms by what it reads as, typed either way", async () => {
    const tag = `zw${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const a = await createTask({ agent: "researcher", title: `${tag} ＡＢＣ株式会社 ｲﾝﾎﾞｲｽ ﬁnance`, description: "@output x" });
    const find = async (q: string) => ((await api("GET", `/tasks?q=${encodeURIComponent(q)}`)).json.items as { id: string }[]).map((t) => t.id);
    for (const q of ["ＡＢＣ", "abc", "ｲﾝﾎﾞｲｽ", "インボイス", "ﬁnance", "finance", "ABC株式"]) expect(await find(`${tag} ${q}`), q).toEqual([a.id]);
  });

  it("folds accents off Greek and Cyrillic letters too, and ß, ø, ł as written plain, typed either way", async () => {
    const tag = `zg${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const greek = await createTask({ agent: "researcher", title: `${tag} Αθήνα Ελλάδα`, description: "@output x" });
    const russian = await createTask({ agent: "researcher", title: `${tag} Ёлка новогодняя`, description: "@output x" });
    const latin = await createTask({ agent: "researcher", title: `${tag} Straße Øresund`, description: "@output x\nŁódź office" });
    const find = async (q: string) => ((await api("GET", `/tasks?q=${encodeURIComponent(`${tag} ${q}`)}`)).json.items as { id: string }[]).map((t) => t.id);
    for (const q of ["αθήνα", "αθηνα", "ΑΘΗΝΑ", "ελλαδα"]) expect(await find(q), q).toEqual([greek.id]);
    for (const q of ["ёлка", "елка", "ЕЛКА"]) expect(await find(q), q).toEqual([russian.id]);
    for (const q of ["Straße", "strasse", "oresund", "Øresund", "lodz", "łódź"]) expect(await find(q), q).toEqual([latin.id]);
    // Japanese keeps its marks: が is not か
    const ga = await createTask({ agent: "researcher", title: `${tag} がくせい`, description: "@output x" });
    expect(await find("か")).toEqual([]);
    expect(await find("が")).toEqual([ga.id]);
  });

  it("stays inside the organization and its filters, and follows status changes", async () => {
    const tag = `zo${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const other = await makeOrg(`org_search_${tag}`);
    const mine = await createTask({ agent: "researcher", title: `${tag} mine`, description: "@ask Go?\n@output x" });
    const theirs = await createTask({ agent: "researcher", title: `${tag} theirs`, description: "@output x" }, other);
    await waitForStatus(mine.id, ["needs_input"]);
    const ids = async (qs: string, token?: string) => ((await api("GET", `/tasks?${qs}`, { token })).json.items as { id: string }[]).map((t) => t.id);
    expect(await ids(`q=${tag}`)).toEqual([mine.id]);
    expect(await ids(`q=${tag}`, other)).toEqual([theirs.id]);
    expect(await ids(`q=${tag}&status=needs_input`)).toEqual([mine.id]);
    expect(await ids(`q=${tag}&status=completed`)).toEqual([]);
    expect(await ids(`q=${tag}&agent=researcher&source=api`)).toEqual([mine.id]);
    expect(await ids(`q=${tag}&agent=writer`)).toEqual([]);
    // The hidden filter tokens cannot be searched for.
    const hex = [...new TextEncoder().encode("org_default")].map((x) => x.toString(16).padStart(2, "0")).join("");
    expect(await ids(`q=o${hex}`)).toEqual([]);

    const detail = (await api("GET", `/tasks/${mine.id}`)).json;
    await api("POST", `/sessions/${detail.session_id}/respond`, { body: { call_id: detail.pending[0].call_id, answers: ["yes"] } });
    await waitForStatus(mine.id, ["completed"]);
    expect(await ids(`q=${tag}&status=completed`)).toEqual([mine.id]);
    expect(await ids(`q=${tag}&status=needs_input`)).toEqual([]);
  });

  it("filters by any agent of a task's plan, in lists, sorted lists, summaries and exports", async () => {
    const tag = `za${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const token = await makeOrg(`org_agents_${tag}`);
    expect((await api("POST", "/agents", { token, body: { name: "editor", model: "sim", system_prompt: "Edit." } })).status).toBe(201);
    const plan = (await api("POST", "/plans", { token, body: { name: `${tag} plan`, steps: [
      { id: "draft", name: "Draft", agent: "researcher", instructions: "@output draft" },
      { id: "edit", name: "Edit", agent: "editor", instructions: "@output edited", depends_on: ["draft"] },
    ] } })).json;
    const both = (await api("POST", `/plans/${plan.id}/run`, { token, body: { inputs: {} } })).json;
    const alone = await createTask({ agent: "researcher", title: `${tag} alone`, description: "@output x" }, token);
    await waitForStatus(both.id, ["completed"], 10_000, token);
    await waitForStatus(alone.id, ["completed"], 10_000, token);
    expect(both.agent).toBe("researcher");
    const ids = async (qs: string) => {
      const res = await api("GET", `/tasks?${qs}`, { token });
      expect(res.status, res.text).toBe(200);
      return (res.json.items as { id: string }[]).map((t) => t.id);
    };
    expect(await ids("agent=editor")).toEqual([both.id]);
    expect(await ids("agent=researcher")).toEqual([alone.id, both.id]);
    expect(await ids("agent=editor&status=completed&source=api")).toEqual([both.id]);
    expect(await ids(`agent=editor&q=${tag}`)).toEqual([both.id]);
    expect(await ids("agent=editor&sort=cost")).toEqual([both.id]);
    expect(await ids("agent=editor&sort=duration")).toEqual([both.id]);
    expect(await ids("agent=nobody")).toEqual([]);
    const summary = (await api("GET", "/tasks/summary?agent=editor", { token })).json;
    expect(summary.counts.completed).toBe(1);
    expect(summary.groups.completed.items.map((t: { id: string }) => t.id)).toEqual([both.id]);
    const csv = await api("GET", "/tasks/export?format=csv&agent=editor", { token });
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(both.id);
    expect(csv.text).not.toContain(alone.id);
    // the row shows why it matched: its plan's every agent, not only the first step's
    const [head, row] = csv.text.split("\r\n");
    const cells = Object.fromEntries(head.split(",").map((k, i) => [k, row.split(",")[i]]));
    expect(cells).toMatchObject({ id: both.id, agent: "researcher", agents: "researcher editor" });
  });

  it("summary with a search counts and groups the same matches, capping broad counts", async () => {
    const tag = `zs${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const org = `org_sum_${tag}`;
    const token = await makeOrg(org);
    const now = Date.now();
    const rows = Array.from({ length: 1010 }, (_, i) => ({ i, status: i < 1003 ? "completed" : i < 1006 ? "failed" : "pending" }));
    for (let c = 0; c < rows.length; c += 100) {
      await env.DB.batch(rows.slice(c, c + 100).map(({ i, status }) =>
        env.DB.prepare(
          "INSERT INTO tasks (id, org_id, title, description, status, source, agent, created_by, session_id, created_at) VALUES (?, ?, ?, '', ?, 'api', 'researcher', '{}', ?, ?)",
        ).bind(`tsk_${tag}_${i}`, org, `${tag} row ${i}`, status, `ses_${tag}_${i}`, now + i),
      ));
    }
    const s = (await api("GET", `/tasks/summary?q=${tag}`, { token })).json;
    expect(s.counts).toEqual({ pending: 4, in_progress: 0, needs_input: 0, failed: 3, completed: "1000+", cancelled: 0 });
    expect(s.groups.pending.items.map((t: { id: string }) => t.id)).toEqual([1009, 1008, 1007, 1006].map((i) => `tsk_${tag}_${i}`));
    expect(s.groups.pending.next_cursor).toBeNull();
    expect(s.groups.completed.items).toHaveLength(5);
    expect(s.groups.completed.items[0].id).toBe(`tsk_${tag}_1002`);
    expect(s.groups.completed.next_cursor).toBeTruthy();
    const next = (await api("GET", `/tasks?q=${tag}&status=completed&limit=5&cursor=${s.groups.completed.next_cursor}`, { token })).json;
    expect(next.items[0].id).toBe(`tsk_${tag}_997`);
    const narrow = (await api("GET", `/tasks/summary?q=${tag}&status=failed`, { token })).json;
    expect(narrow.counts).toEqual({ failed: 3 });
  });
});
