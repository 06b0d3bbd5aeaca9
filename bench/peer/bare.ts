import { DurableObject } from "cloudflare:workers";

/** The bare create's Durable Object: one row in its own SQLite per call. */
export class BareCreate extends DurableObject {
  async start(id: string, title: string): Promise<void> {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS created (id TEXT PRIMARY KEY, title TEXT NOT NULL)");
    this.ctx.storage.sql.exec("INSERT INTO created (id, title) VALUES (?, ?)", id, title);
  }
}

let tableReady = false;
/** Per request until it has worked once: a promise made in one request cannot be awaited by another in workerd. */
async function ensureTable(db: D1Database): Promise<void> {
  if (tableReady) return;
  await db
    .prepare("CREATE TABLE IF NOT EXISTS bare_tasks (id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL)")
    .run();
  tableReady = true;
}

/** The create benchmark's peer: one D1 insert and one Durable Object call, nothing else. */
export async function bareCreate(req: Request, db: D1Database, objects: DurableObjectNamespace<BareCreate>): Promise<Response> {
  await ensureTable(db);
  const body = (await req.json()) as { title: string; description: string };
  const id = `bt_${crypto.randomUUID()}`;
  await db.prepare("INSERT INTO bare_tasks (id, title, description, status, created_at) VALUES (?, ?, ?, 'pending', ?)").bind(id, body.title, body.description, Date.now()).run();
  await objects.get(objects.idFromName(id)).start(id, body.title);
  return Response.json({ id, status: "pending" }, { status: 201 });
}
