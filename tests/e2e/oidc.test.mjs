// OpenID Connect end to end against oidc-provider: ID tokens verified with each signature
// algorithm, tampering and mix-up refused, fragment mode, userinfo, and session events.
import assert from "node:assert/strict";
import { ALG_CLIENTS, CLIENT_ID } from "../../dev/idp.mjs";
import { call, callAndLeave, captureCallback, consent, expireSharedSession, fullLogin, logIn, logInThere, openPage, ready, storedSession, test, tokenRequests, withEnv } from "./harness.mjs";

/** The `alg` in the header of the stored ID token. */
async function storedAlg(page) {
  const s = await storedSession(page);
  return JSON.parse(Buffer.from(s.id_token.split(".")[0], "base64url").toString()).alg;
}

test("each ID-token algorithm, RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA: login, user, userinfo, refresh and logout", () =>
  withEnv({}, async (env) => {
    const clients = { [CLIENT_ID]: "RS256", ...ALG_CLIENTS };
    for (const [clientId, alg] of Object.entries(clients)) {
      // A context each: a fresh provider session, so each client logs in from the start.
      const page = await (await env.newContext()).newPage();
      await logInThere(page, env, "?clientId=" + clientId);
      const r = await call(page, "handleCallback");
      assert.ok(r.ok, clientId + ": " + JSON.stringify(r));
      assert.equal(r.value.loggedOut, false);
      assert.equal(await storedAlg(page), alg);
      const user = await call(page, "getUser");
      assert.equal(user.value.sub, "alice");
      assert.equal(user.value.aud, clientId);
      assert.equal(user.value.iss, env.idp.issuer);
      assert.equal(typeof user.value.nonce, "string");
      assert.deepEqual((await call(page, "isAuthenticated")).value, true);
      // With userinfo: the profile claims are merged in.
      const full = await call(page, "getUser", { userinfo: true });
      assert.equal(full.value.email, "alice@example.test");
      assert.equal(full.value.sub, "alice");
      assert.deepEqual(await page.evaluate(() => window.events), [{ type: "login", external: false, storage: "session" }]);
      // A refresh: its new ID token is verified with the same algorithm and stored (OIDC
      // Core 12.2); then the logout reaches the server's logout page.
      const first = (await storedSession(page)).id_token;
      // A second later, so that the renewed ID token differs from the first (its iat).
      await new Promise((r) => setTimeout(r, 1000));
      const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
      assert.ok(refreshed.ok, clientId + ": " + JSON.stringify(refreshed));
      const renewed = (await storedSession(page)).id_token;
      assert.notEqual(renewed, first, clientId + ": the refreshed ID token is stored");
      assert.equal(await storedAlg(page), alg);
      await callAndLeave(page, "logout");
      assert.ok(page.url().startsWith(env.idp.issuer + "/session/end"), clientId + ": " + page.url());
    }
    assert.equal(tokenRequests(env.idp, "authorization_code").length, Object.keys(clients).length);
    assert.equal(tokenRequests(env.idp, "refresh_token").length, Object.keys(clients).length);
  }));

test("an ID token with one byte of its signature changed is refused and nothing is stored", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    // On its way to the browser (changed as the server answers: the same in every engine).
    env.idp.behaviour.after = (ctx) => {
      if (ctx.path !== "/token" || typeof ctx.body?.id_token !== "string") return;
      const [h, p, s] = ctx.body.id_token.split(".");
      const i = 20;
      ctx.body = { ...ctx.body, id_token: [h, p, s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1)].join(".") };
    };
    await fullLogin(page, env);
    assert.equal(await page.getAttribute("#error", "data-code"), "id_token_invalid");
    assert.match(await page.textContent("#error-description"), /signature/);
    assert.equal(await page.textContent("#status"), "Not logged in.");
    assert.equal(await storedSession(page), null);
  }));

test("a callback whose iss is another issuer, or missing, is issuer_mismatch and redeems nothing", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    for (const iss of ["http://localhost:1/evil", null]) {
      const callback = new URL(await captureCallback(page, env));
      assert.equal(callback.searchParams.get("iss"), env.idp.issuer, "oidc-provider sends iss (RFC 9207)");
      if (iss) callback.searchParams.set("iss", iss);
      else callback.searchParams.delete("iss");
      env.idp.clearRequests();
      await page.goto(callback.href);
      await ready(page);
      assert.equal(await page.getAttribute("#error", "data-code"), "issuer_mismatch");
      assert.equal(tokenRequests(env.idp).length, 0, "the code never reaches the token endpoint");
      assert.equal(await page.textContent("#status"), "Not logged in.");
    }
  }));

