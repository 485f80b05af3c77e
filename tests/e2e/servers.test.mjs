// What real authorization servers do differently (issue 16, docs/SERVERS.md), reproduced with
// oidc-provider: each test sets the server's documented behaviour and asserts what the user
// of spa-oauth sees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { call, consent, logInThere, tokenRequests, withEnv } from "./harness.mjs";

test("stock offline_access (oidc-provider, Authentik): no refresh token without consent, and getSessionInfo says so", () =>
  withEnv({}, async (env) => {
    env.idp.behaviour.stockRefreshTokens = true;
    const page = await env.context.newPage();
    await logInThere(page, env); // asks for offline_access, without prompt=consent
    assert.ok((await call(page, "handleCallback")).ok);
    const info = (await call(page, "getSessionInfo")).value;
    assert.equal(info.refreshable, false);
    assert.equal(info.refreshTokenWithheld, true, "the app can tell why the session will end");
    // What docs/SERVERS.md says to do: ask for consent.
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin", { prompt: "consent" }))]);
    await consent(page);
    await page.waitForURL((u) => u.origin === env.appOrigin && u.searchParams.has("code"));
    await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
    assert.ok((await call(page, "handleCallback")).ok);
    const after = (await call(page, "getSessionInfo")).value;
    assert.deepEqual([after.refreshable, after.refreshTokenWithheld], [true, false]);
    // And the refresh (with the granted scope in the grant) works.
    const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.equal(tokenRequests(env.idp, "refresh_token").length, 1);
  }));
