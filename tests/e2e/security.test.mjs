// The security review's findings (issue 15), end to end against oidc-provider: each test
// runs the attack or the race the finding describes, and fails on the code before the fix.
import assert from "node:assert/strict";
import { freePort } from "../../dev/idp.mjs";
import { startAttacker } from "./attacker.mjs";
import { call, consent, expireSharedSession, logIn, logInThere, offLoopback, openPage, ready, setup, test, tokenRequests } from "./harness.mjs";

/** `withEnv` with an attacker's server beside the honest one, allowed by the page's CSP. */
async function withAttacker(fn) {
  const port = await freePort();
  let env;
  const attacker = await startAttacker({
    port,
    honest: () => ({
      authorizationEndpoint: env.idp.issuer + "/auth",
      clientId: "spa-demo",
      redirectUri: env.appOrigin + "/e2e/two-servers.html",
    }),
  });
  try {
    env = await setup({ connectSrc: [attacker.origin] });
    try {
      await fn(env, attacker);
      assert.deepEqual(offLoopback(env.requested), [], "every request stays on loopback");
    } finally {
      await env.close();
    }
  } finally {
    await attacker.close();
  }
}

test("M1 mix-up: the other server's login comes back at the honest redirect URI; no code, verifier or token reaches either server", () =>
  withAttacker(async (env, attacker) => {
    // The honest server does not support RFC 9207 (no `iss` in the response), so only the
    // distinct redirect URIs tell the two servers' responses apart (RFC 9700 4.4.2).
    env.idp.behaviour.omitIss = true;
    const page = await env.context.newPage();
    await page.goto(`${env.appOrigin}/e2e/two-servers.html?honest=${encodeURIComponent(env.idp.issuer)}&other=${encodeURIComponent(attacker.origin)}`);
    await ready(page);
    // The user picks the other server; it sends the browser on to the honest one, with the
    // app's state, challenge and nonce, for the honest client and its redirect URI.
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("other", "startLogin"))]);
    await logIn(page, "alice");
    await consent(page);
    await page.waitForURL((u) => u.origin === env.appOrigin && u.pathname === "/e2e/two-servers.html");
    await ready(page);
    assert.ok(new URL(page.url()).searchParams.has("code"), "the honest server issued a code");
    assert.ok(!new URL(page.url()).searchParams.has("iss"), "no iss in the response (this profile)");
    // The page at the honest redirect URI completes the login with the honest config.
    const r = await page.evaluate(() => window.run("honest", "handleCallback"));
    // What the login with the other server fetched from it before the redirect (its
    // metadata and public keys, then the browser at its authorization endpoint) is public;
    // anything else would carry the code, the verifier or a token.
    const publicGets = ["/.well-known/openid-configuration", "/jwks", "/authorize"];
    const stolen = attacker.requests.filter((q) => q.method !== "GET" || q.body || !publicGets.includes(q.path));
    assert.deepEqual(stolen, [], "the attacker's server received nothing but public GETs");
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.code, "state_mismatch");
    assert.match(r.description, /another configuration's/);
    assert.equal(tokenRequests(env.idp).length, 0, "no token request at all");
    // The transaction was consumed: the same response again is still refused, and the
    // address bar holds no code.
    assert.ok(!new URL(page.url()).searchParams.has("code"), "the code is gone from the address bar");
    const again = await page.evaluate(() => window.run("other", "handleCallback"));
    assert.equal(again.ok, false);
    assert.equal(tokenRequests(env.idp).length + stolen.length, 0);
  }));

test("M2 prototype pollution: every config, option and server member inherited from Object.prototype is ignored", () =>
  withAttacker(async (env, attacker) => {
    // A server without revocation and logout endpoints: a client reading through the
    // prototype would find the polluted ones and send the tokens there.
    env.idp.behaviour.metadata = (doc) => {
      delete doc.revocation_endpoint;
      delete doc.end_session_endpoint;
      return doc;
    };
    const page = await env.context.newPage();
    await openPage(page, env, "?pollute=" + encodeURIComponent(attacker.origin));
    assert.equal(await page.evaluate(() => ({}).tokenEndpoint !== undefined), true, "the page is polluted");
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin", {}))]);
    // Not prompt=none, not login_hint=mallory: the server asks for a login.
    await logIn(page, "alice");
    await consent(page);
    await page.waitForURL((u) => u.origin === env.appOrigin && u.pathname === "/e2e/oidc.html");
    await ready(page);
    assert.ok(new URL(page.url()).searchParams.has("code"), "query response mode, not the polluted fragment");
    const done = await call(page, "handleCallback", {});
    assert.ok(done.ok, JSON.stringify(done));
    assert.equal(done.value.returnTo, null, "no polluted returnTo");
    const stored = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("spa-oauth:session?")));
    assert.equal(stored.length, 1, "stored in sessionStorage, not the polluted memory storage");
    assert.ok(!stored[0].includes("evil-api"), "no polluted audience in the session key");
    const token = await call(page, "getAccessToken", {});
    assert.ok(token.ok, JSON.stringify(token));
    assert.equal(tokenRequests(env.idp, "refresh_token").length, 0, "no polluted forceRefresh");
    const user = await call(page, "getUser", {});
    assert.ok(user.ok && user.value.sub === "alice", JSON.stringify(user));
    const out = await call(page, "logout", {});
    assert.ok(out.ok, JSON.stringify(out));
    assert.equal(await page.evaluate(() => location.pathname), "/e2e/oidc.html", "no navigation to a polluted logout URL");
    assert.equal((await call(page, "isAuthenticated")).value, false);
    assert.deepEqual(attacker.requests, [], "nothing was sent to the polluter's server");
    assert.ok(!env.requested.some((u) => u.startsWith(attacker.origin)));
  }));

