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
 * while it runs goes in the next. Each caller's statements stay together and in order (so
 * `changes()` still sees the caller's own previous statement). When a batch fails, its callers are
 * redone one by one, so one caller's bad statement fails only that caller.
 */
export class GroupCommit {
  private waiting: Waiting[] = [];
  private draining = false;

  constructor(private readonly db: () => D1Database) {}

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
