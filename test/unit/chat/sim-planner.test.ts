import { describe, expect, it } from "vitest";
import { checkDraft } from "../../../worker/chat/check";
import { simPlanner } from "../../../worker/chat/sim";
import { matchAgent, needsApproval } from "../../../worker/chat/sim/agents";
import { clauses, segments } from "../../../worker/chat/sim/text";
import type { Plan, Step } from "../../../worker/task/plan-schema";

const AGENTS = [
  { name: "researcher", model: "sim", system_prompt: "You are a careful researcher.", tools: ["web_search", "http_fetch", "ask_human"] },
  { name: "writer", model: "sim", system_prompt: "You write clear prose.", tools: ["ask_human"] },
  { name: "reviewer", model: "sim", system_prompt: "You review work.", tools: ["ask_human"] },
  { name: "planner", model: "sim", system_prompt: "You break work into steps.", tools: [] },
];
const KNOWN = new Set(AGENTS.map((a) => a.name));

const draft = (text: string) => simPlanner(text, null, AGENTS).plan;
const refine = (plan: Plan, text: string) => simPlanner(text, plan, AGENTS).plan;
const valid = (plan: Plan) => expect(checkDraft(plan, KNOWN)).toMatchObject({ ok: true });
const deps = (plan: Plan) => Object.fromEntries(plan.steps.map((s: Step) => [s.id, s.depends_on]));