test("responseMode fragment: the response comes in the fragment and is removed from it", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env, "?responseMode=fragment");
    const url = new URL(page.url());
    assert.ok(url.hash.includes("code="), "the code is in the fragment");
    assert.ok(!url.searchParams.has("code"), "not in the query");
    const r = await call(page, "handleCallback");
    assert.ok(r.ok, JSON.stringify(r));
    const after = new URL(page.url());
    assert.ok(!after.hash.includes("code=") && !after.hash.includes("state="), "fragment cleaned: " + after.href);
    assert.equal((await call(page, "getUser")).value.sub, "alice");
  }));

test("tokenStorage local: another tab hears the login and the logout", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    const other = await env.context.newPage();
    await openPage(other, env, "?tokenStorage=local");
    await logInThere(page, env, "?tokenStorage=local");
    assert.ok((await call(page, "handleCallback")).ok);
    await other.waitForFunction(() => window.events.length >= 1);
    assert.deepEqual(await other.evaluate(() => window.events), [{ type: "login", external: true, storage: "local" }]);
    assert.equal((await call(other, "getUser")).value.sub, "alice", "the other tab sees the session");
    // Logging out without the provider round trip (revocation only; the provider has an
    // end_session_endpoint, so this navigates: wait for that).
    await callAndLeave(page, "logout");
    await other.waitForFunction(() => window.events.length >= 2);
    assert.deepEqual((await other.evaluate(() => window.events))[1], { type: "logout", external: true, storage: "local" });
    assert.equal((await call(other, "isAuthenticated")).value, false);
  }));

test("one round trip each: startLogin fetches only the metadata, handleCallback the token with the JWK Set beside it; rotated keys are fetched again, once", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await openPage(page, env);
    const jwksRequests = () => env.idp.requests.filter((r) => r.path === "/jwks").length;
    const discoveries = () => env.idp.requests.filter((r) => r.path === "/.well-known/openid-configuration").length;
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin"))]);
    assert.deepEqual([discoveries(), jwksRequests()], [1, 0], "startLogin: the metadata only");
    await logIn(page, "alice");
    await consent(page);
    await page.waitForURL((u) => u.origin === env.appOrigin);
    await ready(page);
    // Each answer held back, so that two requests in flight together overlap at the server.
    env.idp.behaviour.delays = (ctx) => (ctx.method !== "OPTIONS" && ["/token", "/jwks"].includes(ctx.path) ? 300 : 0);
    const r = await call(page, "handleCallback");
    env.idp.behaviour.delays = {};
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual([discoveries(), jwksRequests()], [1, 1], "handleCallback: the cached metadata, the JWK Set once");
    const [token] = tokenRequests(env.idp, "authorization_code");
    const jwks = env.idp.requests.find((q) => q.path === "/jwks" && q.method === "GET");
    assert.ok(jwks.start < token.end && token.start < jwks.end, "the token request and the JWK Set were in flight together");
    // The provider rotates its keys: the cached set lacks the key of the next ID token.
    const rotated = await page.evaluate(() => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith("spa-oauth:jwks:"));
      const record = new URLSearchParams(sessionStorage.getItem(key));
      const set = JSON.parse(record.get("jwks"));
      set.keys = set.keys.map((k) => ({ ...k, kid: "old-" + k.kid }));
      record.set("jwks", JSON.stringify(set));
      sessionStorage.setItem(key, record.toString());
      return set.keys.length;
    });
    assert.ok(rotated > 0);
    const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.equal(jwksRequests(), 2, "one refetch for the unknown kid");
    assert.equal((await call(page, "getUser")).value.sub, "alice");
  }));

test("two tabs with an expired token refresh at the same moment: one grant, one new token, nobody logged out", () =>
  withEnv({}, async (env) => {
    const a = await env.context.newPage();
    const b = await env.context.newPage();
    await logInThere(a, env, "?tokenStorage=local");
    assert.ok((await call(a, "handleCallback")).ok);
    await openPage(b, env, "?tokenStorage=local");
    // Several rounds: whether the second tab's read after the lock sees the first tab's
    // write depends on timing inside Chromium (one in eight rounds, before the fix).
    let token;
    for (let round = 0; round < 8; round++) {
      // The shared session's access token expired a second ago; both tabs see it before they race.
      await expireSharedSession(a, b);
      const before = tokenRequests(env.idp, "refresh_token").length;
      const [ta, tb] = await Promise.all([call(a, "getAccessToken"), call(b, "getAccessToken")]);
      assert.ok(ta.ok && tb.ok, JSON.stringify([round, ta, tb]));
      assert.equal(tokenRequests(env.idp, "refresh_token").length - before, 1, `round ${round}: exactly one refresh_token grant`);
      assert.equal(ta.value, tb.value, "both tabs end with the same new token");
      assert.notEqual(ta.value, token, "a new token each round");
      token = ta.value;
      for (const p of [a, b]) assert.equal((await call(p, "isAuthenticated")).value, true);
    }
    const me = await fetch(env.idp.issuer + "/me", { headers: { authorization: "Bearer " + token } });
    assert.equal(me.status, 200, "the new token works");
  }));
