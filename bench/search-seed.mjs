// Seed SQL for the search benchmark: N task index rows, `share` of them in org_default,
// the rest spread over 97 other organizations. Words are drawn at random with a skew
// towards the front of the vocabulary (common words first) and a long tail of rare ones.
const VOCAB = `report analysis market customer data review update summary research plan draft weekly
competitor content cost code compliance contract cohort conversion copy comparison context config coverage
compute community conference contact course company campaign churn pricing product launch sales revenue
email support ticket feedback survey user onboarding growth strategy roadmap release notes bug fix test
quarterly q1 q2 q3 q4 budget forecast finance invoice vendor partner legal policy security audit incident
team hiring interview candidate job description blog post newsletter social media ads seo keyword traffic
website landing page design brand logo pitch deck investor board meeting agenda minutes action items
translate spanish german french japanese summarize extract classify label dataset model evaluation
benchmark latency performance infra database migration schema api docs documentation tutorial guide
outline article press release faq chatbot prompt agent workflow pipeline automation integration slack
notion jira github pull request changelog dependency upgrade refactor cleanup monitoring alert dashboard
metrics kpi okr goal retention engagement activation funnel experiment ab variant hypothesis insight
trend saas enterprise smb segment region europe asia america emea apac north south east west global
local city store retail ecommerce order shipping logistics inventory supply chain procurement contractor
consultant consulting counsel committee commission commerce communication comment commit common compile
component composer compose concept concern concert condition conduct confirm conflict connect consent
consider console constant construct consume container contest continue control convert cookie cooperate
coordinate copyright core corner corporate correct correlate corridor cosmetic cottage cotton council
count country county couple courier cover coworker`.split(/\s+/);

const TAIL = 3000;
const word = (i) => (i < VOCAB.length ? VOCAB[i] : `w${(i * 7919).toString(36)}`);

const SLOTS = 10_000;

/** Word slots with a Zipf-like (1/rank) spread: drawing a uniform slot draws common words often. */
function slots() {
  const n = VOCAB.length + TAIL;
  return Array.from({ length: SLOTS }, (_, s) => word(Math.floor(Math.exp((s / SLOTS) * Math.log(n + 1))) - 1));
}

export function seedSql({ rows = 1_000_000, share = 0.2, seqStart = 1 } = {}) {
  const all = slots().map((w, i) => `(${i},'${w}')`);
  // D1 caps one statement at 100 KB.
  const inserts = Array.from({ length: Math.ceil(all.length / 1000) }, (_, c) => `INSERT INTO bench_words (i, w) VALUES ${all.slice(c * 1000, c * 1000 + 1000).join(",")};`);
  // `+ k - k` keeps the subquery correlated, so SQLite draws a new word per row instead of once.
  const pick = `(SELECT w FROM bench_words WHERE i = abs(random()) % ${SLOTS} + k - k)`;
  const title = Array(4).fill(pick).join(" || ' ' || ");
  const desc = Array(12).fill(pick).join(" || ' ' || ");
  const every = Math.round(1 / share);
  return `DROP TABLE IF EXISTS bench_words;
CREATE TABLE bench_words (i INTEGER PRIMARY KEY, w TEXT NOT NULL);
${inserts.join("\n")}
INSERT INTO tasks (seq, id, org_id, title, description, status, source, agent, agents, created_by, session_id, created_at, index_version)
WITH RECURSIVE n(k) AS (SELECT ${seqStart} UNION ALL SELECT k + 1 FROM n WHERE k < ${seqStart + rows - 1})
SELECT k, 'tsk_bench' || k, CASE WHEN k % ${every} = 0 THEN 'org_default' ELSE 'org_bench' || (k % 97) END,
  ${title}, ${desc},
  CASE WHEN (k * 7919) % 1009 % 100 < 80 THEN 'completed' WHEN (k * 7919) % 1009 % 100 < 88 THEN 'failed' WHEN (k * 7919) % 1009 % 100 < 93 THEN 'cancelled'
       WHEN (k * 7919) % 1009 % 100 < 97 THEN 'in_progress' WHEN (k * 7919) % 1009 % 100 < 99 THEN 'pending' ELSE 'needs_input' END,
  CASE WHEN (k * 104729) % 1013 % 10 < 5 THEN 'api' WHEN (k * 104729) % 1013 % 10 < 8 THEN 'dashboard' WHEN (k * 104729) % 1013 % 10 < 9 THEN 'cron' ELSE 'agent' END,
  CASE (k * 31) % 1021 % 7 WHEN 0 THEN 'writer' WHEN 1 THEN 'reviewer' WHEN 2 THEN 'planner' ELSE 'researcher' END,
  '[]', '{"type":"token","id":"tok_bench","name":"bench"}', 'ses_bench' || k, 1700000000000 + k * 1000, 1
FROM n;
DROP TABLE bench_words;
`;
}
