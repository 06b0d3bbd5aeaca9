/**
 * Task list cursors hold the index's row number, which counts the tasks of every organization on the instance:
 * handed out as they are, the gaps between an organization's own cursors would say how many tasks the others made.
 * Sealed (AES-256-GCM under a key derived from `SECRETS_KEY`, bound to the organization), a cursor says nothing, and
 * one from another organization does not open. An instance without `SECRETS_KEY` hands them out as they are. With
 * one, only a sealed cursor is taken: a cursor written by hand (`s:114`) would let a client find its tasks' row
 * numbers by trying, and so count the others' between them.
 */
const SEALED = "x";
/** Every cursor is padded to this length before it is sealed: a sealed cursor's length would tell the number's digits. */
const PADDED = 48;

const utf8 = (s: string) => new TextEncoder().encode(s);
const toBase64Url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64Url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));

interface Keys {
  aes: CryptoKey;
  mac: CryptoKey;
}
const keys = new Map<string, Promise<Keys>>();
function keysOf(secret: string): Promise<Keys> {
  let k = keys.get(secret);
  if (!k) {
    const raw = (use: string) => crypto.subtle.digest("SHA-256", utf8(`flightdeck cursor ${use} ${secret}`));
    k = Promise.all([
      raw("AES-GCM").then((r) => crypto.subtle.importKey("raw", r, "AES-GCM", false, ["encrypt", "decrypt"])),
      raw("HMAC").then((r) => crypto.subtle.importKey("raw", r, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])),
    ]).then(([aes, mac]) => ({ aes, mac }));
    keys.set(secret, k);
  }
  return k;
}

export interface CursorSeal {
  seal(cursor: string): Promise<string>;
  /** The cursor as the list made it, or null when it does not open here (unsealed, altered, another organization's). */
  open(cursor: string): Promise<string | null>;
}

export function cursorSeal(secret: string | undefined, orgId: string): CursorSeal {
  const additionalData = utf8(`tasks ${orgId}`);
  return {
    async seal(cursor) {
      if (!secret) return cursor;
      const { aes, mac } = await keysOf(secret);
      const plain = utf8(cursor.padEnd(PADDED));
      // the IV is a digest of what it seals: a position always seals the same (a page read twice reads the same), and two never share one
      const iv = new Uint8Array(await crypto.subtle.sign("HMAC", mac, new Uint8Array([...additionalData, 0, ...plain]))).subarray(0, 12);
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, aes, plain));
      const out = new Uint8Array(iv.length + sealed.length);
      out.set(iv);
      out.set(sealed, iv.length);
      return SEALED + toBase64Url(out);
    },
    async open(cursor) {
      if (!secret) return cursor.startsWith(SEALED) ? null : cursor;
      if (!cursor.startsWith(SEALED)) return null;
      try {
        const bytes = fromBase64Url(cursor.slice(SEALED.length));
        const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData }, (await keysOf(secret)).aes, bytes.subarray(12));
        return new TextDecoder().decode(plain).trimEnd();
      } catch {
        return null;
      }
    },
  };
}

/** The page with its `next_cursor` sealed. */
export async function sealPage<P extends { next_cursor: string | null }>(s: CursorSeal, page: P): Promise<P> {
  return page.next_cursor == null ? page : { ...page, next_cursor: await s.seal(page.next_cursor) };
}
