import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { authRules } from "../../worker/lib/auth-guard";
import { ADMIN, api, BASE, expectError, tokenWithRole } from "../helpers";

const rules = authRules(env);
let n = 0;
/** A documentation address of its own per use, so no two tests share a count. */
const newAddress = () => `198.51.100.${++n}`;
/** A wrong token whose prefix no other guess shares, so only the address's count is in play. */
const guess = () => `fd_${crypto.randomUUID().replaceAll("-", "")}`;

/** A token as the API makes them: its prefix its own (the test helper's tokens share theirs). */
const newToken = async () => ((await api("POST", "/tokens", { body: { name: "guard", role: "viewer" } })).json as { token: string }).token;

const signIn = (token: string, address?: string) =>
  api("POST", "/auth/session", { token: null, body: { token }, headers: { origin: BASE, ...(address ? { "cf-connecting-ip": address } : {}) } });
const bearer = (token: string, address: string) => api("GET", "/tasks", { token, headers: { "cf-connecting-ip": address } });

async function lockAddress(address: string) {
  for (let i = 0; i < rules.address.limit; i++) expectError(await signIn(guess(), address), 401, "unauthorized");
}

describe("failed sign-ins per client address", () => {
  it("are refused past the limit with 429, Retry-After and a JSON error, the right token too, and set no cookie", async () => {
    expect(rules.address.limit).toBeGreaterThan(0);
    const address = newAddress();
    await lockAddress(address);
    for (const token of [guess(), ADMIN]) {
      const res = await signIn(token, address);
      expectError(res, 429, "rate_limited");
      expect(res.json.error.message).toMatch(/too many failed sign-ins and API token checks from this address \(\d+ in 15 min\); try again in 1\d min/);
      expect(res.json.error.details).toMatchObject({ scope: "address" });
      const after = Number(res.headers.get("retry-after"));
      expect(after).toBeGreaterThan(rules.address.windowMs / 1000 - 120);
      expect(after).toBeLessThanOrEqual(rules.address.windowMs / 1000);
      expect(res.json.error.details.retry_after_s).toBe(after);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });

  it("do not hold another address: the same token signs in from elsewhere", async () => {
    const attacker = newAddress();
    await lockAddress(attacker);
    expect((await signIn(ADMIN, newAddress())).status).toBe(200);
  });

  it("are not counted when the token is right: a person who mistypes a few times and then signs in keeps the whole allowance", async () => {
    const address = newAddress();
    for (let i = 0; i < rules.address.limit - 1; i++) expect((await signIn(guess(), address)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await signIn(ADMIN, address)).status).toBe(200);
    expect((await signIn(guess(), address)).status).toBe(401);
    expectError(await signIn(await newToken(), address), 429, "rate_limited");
    // ...but not the token they signed in with, below
  });

  it("do not hold a token used from the address before: on a shared address, one client's failures lock out only tokens new to it", async () => {
    const office = newAddress();
    const signedIn = await newToken();
    expect((await signIn(signedIn, office)).status).toBe(200);
    const script = await newToken();
    expect((await bearer(script, office)).status).toBe(200);
    await lockAddress(office);
    expectError(await signIn(guess(), office), 429, "rate_limited");
    // a token that signed in there goes on signing in, and its first API request in an isolate passes the lock too
    expect((await signIn(signedIn, office)).status).toBe(200);
    expect((await bearer(signedIn, office)).status).toBe(200);
    // so does one that was used there through the API only
    expect((await signIn(script, office)).status).toBe(200);
    // a right token new to the address is still refused, unchecked, and its failures still lock the address
    const newcomer = await newToken();
    expectError(await signIn(newcomer, office), 429, "rate_limited");
    expectError(await bearer(newcomer, office), 429, "rate_limited");
    // a wrong token that shares a known prefix is checked (and counted against the prefix), and refused as wrong
    expectError(await signIn(`${signedIn.slice(0, 12)}wrong`, office), 401, "unauthorized");
  });

  it("are counted exactly under concurrency: of many guesses at once, only the limit's worth is checked", async () => {
    const address = newAddress();
    const tries = rules.address.limit * 2;
    const statuses = await Promise.all(Array.from({ length: tries }, (_, i) => signIn(guess(), address).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(rules.address.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(tries - rules.address.limit);
  });

  it("share their count with unknown bearer tokens from the same address, which are refused the same way", async () => {
    const address = newAddress();
    for (let i = 0; i < rules.address.limit; i++) expectError(await bearer(guess(), address), 401, "unauthorized");
    expectError(await bearer(guess(), address), 429, "rate_limited");
    expectError(await signIn(ADMIN, address), 429, "rate_limited");
    // a right token not checked before is refused too: a guesser must not learn that a guess was right
    const fresh = await newToken();
    expectError(await bearer(fresh, address), 429, "rate_limited");
    expect((await bearer(fresh, newAddress())).status).toBe(200);
  });

  it("audit the lockout in the instance's organization, and each sign-in with its address in the token's", async () => {
    const address = newAddress();
    await lockAddress(address);
    const lockouts = await api("GET", `/audit?action=auth.lockout&target=${address}`);
    expect(lockouts.status).toBe(200);
    expect(lockouts.json.items).toHaveLength(1);
    expect(lockouts.json.items[0]).toMatchObject({
      action: "auth.lockout",
      actor: { type: "system", id: "auth-guard" },
      target: { type: "address", id: address },
      details: { via: "sign-in", failures: rules.address.limit, window_s: rules.address.windowMs / 1000 },
    });
    const good = newAddress();
    expect((await signIn(ADMIN, good)).status).toBe(200);
    const signIns = await api("GET", "/audit?action=auth.sign_in&actor=tok_bootstrap");
    expect(signIns.json.items[0]).toMatchObject({ action: "auth.sign_in", target: { type: "token", id: "tok_bootstrap" }, details: { address: good } });
  });
});

describe("failed sign-ins per token prefix", () => {
  it("lock the prefix against guesses spread over many addresses, but not where its token signed in before", async () => {
    const { token } = (await api("POST", "/tokens", { body: { name: "prefix target", role: "viewer" } })).json as { token: string };
    const home = newAddress();
    expect((await signIn(token, home)).status).toBe(200);
    const stem = token.slice(0, 12);
    for (let i = 0; i < rules.prefix.limit; i++) expect((await signIn(`${stem}wrong${i}`, `203.0.113.${i}`)).status).toBe(401);
    const elsewhere = await signIn(token, newAddress());
    expectError(elsewhere, 429, "rate_limited");
    expect(elsewhere.json.error.details).toMatchObject({ scope: "token_prefix" });
    expect(elsewhere.json.error.message).toMatch(/tokens beginning like this one/);
    // the token's own browser is not locked out by someone else's failures
    expect((await signIn(token, home)).status).toBe(200);
    // another token's prefix is not held
    expect((await signIn(await tokenWithRole("viewer"), newAddress())).status).toBe(200);
    const audit = await api("GET", "/audit?action=auth.lockout");
    expect(audit.json.items.some((e: { target: { type: string } }) => e.target.type === "token_prefix")).toBe(true);
    expect(JSON.stringify(audit.json)).not.toContain(stem);
  });
});
