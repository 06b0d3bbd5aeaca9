import { DurableObject } from "cloudflare:workers";
import { addUsage, costNanos } from "../agents/cost";
import { parseModel } from "../agents/providers";
import { zeroUsage } from "../agents/types";
import { priceFor } from "../db/pricing";
import type { Bindings } from "../env";
import { canonicalJson } from "../lib/canonical-json";
import { log } from "../lib/log";
import { instanceSecretsOf, makeMasker } from "../lib/mask";
import { readOrgSettings } from "../lib/org-settings";
import { ledgerStatements } from "../spend/ledger";
import { sseFrame } from "../task/events";
import type { Plan } from "../task/plan-schema";
import { plannerCapRefusal } from "./cap";
import { diffPlans } from "../task/plan-diff";
import { planReply, streamText } from "./planner";
import { loadOrgAgents } from "./org";
import { type ConversationMeta, ConversationStore } from "./store";
import type { ChatEvent, ChatMessage, ConversationView, DraftView, ReplyResult, ReplySpend } from "./types";

export type ChatRpc<T> = { ok: true; value: T } | { ok: false; code: "not_found" | "conflict"; message: string };
const ok = <T>(value: T): ChatRpc<T> => ({ ok: true, value });
const missing: ChatRpc<never> = { ok: false, code: "not_found", message: "conversation not found" };
const DAY_MS = 86_400_000;
/** How often a conversation looks again at its organization's retention period, so one set later applies. */
export const CHAT_RECHECK_MS = 7 * DAY_MS;
/** How long a save holds the conversation: past it, one whose Worker never said it ended no longer blocks the next. */
const SAVE_LEASE_MS = 60_000;
/** When the spend ledger could not be written, how soon the alarm tries again. */
const LEDGER_RETRY_MS = 60_000;

/** When a conversation last active at `last` is past the organization's retention period; null: kept. */
export const chatExpiry = (last: number, retentionDays: number | null | undefined) => (retentionDays == null ? null : last + retentionDays * DAY_MS);

/**
 * One planning conversation. Owns its messages and every draft in its own SQLite, and runs the
 * planner itself: one reply at a time (a second message while one is drafted is a conflict), and a
 * reply finishes and is stored even if the person who asked has gone. With a retention period set, its
 * alarm deletes it once it has had no message for that long.
 */
