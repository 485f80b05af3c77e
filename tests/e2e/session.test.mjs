// A session that heals itself (issue 26), end to end against oidc-provider in each engine:
// what the page does when it comes back (the network, the tab visible again, the page
// restored from the back-forward cache), and that events which flap make no storm of
// requests. The rules themselves are the core's, tested on the native simulation's virtual
// clock (src/flow/tests.rs); here the browser's events reach them.
import assert from "node:assert/strict";
import { WAIT_MS, call, logInThere, test, tokenRequests, withEnv } from "./harness.mjs";

const events = (page) => page.evaluate(() => window.events.map((e) => e.type));

/** Waits until the server has seen `n` refresh grants. */
async function refreshes(env, n) {
  const until = Date.now() + WAIT_MS;
  while (tokenRequests(env.idp, "refresh_token").length < n) {
    if (Date.now() > until) throw new Error(`${tokenRequests(env.idp, "refresh_token").length} refreshes, not ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const comeBack = {
  online: () => window.dispatchEvent(new Event("online")),
  visible: () => document.dispatchEvent(new Event("visibilitychange")),
  restored: () => window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true })),
};

test("coming back (online, visible again, restored from the back-forward cache) refreshes an expired session once, and the app hears it", () =>
  // 20 s of lifetime is inside the 30 s margin: the access token is stale at once.
  withEnv({ accessTokenTtl: 20 }, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    let n = tokenRequests(env.idp, "refresh_token").length;
    for (const [name, fire] of Object.entries(comeBack)) {
      await page.evaluate(fire);
      await refreshes(env, ++n);
      await page.waitForFunction((k) => window.events.filter((e) => e.type === "refresh").length >= k, n, { timeout: WAIT_MS });
      assert.equal(tokenRequests(env.idp, "refresh_token").length, n, name);
    }
    // A page hidden, then not yet visible: nothing.
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: false })));
    // Twenty at once (the network flapping): one refresh, shared.
    await page.evaluate(() => { for (let i = 0; i < 20; i++) window.dispatchEvent(new Event("online")); });
    await refreshes(env, n + 1);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(tokenRequests(env.idp, "refresh_token").length, n + 1, "one refresh for twenty events");
    assert.ok(!(await events(page)).includes("expired"));
  }));

test("while the server cannot answer, coming back backs off: a flapping network sends no storm, the session stays, and it refreshes once the server is back", () =>
  withEnv({ accessTokenTtl: 20 }, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    const posts = () => env.idp.requests.filter((r) => r.path === "/token" && r.method === "POST").length;
    const before = posts();
    // The token endpoint is down (a 503 from a proxy, without CORS headers: to the page, a
    // network error).
    env.idp.behaviour.before = (ctx) => {
      if (ctx.path === "/token" && ctx.method === "POST") {
        ctx.status = 503;
        ctx.body = "Service Unavailable";
      }
    };
    for (let i = 0; i < 10; i++) {
      await page.evaluate(comeBack.online);
      await new Promise((r) => setTimeout(r, 100));
    }
    const sent = posts() - before;
    // One refresh tried; the others were within the spacing (5 s) of it. (A slow machine
    // may spread the ten events over more than that: at most one more then.)
    assert.ok(sent >= 1 && sent <= 2, `${sent} refreshes sent for ten events`);
    assert.equal((await call(page, "isAuthenticated")).value, true, "the session stayed");
    // The server is back.
    env.idp.behaviour.before = null;
    await new Promise((r) => setTimeout(r, 5500));
    await page.evaluate(comeBack.online);
    await page.waitForFunction(() => window.events.some((e) => e.type === "refresh"), null, { timeout: WAIT_MS });
    assert.ok((await call(page, "getAccessToken")).ok);
    assert.ok(!(await events(page)).includes("expired"));
  }));

for (const skew of [3 * 3600, -3 * 3600]) {
  test(`this device's clock three hours ${skew > 0 ? "ahead" : "behind"}: the login works, getSessionInfo says the offset, the refresh works`, () =>
    withEnv({}, async (env) => {
      const page = await env.context.newPage();
      await logInThere(page, env, "?clockSkew=" + skew);
      const done = await call(page, "handleCallback");
      assert.ok(done.ok, JSON.stringify(done));
      const info = (await call(page, "getSessionInfo")).value;
      assert.ok(Math.abs(info.clockOffsetSeconds + skew) <= 5, JSON.stringify(info));
      // The refreshed ID token is checked on server time too.
      const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
      assert.ok(refreshed.ok, JSON.stringify(refreshed));
      assert.equal((await call(page, "getUser")).value?.sub, "alice");
    }));
}

test("idle timeout: no activity in the page, then \"idle\", then the logout (the server's logout page, with idleLogout's options); key presses keep the session", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    // The warning 20 s after the last activity, the logout 20 s later: typing every 3 s (the
    // browser writes activity at most every 5 s) leaves a slow machine 12 s to spare.
    const back = env.appOrigin + "/";
    const config = { idleTimeoutSeconds: 40, idleWarningSeconds: 20, idleLogout: { postLogoutRedirectUri: back } };
    await logInThere(page, env, "?config=" + encodeURIComponent(JSON.stringify(config)));
    assert.ok((await call(page, "handleCallback")).ok);
    const info = (await call(page, "getSessionInfo")).value;
    assert.ok(info.idleLogoutAt > Date.now() && info.idleLogoutAt <= Date.now() + 41_000, JSON.stringify(info));
    // The user types for 45 seconds: longer than the timeout, and nothing happens.
    for (let i = 0; i < 15; i++) {
      await page.evaluate(() => window.dispatchEvent(new KeyboardEvent("keydown", { key: "a" })));
      await new Promise((r) => setTimeout(r, 3000));
    }
    assert.deepEqual((await events(page)).filter((t) => t === "idle" || t === "logout"), []);
    assert.equal((await call(page, "isAuthenticated")).value, true);
    // Then walks away: the warning, then the logout, which goes on to the server's page.
    await page.waitForFunction(() => window.events.some((e) => e.type === "idle"), null, { timeout: WAIT_MS });
    const until = Date.now() + WAIT_MS;
    while (!env.idp.requests.some((r) => r.path === "/session/end")) {
      if (Date.now() > until) throw new Error("no logout");
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(env.idp.requests.filter((r) => r.path === "/token/revocation" && r.method === "POST").length, 1, "revoked first");
    const end = env.idp.requests.find((r) => r.path === "/session/end");
    assert.equal(new URLSearchParams(end.query).get("post_logout_redirect_uri"), back, "idleLogout's options: " + end.query);
    const later = await env.context.newPage();
    await later.goto(env.appOrigin + "/e2e/oidc.html");
    await later.waitForSelector('body[data-ready="true"]', { timeout: WAIT_MS });
    assert.equal((await call(later, "isAuthenticated")).value, false);
  }));
