import { refusedUrlReason } from "../agents/tools/address";
import { sha256Hex } from "../lib/crypto";

/**
 * Why a subscription URL is refused, or undefined. The same rules as `http_fetch`: only http(s), no
 * private, loopback or local names unless HTTP_FETCH_ALLOW_PRIVATE is "true"; no credentials in the URL.
 */
export function refusedSubscriptionUrl(raw: string, allowPrivate: string | undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `only http and https URLs can receive notifications, not ${url.protocol}`;
  if (url.username || url.password) return "a URL with credentials is not allowed; put a token in the path or query instead";
  if (allowPrivate === "true") return undefined;
  return refusedUrlReason(url);
}

/**
 * What the audit log keeps of a receiver's URL, which outlives it there: where it points and a fingerprint to tell
 * two apart, not its path or query, which may be its credential (a Slack hook's path is; a token in the query is the
 * rule above's advice).
 */
export async function auditedUrl(raw: string): Promise<{ url: string; url_sha256: string }> {
  const url = new URL(raw);
  return { url: url.pathname === "/" && !url.search ? url.origin : `${url.origin}/…`, url_sha256: (await sha256Hex(raw)).slice(0, 16) };
}
