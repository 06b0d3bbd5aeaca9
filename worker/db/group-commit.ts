import type { SqlStatement } from "./sql";

/** A row as D1 returns it (this index stores no blobs). */
export type Row = Record<string, string | number | null>;
/** What each statement read, in order: the rows of a SELECT (none for a write). */
export type StatementRows = Row[][];

interface Waiting {
  statements: SqlStatement[];
  resolve: (rows: StatementRows) => void;
  reject: (e: unknown) => void;
}

/** Callers per batch: D1 bounds a batch's size and time, and a failed batch is redone caller by caller. */
const MAX_CALLERS = 32;

/**
 * Runs the statements of many callers as one D1 batch. D1 has one writer, and a batch is one
 * transaction, one round trip and one commit whatever it carries, so writes that arrive together
 * share them. At most one batch is in flight: the first caller goes at once, and whatever arrives
 * while it runs goes in the next. Under load the next batch also waits until `settleMs` have passed
 * since the last one ended, gathering the callers that arrive meanwhile (a write that finds the
 * pipeline idle for that long goes at once, so only a busy organization's writes wait, and by at
 * most that). Each caller's statements stay together and in order (so
 * `changes()` still sees the caller's own previous statement). When a batch fails, its callers are
 * redone one by one, so one caller's bad statement fails only that caller.
 */
export class GroupCommit {
  private waiting: Waiting[] = [];
  private draining = false;
  private lastEnded = 0;

  constructor(
    private readonly db: () => D1Database,
    private readonly settleMs = 0,
  ) {}

  run(statements: SqlStatement[]): Promise<StatementRows> {
    if (statements.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ statements, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length) {
        const settle = this.lastEnded + this.settleMs - Date.now();
        if (settle > 0) await new Promise((r) => setTimeout(r, settle));
        const callers = this.waiting.splice(0, MAX_CALLERS);
        try {
          const results = await this.batch(callers.flatMap((c) => c.statements));
          let at = 0;
          for (const c of callers) {
            c.resolve(results.slice(at, at + c.statements.length));
            at += c.statements.length;
          }
        } catch (e) {
          if (callers.length === 1) callers[0].reject(e);
          else await Promise.all(callers.map((c) => this.batch(c.statements).then(c.resolve, c.reject)));
        }
        this.lastEnded = Date.now();
      }
    } finally {
      this.draining = false;
    }
  }

  private async batch(statements: SqlStatement[]): Promise<StatementRows> {
    const db = this.db();
    const results = await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
    return results.map((r) => r.results as Row[]);
  }
}