export class ChatConversation extends DurableObject<Bindings> {
  private readonly store: ConversationStore;
  private busy = false;
  /** When the save under way began: one at a time, so two at once cannot each make a new plan. */
  private saving: number | null = null;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.store = new ConversationStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.store.open();
      if (!this.store.meta()) return;
      // a question a restart cut off the reply to is answered at once; one made before conversations expired has no alarm yet
      if (this.unanswered()) await ctx.storage.setAlarm(Date.now());
      else if ((await ctx.storage.getAlarm()) == null) await ctx.storage.setAlarm(Date.now() + CHAT_RECHECK_MS);
    });
  }

  async alarm(): Promise<void> {
    const meta = this.store.meta();
    if (!meta) return;
    const asked = this.busy ? null : this.unanswered();
    if (asked) await this.reply(meta, asked.content, () => {}, asked);
    const ledgerBehind = this.store.ledgerPending() && !(await this.writeLedger(meta));
    const now = Date.now();
    let expires: number | null;
    try {
      expires = chatExpiry(this.store.lastActivity() ?? meta.created_at, (await readOrgSettings(this.env.DB, meta.org_id)).retention_days);
    } catch (e) {
      log("warn", "chat retention not read", { conversation_id: meta.id, error: String(e) });
      expires = null;
    }
    if (expires != null && expires <= now && !this.busy) {
      await this.ctx.storage.deleteAll();
      this.store.open();
      return;
    }
    const recheck = this.busy ? REPLY_WATCH_MS : ledgerBehind ? LEDGER_RETRY_MS : CHAT_RECHECK_MS;
    await this.ctx.storage.setAlarm(Math.min(Math.max(expires ?? Infinity, now + 60_000), now + recheck));
  }

  /**
   * Writes the conversation's rows of the organization's spend ledger (absolute values that only grow, so a
   * repeat is harmless); on failure the alarm tries again soon. Whether it was written.
   */
  private async writeLedger(meta: ConversationMeta): Promise<boolean> {
    try {
      const rows = this.store.spendRows();
      if (rows.length) await this.env.DB.batch(ledgerStatements(this.env.DB, meta.org_id, meta.id, rows, "chat"));
      this.store.setLedgerPending(false);
      return true;
    } catch (e) {
      log("warn", "chat spend not written", { conversation_id: meta.id, error: String(e) });
      this.store.setLedgerPending(true);
      const at = await this.ctx.storage.getAlarm();
      if (at == null || at > Date.now() + LEDGER_RETRY_MS) await this.ctx.storage.setAlarm(Date.now() + LEDGER_RETRY_MS);
      return false;
    }
  }

  async create(meta: ConversationMeta, initial: { plan: Plan; note: string } | null): Promise<ChatRpc<ConversationView>> {
    if (this.store.meta()) return { ok: false, code: "conflict", message: "conversation already exists" };
    this.ctx.storage.transactionSync(() => {
      this.store.migrate();
      this.store.saveMeta(meta);
      if (initial) {
        const draft = this.store.addDraft(initial.plan, diffPlans(null, initial.plan, null));
        this.store.addMessage({ role: "event", content: initial.note, draft_version: draft.version });
      }
    });
    await this.ctx.storage.setAlarm(Date.now() + CHAT_RECHECK_MS);
    return ok(this.view(meta));
  }

  async get(orgId: string): Promise<ChatRpc<ConversationView>> {
    const meta = this.owned(orgId);
    return meta ? ok(this.view(meta)) : missing;
  }

  async currentDraft(orgId: string): Promise<ChatRpc<DraftView | null>> {
    return this.owned(orgId) ? ok(this.store.latestDraft()) : missing;
  }

  /** Answers when the reply is done. */
  async send(orgId: string, content: string): Promise<ChatRpc<ReplyResult>> {
    const meta = this.owned(orgId);
    if (!meta) return missing;
    if (this.busy || this.unanswered()) return busy;
    return ok(await this.reply(meta, content, () => {}));
  }

  /** The same reply as server-sent events, as it is drafted. */
  async sendStreaming(orgId: string, content: string): Promise<ChatRpc<ReadableStream<Uint8Array>>> {
    const meta = this.owned(orgId);
    if (!meta) return missing;
    if (this.busy || this.unanswered()) return busy;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    let open = true;
    let n = 0;
    const emit = (e: ChatEvent) => {
      if (open) void writer.write(sseFrame(++n, e.type, e)).catch(() => (open = false));
    };
    this.busy = true;
    this.ctx.waitUntil(this.reply(meta, content, emit).finally(() => void writer.close().catch(() => {})));
    return ok(readable);
  }

  async beginSave(orgId: string): Promise<ChatRpc<null>> {
    if (!this.owned(orgId)) return missing;
    const now = Date.now();
    if (this.saving !== null && now - this.saving < SAVE_LEASE_MS) return { ok: false, code: "conflict", message: "this conversation is already being saved: try again in a moment" };
    this.saving = now;
    return ok(null);
  }

  async endSave(): Promise<void> {
    this.saving = null;
  }

  async noteSaved(orgId: string, planId: string, version: number, draftVersion: number): Promise<ChatRpc<null>> {
    const meta = this.owned(orgId);
    if (!meta) return missing;
    this.ctx.storage.transactionSync(() => {
      this.store.saveMeta({ ...meta, plan_id: planId, plan_version: version });
      this.store.addMessage({ role: "event", content: `Saved draft ${draftVersion} as plan ${planId} version ${version}.`, draft_version: draftVersion });
    });
    return ok(null);
  }

  async noteRun(orgId: string, taskId: string, draftVersion: number): Promise<ChatRpc<null>> {
    if (!this.owned(orgId)) return missing;
    this.store.addMessage({ role: "event", content: `Started task ${taskId} from draft ${draftVersion}.`, draft_version: draftVersion });
    return ok(null);
  }

  private owned(orgId: string): ConversationMeta | null {
    const meta = this.store.meta();
    return meta && meta.org_id === orgId ? meta : null;
  }

  /**
   * The question last asked when no reply follows it: the process answering it stopped (a restart, an eviction), as a
   * reply is stored before the next question can be asked. The alarm answers it.
   */
  private unanswered(): ChatMessage | null {
    const last = this.store.messages().findLast((m) => m.role !== "event");
    return last?.role === "user" ? last : null;
  }

  private view(meta: ConversationMeta): ConversationView {
    return {
      id: meta.id, planner: meta.planner, plan_id: meta.plan_id, plan_version: meta.plan_version, busy: this.busy || this.unanswered() !== null,
      messages: this.store.messages(), draft: this.store.latestDraft(), ...this.store.spent(), created_at: new Date(meta.created_at).toISOString(),
    };
  }

  private async reply(meta: ConversationMeta, content: string, emit: (e: ChatEvent) => void, asked?: ChatMessage): Promise<ReplyResult> {
    this.busy = true;
    let result: ReplyResult;
    try {
      // should the process stop before the reply is stored, the alarm answers the question when the object is back
      const at = await this.ctx.storage.getAlarm();
      if (at == null || at > Date.now() + REPLY_WATCH_MS) await this.ctx.storage.setAlarm(Date.now() + REPLY_WATCH_MS);
      result = await this.answer(meta, content, emit, asked);
    } finally {
      this.busy = false;
    }
    if (this.store.ledgerPending()) await this.writeLedger(meta);
    return result;
  }

  /** Answers `content`, stored as the question first unless `resumed` is that question, stored before a restart. */
  private async answer(meta: ConversationMeta, content: string, emit: (e: ChatEvent) => void, resumed?: ChatMessage): Promise<ReplyResult> {
    // what the planner's model calls spent, stored with the reply whatever becomes of it
    let spend: ReplySpend | null = null;
    try {
      const history = this.store.messages().flatMap((m) => (m.role === "event" || m.seq === resumed?.seq ? [] : [{ role: m.role, content: m.content }]));
      if (!resumed) emit({ type: "message.created", message: this.store.addMessage({ role: "user", content }) });
      const agents = await loadOrgAgents(this.env.DB, meta.org_id);
      const plannerAgent = meta.planner.agent ? agents.find((a) => a.name === meta.planner.agent) : undefined;
      const planner = plannerAgent ? { agent: plannerAgent.name, model: plannerAgent.model } : meta.planner;
      const previous = this.store.latestDraft();
      // the price in force when the reply started, as a run's
      const price = parseModel(planner.model).kind === "sim" ? null : await priceFor(this.env, meta.org_id, planner.model);
      const refused = price && (await plannerCapRefusal(this.env.DB, meta.org_id));
      if (refused) {
        const message = this.store.addMessage({ role: "assistant", content: refused, failed: true });
        streamText(refused, emit);
        emit({ type: "reply.done", message });
        return { message, draft: null };
      }
      spend = price && { agent: planner.agent ?? "planner", model: planner.model, usage: zeroUsage(), cost_nanos: 0 };
      const out = await planReply({
        env: this.env, planner, plannerPrompt: plannerAgent?.system_prompt ?? meta.planner_prompt, agents,
        history, message: content, draft: previous?.plan ?? null, emit,
        mask: makeMasker(instanceSecretsOf(this.env), (await readOrgSettings(this.env.DB, meta.org_id)).mask_patterns),
        onUsage: (u) => {
          if (!spend || !price) return;
          spend.usage = addUsage(spend.usage, u);
          spend.cost_nanos += costNanos(u, price);
        },
      });
      if (!out.ok) {
        const message = this.addReply({ role: "assistant", content: out.reply, failed: true, issues: out.issues, spend });
        emit({ type: "reply.done", message });
        return { message, draft: null };
      }
      if (previous && canonicalJson(JSON.stringify(previous.plan)) === canonicalJson(JSON.stringify(out.plan))) {
        // nothing changed: no new version, so a Run or Save of the draft the person saw still stands
        const message = this.addReply({ role: "assistant", content: out.reply, draft_version: previous.version, spend });
        emit({ type: "reply.done", message });
        return { message, draft: previous };
      }
      const { draft, message } = this.ctx.storage.transactionSync(() => {
        const d = this.store.addDraft(out.plan, diffPlans(previous?.plan ?? null, out.plan, previous?.version ?? null));
        return { draft: d, message: this.addReply({ role: "assistant", content: out.reply, draft_version: d.version, spend }) };
      });
      emit({ type: "draft.created", draft });
      emit({ type: "reply.done", message });
      return { message, draft };
    } catch (e) {
      // the question is kept, so it gets an answer, streamed or not, and the next one can be asked
      log("error", "chat reply failed", { conversation_id: meta.id, error: String(e) });
      const message = this.addReply({ role: "assistant", content: "The planner failed unexpectedly.", failed: true, spend });
      emit({ type: "reply.done", message });
      return { message, draft: null };
    }
  }

  /** A reply, noting first, when its model calls spent anything, that the ledger has to be written. */
  private addReply(m: Parameters<ConversationStore["addMessage"]>[0]): ReturnType<ConversationStore["addMessage"]> {
    if (m.spend && (m.spend.cost_nanos || Object.values(m.spend.usage).some(Boolean))) this.store.setLedgerPending(true);
    return this.store.addMessage(m);
  }
}

/** How soon the alarm looks for a question whose reply a stopped process never stored, while a reply is drafted. */
const REPLY_WATCH_MS = 30_000;

const busy: ChatRpc<never> = { ok: false, code: "conflict", message: "the planner is still answering the previous message" };
