// The whole flow in headless Chromium against oidc-provider: each case a user would meet.
import assert from "node:assert/strict";
import { call, captureCallback, consent, fullLogin, logIn, logInThere, ready, storedSession, test, tokenRequests, withEnv } from "./harness.mjs";

test("full login, userinfo, returnTo, clean address bar, reload and a new tab", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await fullLogin(page, env, "/?view=orders");
    assert.equal(await page.textContent("#status"), "Logged in.");
    // returnTo honoured; no code or state left in the address bar.
    const url = new URL(page.url());
    assert.equal(url.pathname + url.search, "/?view=orders");
    assert.ok(!url.searchParams.has("code") && !url.searchParams.has("state") && !url.searchParams.has("iss"));
    const session = await storedSession(page);
    assert.ok(session.access_token, "access token stored");
    await page.click("#call-api");
    await page.waitForSelector("#api-result[data-status]");
    assert.equal(await page.getAttribute("#api-result", "data-status"), "200");
    assert.equal(JSON.parse((await page.textContent("#api-result")).split("\n").slice(1).join("\n")).sub, "alice");
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 1);

    // Reload: the session survives in sessionStorage.
    await page.reload();
    await ready(page);
    assert.equal(await page.textContent("#status"), "Logged in.");
    assert.equal(await page.textContent("#user"), "alice");

    // A new tab has its own sessionStorage: logged out there.
    const tab = await env.context.newPage();
    await tab.goto(env.appOrigin + "/");
    await ready(tab);
    assert.equal(await tab.textContent("#status"), "Not logged in.");
  }));

test("short-lived access token: refresh, rotation, old refresh token refused", () =>
  withEnv({ accessTokenTtl: 20 }, async (env) => {
    const page = await env.context.newPage();
    await fullLogin(page, env);
    const before = await storedSession(page);
    assert.ok(before.refresh_token, "a refresh token was issued");
    const refreshesBefore = tokenRequests(env.idp, "refresh_token").length;
    // 20 s of lifetime is inside the 30 s margin: getAccessToken must refresh.
    await page.click("#call-api");
    await page.waitForSelector("#api-result[data-status]");
    assert.equal(await page.getAttribute("#api-result", "data-status"), "200");
    assert.equal(tokenRequests(env.idp, "refresh_token").length, refreshesBefore + 1);
    const after = await storedSession(page);
    assert.notEqual(after.refresh_token, before.refresh_token, "rotated refresh token stored");
    assert.notEqual(after.access_token, before.access_token);
    // The server refuses the old refresh token.
    const r = await fetch(env.idp.issuer + "/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: before.refresh_token, client_id: "spa-demo" }),
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, "invalid_grant");
  }));

test("the user denies consent: access_denied reaches the page", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await page.goto(env.appOrigin + "/");
    await ready(page);
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    await logIn(page, "bob");
    await page.waitForSelector('button:has-text("Continue")');
    await Promise.all([page.waitForURL((u) => u.origin === env.appOrigin), page.click('a:has-text("Cancel")')]);
    await ready(page);
    assert.equal(await page.getAttribute("#error", "data-code"), "access_denied");
    assert.equal(await page.isVisible("#error"), true);
    assert.equal(await page.textContent("#status"), "Not logged in.");
    assert.equal(tokenRequests(env.idp).length, 0);
  }));

test("a tampered state is state_mismatch and no token request is sent", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    const callback = new URL(await captureCallback(page, env));
    const state = callback.searchParams.get("state");
    callback.searchParams.set("state", state.slice(0, -1) + (state.endsWith("A") ? "B" : "A"));
    env.idp.clearRequests();
    await page.goto(callback.href);
    await ready(page);
    assert.equal(await page.getAttribute("#error", "data-code"), "state_mismatch");
    assert.equal(tokenRequests(env.idp).length, 0, "the server sees no token request");
  }));

test("callback opened twice, and handleCallback twice at once: the code is redeemed once", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    // Twice at once, as React StrictMode does, on the page that is the redirect URI.
    await page.goto(env.appOrigin + "/e2e/double.html");
    await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.start())]);
    await logIn(page, "alice");
    await consent(page);
    await page.waitForURL((u) => u.origin === env.appOrigin && u.pathname === "/e2e/double.html");
    await page.waitForSelector('body[data-ready="true"]');
    const results = JSON.parse(await page.textContent("#out"));
    assert.equal(results.length, 2);
    for (const r of results) assert.ok(r.ok, "both calls succeed: " + JSON.stringify(r));
    assert.deepEqual(results[0], results[1]);
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 1);

    // The same callback URL opened again (history, a bookmark): the transaction is gone.
    const callbackHref = await page.evaluate(() => window.callbackHref);
    await page.goto(callbackHref);
    await page.waitForSelector('body[data-ready="true"]');
    const again = JSON.parse(await page.textContent("#out"));
    assert.deepEqual(again.map((r) => r.code), ["state_mismatch", "state_mismatch"]);
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 1, "never the server's invalid_grant");
  }));

