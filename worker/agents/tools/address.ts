import ipaddr from "ipaddr.js";

/** How many redirects an outbound request on a user's behalf follows (`http_fetch`, an MCP server), each one checked again. */
export const MAX_REDIRECTS = 5;

const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];

/** ipaddr.js's range names as a refusal says them, article included. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: "an unspecified", loopback: "a loopback", private: "a private", linkLocal: "a link-local", uniqueLocal: "a unique local",
  multicast: "a multicast", broadcast: "a broadcast", carrierGradeNat: "a carrier-grade NAT", reserved: "a reserved", benchmarking: "a benchmarking",
  ipv4Mapped: "an IPv4-mapped", rfc6145: "an RFC 6145", rfc6052: "an RFC 6052", "6to4": "a 6to4", teredo: "a Teredo", discard: "a discard-only",
  amt: "an AMT", as112: "an AS112", as112v6: "an AS112", deprecated: "a deprecated", orchid2: "an ORCHIDv2", droneRemoteIdProtocolEntityTags: "a DRIP",
};

/**
 * Why `http_fetch` refuses a URL, or undefined when it may be fetched. Only what the URL itself says is checked:
 * Workers cannot resolve DNS, so a public name that points at a private address is not caught here (deployed,
 * a Worker's fetch reaches the public internet only; locally, leave HTTP_FETCH_ALLOW_PRIVATE unset).
 */
export function refusedUrlReason(url: URL): string | undefined {
  const scheme = refusedSchemeReason(url);
  if (scheme) return scheme;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase().replace(/\.$/, "");
  if (ipaddr.isValid(host)) {
    let ip = ipaddr.parse(host);
    if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    const range = ip.range();
    if (range !== "unicast") return `${host} is ${RANGE_NAMES[range] ?? `a ${range}`} address`;
    // ::a.b.c.d (deprecated, outside every range ipaddr.js names) can still reach a.b.c.d, loopback included
    if (ip.kind() === "ipv6" && ip.match(ipaddr.parse("::"), 96)) return `${host} is an IPv4-compatible address`;
    return undefined;
  }
  if (host === "localhost" || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return `${host} is a local name`;
  if (!host.includes(".")) return `${host} is not a public host name`;
  return undefined;
}

/** The part of the rule that holds even where private addresses are allowed: a `data:` or `file:` URL is no web request. */
export const refusedSchemeReason = (url: URL): string | undefined =>
  url.protocol === "http:" || url.protocol === "https:" ? undefined : `only http and https URLs can be fetched, not ${url.protocol}`;