describe("the offline planner's reading", () => {
  it("splits lines, sentences and ', then' clauses, dropping list markers", () => {
    expect(segments("1. Find leads\n- Score them. Then rank them; email the top 3")).toEqual(["Find leads", "Score them", "rank them", "email the top 3"]);
    expect(segments("Research the market, then write a memo")).toEqual(["Research the market", "write a memo"]);
  });

  it("reads a long text in linear time: a run of spaces, a long word (it runs on the thread that serves every organization)", () => {
    const started = Date.now();
    expect(segments(`Research   the\tmarket ${" ".repeat(50_000)} now. Write it`)).toEqual(["Research the market now", "Write it"]);
    expect(clauses("a".repeat(200_000))).toHaveLength(1);
    expect(clauses(`${"a.".repeat(100_000)} and write it`)).toHaveLength(1);
    expect(clauses("scrape the page and compare it")).toEqual(["scrape the page", "compare it"]);
    expect(clauses("scrape and compare it")).toEqual(["scrape and compare it"]);
    // quadratic, these took minutes; linear, milliseconds (the bound leaves room for a busy machine)
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("matches agents by name first, then by role words, else a worker that is not the planner", () => {
    expect(matchAgent("Have the reviewer research prices", AGENTS)).toBe("reviewer");
    expect(matchAgent("Proofread the memo", AGENTS)).toBe("reviewer");
    expect(matchAgent("Summarize the findings", AGENTS)).toBe("writer");
    expect(matchAgent("Investigate churn", AGENTS)).toBe("researcher");
    expect(matchAgent("Water the plants", AGENTS)).toBe("researcher");
    expect(matchAgent("Draft a note", [{ name: "scribe", model: "sim", system_prompt: "You are a writer.", tools: [] }])).toBe("scribe");
  });

  it("flags risky steps and steps the person wants to approve", () => {
    expect(needsApproval("Send it to the team")).toBe(true);
    expect(needsApproval("Publish the post")).toBe(true);
    expect(needsApproval("Email the summary to Ana")).toBe(true);
    expect(needsApproval("Draft an email to each lead")).toBe(false);
    expect(needsApproval("Write the memo so I can approve it")).toBe(true);
    expect(needsApproval("Research the market")).toBe(false);
  });
});

describe("first drafts", () => {
  it("chains one step per sentence, feeding each its inputs, with tools the agent has", () => {
    const plan = draft("Search the web for the latest edge computing news. Summarize it. Send it to me.");
    valid(plan);
    expect(plan.steps.map((s) => s.id)).toEqual(["search_web_latest", "summarize", "send"]);
    expect(plan.steps[0]).toMatchObject({ agent: "researcher", tools: ["web_search"], approval: false });
    expect(plan.steps[1]).toMatchObject({ agent: "writer", depends_on: ["search_web_latest"], instructions: "Summarize it\n\nInputs:\n- {{steps.search_web_latest.output}}" });
    expect(plan.steps[2]).toMatchObject({ approval: true });
  });

  it("fans 'A, B and C in parallel' out into independent steps that the next one waits for", () => {
    const plan = draft("Research pricing, features and reviews in parallel. Write a comparison.");
    valid(plan);
    expect(deps(plan)).toEqual({ research_pricing: [], research_features: [], research_reviews: [], write_comparison: ["research_pricing", "research_features", "research_reviews"] });
  });

  it("runs a lone '… in parallel' sentence beside the step before it", () => {
    const plan = draft("Collect the brief. Research pricing. Check the news in parallel. Write a memo.");
    valid(plan);
    expect(deps(plan)).toEqual({ collect_brief: [], research_pricing: ["collect_brief"], check_news: ["collect_brief"], write_memo: ["research_pricing", "check_news"] });
  });

  it("turns 'for each' into a loop over the step before, or over a new list step", () => {
    const a = draft("For each customer, write a thank-you note");
    valid(a);
    expect(a.steps.map((s) => [s.id, s.kind])).toEqual([["list_customer", "agent"], ["each_customer", "loop"]]);
    const b = draft("Find the open invoices. Send a reminder for each invoice.");
    valid(b);
    expect(b.steps[1]).toMatchObject({ kind: "loop", over: "find_open_invoices", body: [{ kind: "agent", approval: true }] });
  });

  it("turns 'if …, … otherwise …' into a decision step and a branch", () => {
    const plan = draft("Review the contract. If it has risky clauses, ask legal for a review, otherwise sign it.");
    valid(plan);
    const branch = plan.steps.find((s) => s.kind === "branch");
    expect(branch).toMatchObject({ on: "check_has_risky", cases: { yes: [{ kind: "agent" }] }, default: [{ kind: "agent" }] });
    expect(plan.steps.find((s) => s.id === "check_has_risky")).toMatchObject({ depends_on: ["review_contract"] });
  });

  it("drafts everyday requests into sensible plans", () => {
    const hn = simPlanner("every morning summarise the top 5 HN posts and email me", null, AGENTS);
    valid(hn.plan);
    expect(hn.plan.steps.map((s) => [s.name, s.depends_on, s.kind === "agent" && s.approval])).toEqual([
      ["Summarise the top 5 HN posts", [], false],
      ["Email me", ["summarise_top_5"], true],
    ]);
    expect(hn.reply).toContain("every morning");
    expect(hn.reply).toContain("cron trigger");

    const rivals = draft("for each of these 3 competitors research pricing then compare");
    valid(rivals);
    expect(rivals.steps.map((s) => [s.id, s.kind, s.depends_on])).toEqual([["list_3_competitors", "agent", []], ["each_3_competitors", "loop", []], ["compare", "agent", ["each_3_competitors"]]]);
    expect(rivals.steps[1]).toMatchObject({ over: "list_3_competitors", body: [{ agent: "researcher", instructions: "Research pricing for this competitor: {{item}}" }] });

    const blog = draft("draft a blog post, get my approval, then publish");
    valid(blog);
    expect(blog.steps.map((s) => [s.name, s.kind === "agent" && s.approval])).toEqual([["Draft a blog post", true], ["Publish", true]]);

    const notes2 = draft("Summarise the meeting notes, extract action items and email them to attendees, get my sign-off first");
    valid(notes2);
    expect(notes2.steps.map((s) => [s.id, s.kind === "agent" && s.approval])).toEqual([["summarise_meeting_notes", false], ["extract_action_items", false], ["email_attendees", true]]);

    const leads = draft("Find 10 leads in fintech, then for each lead write a personalised intro");
    valid(leads);
    expect(leads.steps[1]).toMatchObject({ kind: "loop", over: "find_10_leads", body: [{ agent: "writer", instructions: "Write a personalised intro for this lead: {{item}}" }] });

    const notes = draft("Translate the release notes into French, German and Spanish in parallel");
    valid(notes);
    expect(notes.steps.map((s) => [s.name, s.depends_on, s.kind === "agent" && s.approval])).toEqual([
      ["Translate the release notes into French", [], false],
      ["Translate the release notes into German", [], false],
      ["Translate the release notes into Spanish", [], false],
    ]);

    const prices = draft("Scrape the pricing page, compare with last week, and alert me if prices changed");
    valid(prices);
    expect(prices.steps.map((s) => [s.name, s.depends_on])).toEqual([
      ["Scrape the pricing page", []],
      ["Compare with last week", ["scrape_pricing_page"]],
      ["Alert me if prices changed", ["compare_last_week"]],
    ]);
    expect(prices.steps[2]).toMatchObject({ approval: true });

    // a step that must fetch a URL goes to an agent that can
    const pdf = draft("Summarise this PDF: https://example.com/report.pdf");
    expect(pdf.steps[0]).toMatchObject({ agent: "researcher", tools: ["http_fetch"] });

    expect(draft("Write a one-page memo, then post a digest to Slack").steps).toMatchObject([{ agent: "writer", approval: false }, { approval: true }]);

    const inbox = draft("Check my inbox every hour and reply to urgent emails");
    valid(inbox);
    expect(inbox.steps.map((s) => [s.name, s.kind === "agent" && s.approval])).toEqual([["Check my inbox", false], ["Reply to urgent emails", true]]);
    // a list is not split at its commas, nor a verb's own pair
    expect(draft("Research the market, competitors and pricing").steps).toHaveLength(1);
    expect(draft("Read and summarise the report").steps).toHaveLength(1);
  });

  it("is deterministic", () => {
    const text = "Find leads\nFor each lead, draft an email\nSend the emails";
    expect(simPlanner(text, null, AGENTS)).toEqual(simPlanner(text, null, AGENTS));
  });
});

describe("refinements", () => {
  const base = () => draft("Collect the brief. Research pricing. Research features. Write a comparison. Email it to the team.");

  it("adds a review step before sending", () => {
    const plan = refine(base(), "Add a review step before sending");
    valid(plan);
    expect(deps(plan)).toMatchObject({ review_before_sending: ["write_comparison"], email_team: ["review_before_sending"] });
    expect(plan.steps.find((s) => s.id === "review_before_sending")).toMatchObject({ agent: "reviewer" });
  });

  it("runs the research in parallel without closing a cycle", () => {
    const plan = refine(base(), "run the research in parallel");
    valid(plan);
    expect(deps(plan)).toMatchObject({ research_pricing: ["collect_brief"], research_features: ["collect_brief"], write_comparison: ["research_pricing", "research_features"] });
  });

  it("sets how many items a loop runs at a time, and adds no step for it", () => {
    const loop = (plan: Plan) => plan.steps.find((s) => s.kind === "loop");
    const emails = draft("Find the new customers. For each customer, draft a welcome email. Send the emails.");
    let out = simPlanner("Make the loop run 3 at a time", emails, AGENTS);
    valid(out.plan);
    expect(loop(out.plan)).toMatchObject({ id: "each_customer", concurrency: 3 });
    expect(out.plan.steps).toHaveLength(emails.steps.length);
    expect(out.reply).toContain("each_customer now runs up to 3 items at a time.");
    out = simPlanner("Draft the welcome emails one at a time", out.plan, AGENTS);
    expect(loop(out.plan)).toMatchObject({ concurrency: 1 });
    out = simPlanner("Limit the customer loop to 5 at once", out.plan, AGENTS);
    expect(loop(out.plan)).toMatchObject({ concurrency: 5 });
    expect(simPlanner("Run 3 at a time", base(), AGENTS).reply).toContain("There is no loop");
  });

  it("removes, renames, reassigns and toggles approval", () => {
    let plan = refine(base(), "Remove the features step");
    expect(deps(plan).write_comparison).toEqual(["research_pricing"]);
    plan = refine(plan, "Rename it to Pricing watch");
    expect(plan.name).toBe("Pricing watch");
    plan = refine(plan, "Use the reviewer for the comparison");
    expect(plan.steps.find((s) => s.id === "write_comparison")).toMatchObject({ agent: "reviewer" });
    plan = refine(plan, "No approval for the email");
    expect(plan.steps.find((s) => s.id === "email_team")).toMatchObject({ approval: false });
    plan = refine(plan, "Require approval for the comparison");
    expect(plan.steps.find((s) => s.id === "write_comparison")).toMatchObject({ approval: true });
    valid(plan);
  });

  it("removing a loop or a branch leaves what came after it waiting for what it read", () => {
    const emails = refine(draft("Find the new customers. For each customer, draft a welcome email. Send the emails."), "Remove the each_customer step");
    valid(emails);
    expect(deps(emails)).toEqual({ find_new_customers: [], send_emails: ["find_new_customers"] });
    const tickets = refine(draft("Read the ticket. If it is urgent, page the on-call, otherwise add it to the queue. Reply to the customer."), "Remove the if_is_urgent step");
    valid(tickets);
    expect(deps(tickets).reply_customer).toEqual(["check_is_urgent"]);
  });

  it("appends anything else as new steps after the last ones, and can start over", () => {
    const plan = refine(base(), "Also translate the comparison into French");
    valid(plan);
    expect(plan.steps.at(-1)).toMatchObject({ id: "translate_comparison_french", depends_on: ["email_team"] });
    const fresh = refine(plan, "Start over: Scan the news. Write a digest.");
    expect(fresh.steps.map((s) => s.id)).toEqual(["scan_news", "write_digest"]);
  });

  it("adds no step for a reply that only asks for a schedule, and says a cron trigger does that", () => {
    for (const text of ["Run it every Monday", "do this daily"]) {
      const { plan, reply } = simPlanner(text, base(), AGENTS);
      expect(plan).toEqual(base());
      expect(reply).not.toContain("Added");
      expect(reply).toContain("add a cron trigger");
    }
    expect(refine(base(), "Also post it to Slack every morning").steps.at(-1)).toMatchObject({ name: "Post it to Slack", approval: true });
  });

  it("takes approval off a step when asked to remove it, keeping the step", () => {
    for (const text of ["Remove approval from the email", "Drop the approval on the email step", "Don't require approval for the email", "Do not need approval for the email"]) {
      const { plan, reply } = simPlanner(text, base(), AGENTS);
      expect(plan.steps.map((s) => s.id), text).toEqual(base().steps.map((s) => s.id));
      expect(plan.steps.find((s) => s.id === "email_team"), text).toMatchObject({ approval: false });
      expect(reply, text).toContain("email_team: no approval needed.");
    }
    // a step named for approval is still removed by name
    const withReview = refine(base(), "Add an approval step after the comparison");
    expect(refine(withReview, "Remove the approval after comparison step").steps.map((s) => s.id)).toEqual(base().steps.map((s) => s.id));
  });

  it("renames and moves a step, and edits several steps named in a list", () => {
    let out = simPlanner("Rename the research pricing step to Price scan", base(), AGENTS);
    expect(out.plan.steps.map((s) => s.id)).toEqual(base().steps.map((s) => s.id));
    expect(out.plan.steps[1]).toMatchObject({ id: "research_pricing", name: "Price scan" });
    expect(out.reply).toContain('Renamed research_pricing to "Price scan"');

    out = simPlanner("Move the email step before the comparison", base(), AGENTS);
    valid(out.plan);
    expect(deps(out.plan)).toMatchObject({ email_team: ["research_features"], write_comparison: ["email_team"] });
    expect(out.reply).toContain("Moved email_team before write_comparison.");
    out = simPlanner("Move the brief after the features", base(), AGENTS);
    valid(out.plan);
    expect(deps(out.plan)).toMatchObject({ research_pricing: [], collect_brief: ["research_features"], write_comparison: ["collect_brief"] });

    const plan = refine(base(), "Remove research_pricing and research_features");
    expect(plan.steps.map((s) => s.id)).toEqual(["collect_brief", "write_comparison", "email_team"]);
    valid(plan);
    expect(refine(base(), "Use the reviewer for the brief and the comparison").steps.filter((s) => s.kind === "agent" && s.agent === "reviewer").map((s) => s.id)).toEqual(["collect_brief", "write_comparison"]);
    expect(simPlanner("Remove the brief and the banana", base(), AGENTS).reply).toContain('I found no step matching "banana"');
  });

  it("adds no step for what only looks like an edit it cannot do, and keeps work that merely starts like one", () => {
    const { plan, reply } = simPlanner("Undo", base(), AGENTS);
    expect(plan).toEqual(base());
    expect(reply).toContain("cannot undo");
    expect(refine(base(), "Move the meeting notes after lunch to the archive").steps.at(-1)).toMatchObject({ name: "Move the meeting notes after lunch to the archive" });
    // a move of a step there is not, next to one there is or said to be a step, is no work: it is said so, the draft kept
    for (const text of ["Move the budget step after the research step", "Move the budget after the brief", "Move the budget step before lunch"]) {
      const out = simPlanner(text, base(), AGENTS);
      expect(out.plan, text).toEqual(base());
      expect(out.reply, text).toContain('I found no step matching "budget"');
    }
    expect(refine(base(), "Call the customer to confirm the order").steps.at(-1)).toMatchObject({ name: "Call the customer to confirm the order" });
  });

  it("edits the step named exactly, by id or name, even when its words are in other steps' names too", () => {
    const plan = draft("Write the notes. Write a summary of the notes. Email the summary to the team.");
    expect(plan.steps.map((s) => s.id)).toEqual(["write_notes", "write_summary_notes", "email_summary_team"]);
    let out = simPlanner("Remove the write_notes step", plan, AGENTS);
    expect(out.plan.steps.map((s) => s.id)).toEqual(["write_summary_notes", "email_summary_team"]);
    out = simPlanner("Remove the write notes step", plan, AGENTS);
    expect(out.plan.steps.map((s) => s.id)).toEqual(["write_summary_notes", "email_summary_team"]);
    out = simPlanner("Use the reviewer for write summary notes", plan, AGENTS);
    expect(out.plan.steps.map((s) => s.kind === "agent" && s.agent)).toEqual(["writer", "reviewer", "writer"]);
    out = simPlanner('Require approval for "Write the notes"', plan, AGENTS);
    expect(out.plan.steps.map((s) => s.kind === "agent" && s.approval)).toEqual([true, false, true]);
  });

  it("asks which step an ambiguous phrase means, listing the candidates, and changes none of them", () => {
    for (const text of ["Remove the research step", "Require approval for the research", "No approval for the research", "Use the reviewer for the research", "Add a check step after the research"]) {
      const { plan, reply } = simPlanner(text, base(), AGENTS);
      expect(plan, text).toEqual(base());
      expect(reply, text).toContain('Which step do you mean by "research": research_pricing (Research pricing) or research_features (Research features)?');
    }
    // the unambiguous part of a reply is still done
    const { plan, reply } = simPlanner("Remove the research step. Remove the features step.", base(), AGENTS);
    expect(plan.steps.map((s) => s.id)).toEqual(["collect_brief", "research_pricing", "write_comparison", "email_team"]);
    expect(reply).toContain("Which step do you mean");
    expect(reply).toContain("Removed research_features.");
  });

  it("looks only at agent steps for an agent or an approval, so a loop does not make its own step ambiguous", () => {
    const emails = draft("Find the new customers. For each customer, draft a welcome email. Send the emails.");
    const body = (plan: Plan) => (plan.steps[1].kind === "loop" ? plan.steps[1].body[0] : null);
    let out = simPlanner("Use the reviewer for the welcome email", emails, AGENTS);
    expect(body(out.plan)).toMatchObject({ id: "draft_welcome_email", agent: "reviewer" });
    out = simPlanner("Require approval for the welcome email", out.plan, AGENTS);
    expect(body(out.plan)).toMatchObject({ approval: true });
    valid(out.plan);
    // removing may mean either: it asks
    expect(simPlanner("Remove the welcome email step", emails, AGENTS).reply).toContain("each_customer (For each customer: draft a welcome email) or draft_welcome_email");
  });

  it("edits every match when the wording says so", () => {
    let plan = refine(base(), "Require approval for all the research");
    expect(plan.steps.filter((s) => s.kind === "agent" && s.approval).map((s) => s.id)).toEqual(["research_pricing", "research_features", "email_team"]);
    plan = refine(base(), "Remove the research steps");
    expect(plan.steps.map((s) => s.id)).toEqual(["collect_brief", "write_comparison", "email_team"]);
    valid(plan);
  });

  it("says so when a reply names no step", () => {
    const { reply, plan } = simPlanner("Remove the banana step", base(), AGENTS);
    expect(reply).toContain('I found no step matching "banana"');
    expect(plan.steps).toHaveLength(5);
  });
});
