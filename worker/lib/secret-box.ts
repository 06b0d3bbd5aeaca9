/**
 * Credentials kept at rest with AES-256-GCM under a key derived from the `SECRETS_KEY` binding. The additional
 * data binds a sealed value to where it belongs (organization, name, URL): a row copied to another organization,
 * or one whose URL was changed behind the API's back, no longer opens, so its credential goes nowhere else.
 */
const VERSION = "v1";

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
const utf8 = (s: string) => new TextEncoder().encode(s);

export class SecretsKeyMissing extends Error {
  constructor() {
    super("this instance has no SECRETS_KEY, so it cannot keep or use credentials: set that secret (npm start and npm run deploy make one)");
  }
}

async function keyOf(secret: string | undefined, usage: "AES-GCM" | "HMAC"): Promise<CryptoKey> {
  if (!secret) throw new SecretsKeyMissing();
  const raw = await crypto.subtle.digest("SHA-256", utf8(`flightdeck ${usage} ${secret}`));
  return usage === "AES-GCM"
    ? crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"])
    : crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

export async function seal(secret: string | undefined, plaintext: string, context: string): Promise<string> {
  const key = await keyOf(secret, "AES-GCM");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(context) }, key, utf8(plaintext));
  return `${VERSION}.${b64(iv)}.${b64(new Uint8Array(sealed))}`;
}

/** The plaintext, or null when the value does not open with this key and context (wrong key, moved or altered row). */
export async function open(secret: string | undefined, sealed: string, context: string): Promise<string | null> {
  const key = await keyOf(secret, "AES-GCM");
  const [version, iv, data] = sealed.split(".");
  if (version !== VERSION || !iv || !data) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(iv), additionalData: utf8(context) }, key, unb64(data));
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

/**
 * A short keyed digest of a value, so an admin can tell which credential is in place (and whether a rotation took)
 * without the value: keyed, so a weak credential cannot be guessed from it offline.
 */
export async function fingerprint(secret: string | undefined, value: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await keyOf(secret, "HMAC"), utf8(value));
  return [...new Uint8Array(mac).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
