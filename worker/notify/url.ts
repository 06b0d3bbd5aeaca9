import { refusedUrlReason } from "../agents/tools/address";

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