test("server down at the token request: network_error, then a new login works", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    const callback = await captureCallback(page, env);
    await env.idp.close();
    await page.goto(callback);
    await ready(page);
    assert.equal(await page.getAttribute("#error", "data-code"), "network_error");
    assert.equal(await page.textContent("#status"), "Not logged in.");
    assert.equal(await page.isVisible("#login"), true, "the page stays usable");

    await env.restartIdp();
    await page.click("#dismiss");
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    await logIn(page, "carol");
    await consent(page);
    await page.waitForURL((u) => u.origin === env.appOrigin);
    await ready(page);
    assert.equal(await page.textContent("#status"), "Logged in.");
    assert.equal(await page.textContent("#user"), "carol");
  }));

test("log out: the refresh token revoked (and the grant's access token with it), provider session ended, the next login asks again", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await fullLogin(page, env);
    const { access_token: accessToken } = await storedSession(page);
    await Promise.all([page.waitForNavigation(), page.click("#logout")]);
    // The provider's logout confirmation (RP-Initiated Logout), then back to the app.
    await page.waitForSelector('button:has-text("Yes, log out")');
    await Promise.all([page.waitForURL((u) => u.origin === env.appOrigin), page.click('button:has-text("Yes, log out")')]);
    await ready(page);
    assert.equal(await page.textContent("#status"), "Not logged in.");
    assert.equal(await page.isVisible("#error"), false, "the way back (with the logout's state) is no login error");
    assert.ok(!new URL(page.url()).searchParams.has("state"), "the logout's state is removed from the address bar");
    assert.equal(await storedSession(page), null);
    // One request, for the refresh token (RFC 7009 2.1: the server then invalidates the
    // grant's access tokens too); a second one is what Cognito and Google answer with errors.
    assert.equal(env.idp.requests.filter((r) => r.path === "/token/revocation").length, 1, "the refresh token revoked, once");
    const me = await fetch(env.idp.issuer + "/me", { headers: { authorization: "Bearer " + accessToken } });
    assert.equal(me.status, 401, "the revoked access token is refused by userinfo");
    // The provider's session is gone: logging in shows its login form again.
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    await page.waitForSelector('input[name="login"]');
  }));

/** Rewrites members of the stored session of the test page, as another writer would. */
const editStoredSession = (page, which, changes) =>
  page.evaluate(([which, changes]) => {
    const area = window[which];
    const key = Object.keys(area).find((k) => k.startsWith("spa-oauth:session?"));
    const session = new URLSearchParams(area.getItem(key));
    for (const [k, v] of Object.entries(changes)) session.set(k, v);
    area.setItem(key, session.toString());
  }, [which, changes]);

test("getAccessToken's answer follows the stored session, the clock, the config and this page's writes", () =>
  withEnv({ accessTokenTtl: 120 }, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    const first = await call(page, "getAccessToken");
    assert.ok(first.ok, JSON.stringify(first));
    assert.equal((await call(page, "getAccessToken")).value, first.value, "the same token, no request");

    // Someone else (the app, a script) stores another token: it is the one handed out.
    await editStoredSession(page, "sessionStorage", { access_token: "stored-by-someone-else" });
    assert.equal((await call(page, "getAccessToken")).value, "stored-by-someone-else");
    await editStoredSession(page, "sessionStorage", { access_token: first.value });
    assert.equal((await call(page, "getAccessToken")).value, first.value);

    // The clock passes the refresh margin (120 s of lifetime, 95 s later: 25 s left).
    const grants = tokenRequests(env.idp, "refresh_token").length;
    await page.evaluate(() => {
      const now = Date.now;
      Date.now = () => now() + 95000;
    });
    const refreshed = await call(page, "getAccessToken");
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.notEqual(refreshed.value, first.value, "refreshed when the stored token got too old");
    assert.equal(tokenRequests(env.idp, "refresh_token").length, grants + 1);
    assert.equal((await call(page, "getAccessToken")).value, refreshed.value);

    // Another client in the same config object: its own (absent) session.
    await page.evaluate(() => (window.config.clientId = "another-client"));
    assert.equal((await call(page, "getAccessToken")).code, "login_required");
    await page.evaluate(() => (window.config.clientId = JSON.parse(sessionStorage.getItem("e2e-config")).clientId));
    assert.equal((await call(page, "getAccessToken")).value, refreshed.value);

    // forceRefresh always asks the server.
    const forced = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(forced.ok && forced.value !== refreshed.value, JSON.stringify(forced));
    assert.equal(tokenRequests(env.idp, "refresh_token").length, grants + 2);
  }));

test("tokenStorage memory: a refused refresh ends the session, and getAccessToken says so", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env, "?tokenStorage=memory");
    assert.ok((await call(page, "handleCallback")).ok);
    const token = await call(page, "getAccessToken");
    assert.ok(token.ok, JSON.stringify(token));
    assert.equal((await call(page, "getAccessToken")).value, token.value);
    // The server refuses the refresh token: the session (in this page's memory only, so no
    // stored text can tell that it is gone) is over.
    env.idp.behaviour.after = (ctx) => {
      if (ctx.path === "/token") {
        ctx.status = 400;
        ctx.body = { error: "invalid_grant" };
      }
    };
    const refused = await call(page, "getAccessToken", { forceRefresh: true });
    assert.equal(refused.code, "login_required", JSON.stringify(refused));
    const after = await call(page, "getAccessToken");
    assert.equal(after.ok, false, JSON.stringify(after));
    assert.equal(after.code, "login_required");
  }));