test("L1 getAccessToken's fast path tells apart configs that differ only in non-enumerable or toJSON-hidden members", () =>
  withAttacker(async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    const r = await page.evaluate(async () => {
      const answer = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, code: e.code }));
      const first = await answer(window.auth.getAccessToken(window.config));
      // The same config, plus an audience JSON.stringify cannot see: another session to the wasm.
      const hidden = { ...window.config };
      Object.defineProperty(hidden, "audience", { value: "https://other-api.example", enumerable: false });
      const masked = { ...window.config, resource: "https://other-api.example", toJSON: () => window.config };
      return {
        first,
        hidden: await answer(window.auth.getAccessToken(hidden)),
        masked: await answer(window.auth.getAccessToken(masked)),
        again: await answer(window.auth.getAccessToken(window.config)),
      };
    });
    assert.ok(r.first.ok, JSON.stringify(r));
    assert.deepEqual(r.hidden, { ok: false, code: "login_required" }, "another audience is another session");
    assert.equal(r.masked.ok, false, "toJSON hides nothing the wasm reads");
    assert.deepEqual(r.again, r.first);
  }));

test("I5 the address bar holds no code by the time the first request is sent", () =>
  withAttacker(async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok(new URL(page.url()).searchParams.has("code"));
    const seen = await page.evaluate(async () => {
      const seen = [];
      const original = window.fetch;
      window.fetch = (...args) => {
        seen.push(location.href);
        return original(...args);
      };
      const r = await window.run("handleCallback");
      window.fetch = original;
      return { r, seen };
    });
    assert.ok(seen.r.ok, JSON.stringify(seen.r));
    assert.ok(seen.seen.length >= 1, "the token request went through fetch");
    for (const href of seen.seen) {
      const u = new URL(href);
      for (const p of ["code", "state", "iss", "session_state"]) assert.ok(!u.searchParams.has(p), `${p} in ${href}`);
    }
  }));

test("L6 a slow server: the refresh lock is not taken from a live holder, and a rotating refresh token is redeemed once", () =>
  withAttacker(async (env) => {
    const a = await env.context.newPage();
    const b = await env.context.newPage();
    const query = "?tokenStorage=local&httpTimeoutMs=6000";
    await logInThere(a, env, query);
    assert.ok((await call(a, "handleCallback")).ok);
    await openPage(b, env, query);
    // Each of the holder's requests takes 70% of its timeout: the refresh grant, and (its
    // metadata and key caches cleared) the discovery and the JWK Set that the refreshed ID
    // token's check fetches, 12.6 s together, past the lock's steal bound (1.5 s + the
    // timeout + 2 s = 9.5 s). Before the fix, tab B took the lock then, read the old session
    // and redeemed the old refresh token a second time. (Each request keeps 1.8 s to spare
    // before its own timeout, so that a busy machine does not turn it into a timeout.)
    env.idp.behaviour.delays = (ctx) =>
      (ctx.path === "/token" || ctx.path === "/.well-known/openid-configuration" || ctx.path === "/jwks") && ctx.method !== "OPTIONS" ? 4200 : 0;
    await a.evaluate(() => {
      for (const k of Object.keys(sessionStorage)) if (k.startsWith("spa-oauth:metadata:") || k.startsWith("spa-oauth:jwks:")) sessionStorage.removeItem(k);
    });
    await expireSharedSession(a, b);
    const ta = call(a, "getAccessToken");
    await new Promise((r) => setTimeout(r, 200)); // A holds the lock first
    const tb = call(b, "getAccessToken");
    const [ra, rb] = await Promise.all([ta, tb]);
    assert.ok(ra.ok && rb.ok, JSON.stringify([ra, rb]));
    assert.equal(tokenRequests(env.idp, "refresh_token").length, 1, "exactly one refresh_token grant");
    assert.equal(ra.value, rb.value);
    env.idp.behaviour.delays = {};
    for (const p of [a, b]) assert.equal((await call(p, "isAuthenticated")).value, true);
  }));

test("L12 a duplicated tab (a copy of sessionStorage) never sends the refresh token its original rotated; the original stays logged in", () =>
  withAttacker(async (env) => {
    const a = await env.context.newPage();
    await logInThere(a, env);
    assert.ok((await call(a, "handleCallback")).ok);
    // What the browser does when the user duplicates the tab: the new tab starts with a copy
    // of the first one's sessionStorage, refresh token included.
    const copy = await a.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));
    const b = await env.context.newPage();
    await openPage(b, env);
    await b.evaluate((items) => {
      for (const [k, v] of Object.entries(items)) sessionStorage.setItem(k, v);
    }, copy);
    const first = await call(a, "getAccessToken", { forceRefresh: true });
    assert.ok(first.ok, JSON.stringify(first));
    // The copy's refresh token was rotated away by the original: not sent, a login asked.
    const copied = await call(b, "getAccessToken", { forceRefresh: true });
    assert.equal(copied.ok, false);
    assert.equal(copied.code, "login_required", JSON.stringify(copied));
    assert.equal(tokenRequests(env.idp, "refresh_token").length, 1, "one refresh_token grant: the copy sent none");
    // oidc-provider revokes the whole grant when a rotated-away token comes back: it did not.
    const again = await call(a, "getAccessToken", { forceRefresh: true });
    assert.ok(again.ok, JSON.stringify(again));
  }));
