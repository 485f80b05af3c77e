// What real authorization servers do differently (issue 16, docs/SERVERS.md), reproduced with
// oidc-provider: each test sets the server's documented behaviour and asserts what the user
// of spa-oauth sees.
import assert from "node:assert/strict";
import { JWT_USERINFO_CLIENT, SECRET_CLIENT } from "../../dev/idp.mjs";
import { WAIT_MS, call, callAndLeave, consent, logInThere, openPage, test, tokenRequests, withEnv } from "./harness.mjs";

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

/** Login, the user, an API call (userinfo as the API), a forced refresh and the logout, as a user would go through them. */
async function walk(page, env, { logout: logoutOptions = {}, navigates = false, loggedIn = false, first } = {}) {
  if (first) assert.ok(first.ok, JSON.stringify(first));
  if (!loggedIn) {
    await logInThere(page, env);
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
  }
  const user = await call(page, "getUser");
  assert.equal(user.value?.sub, "alice", JSON.stringify(user));
  const token = await call(page, "getAccessToken");
  const me = await fetch(env.idp.origin + "/me", { headers: { authorization: "Bearer " + token.value } });
  assert.equal(me.status, 200, "the API accepts the token");
  const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
  assert.ok(refreshed.ok, JSON.stringify(refreshed));
  assert.notEqual(refreshed.value, token.value);
  if (!navigates) return call(page, "logout", logoutOptions);
  await callAndLeave(page, "logout", logoutOptions);
  return page.url();
}

/** The server answers every revocation request with `status` and `body` (a server's quirk). */
function answerRevocation(env, status, body) {
  env.idp.behaviour.after = (ctx) => {
    if (ctx.path === "/token/revocation") {
      ctx.status = status;
      ctx.body = body;
    }
  };
}

/** A login while the server's session is alive: no login form (maybe the consent again), back with a code. */
async function loginAgain(page, env) {
  await openPage(page, env);
  await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin"))]);
  const back = (u) => u.origin === env.appOrigin && u.searchParams.has("code");
  await Promise.race([page.waitForURL(back), page.waitForSelector('button:has-text("Continue")')]);
  assert.equal(await page.$('input[name="login"]'), null, "no login form: the server's session is alive");
  if (!back(new URL(page.url()))) await consent(page);
  await page.waitForURL(back);
  await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
}

test("Azure AD B2C and Entra v1: expires_in as a decimal string is the number", () =>
  withEnv({}, async (env) => {
    env.idp.behaviour.after = (ctx) => {
      if (ctx.path === "/token" && ctx.body?.expires_in !== undefined) ctx.body = { ...ctx.body, expires_in: String(ctx.body.expires_in) };
    };
    const page = await env.context.newPage();
    const before = Date.now();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    // The expiry was read (3600 s), not taken for "no expiry".
    const info = (await call(page, "getSessionInfo")).value;
    assert.ok(info.expiresAt > before + 3000 * 1000 && info.expiresAt < Date.now() + 3700 * 1000, JSON.stringify(info));
    const end = await walk(page, env, { navigates: true, loggedIn: true });
    assert.ok(end.startsWith(env.idp.issuer + "/session/end"), end);
  }));

for (const [server, member] of [["Keycloak", "refresh_expires_in"], ["Entra ID", "refresh_token_expires_in"]]) {
  test(`${server}: ${member} gives the session's end (getSessionInfo's sessionExpiresAt), and "expiring" comes expiringNoticeSeconds before it`, () =>
    withEnv({}, async (env) => {
      // The server says how long its refresh token (its session) lasts: 65 s here.
      env.idp.behaviour.after = (ctx) => {
        if (ctx.path === "/token" && ctx.body?.access_token) ctx.body = { ...ctx.body, [member]: 65 };
      };
      const page = await env.context.newPage();
      const before = Date.now();
      await logInThere(page, env, "?config=" + encodeURIComponent(JSON.stringify({ expiringNoticeSeconds: 60 })));
      assert.ok((await call(page, "handleCallback")).ok);
      const info = (await call(page, "getSessionInfo")).value;
      assert.ok(info.sessionExpiresAt >= before + 64_000 && info.sessionExpiresAt <= Date.now() + 66_000, JSON.stringify(info));
      // A minute before that end: the event, with no call of the app.
      await page.waitForFunction(() => window.events.some((e) => e.type === "expiring"), null, { timeout: WAIT_MS });
      assert.ok(Date.now() < info.sessionExpiresAt, "before the end");
      assert.equal((await call(page, "isAuthenticated")).value, true);
    }));
}

test("Entra ID: a refresh without scope is answered for another resource; spa-oauth sends the granted scope", () =>
  withEnv({}, async (env) => {
    // The server's rule, made strict: a refresh grant without scope is refused.
    env.idp.behaviour.after = (ctx) => {
      if (ctx.path === "/token" && ctx.oidc?.params?.grant_type === "refresh_token" && !ctx.oidc.params.scope) {
        ctx.status = 400;
        ctx.body = { error: "invalid_scope", error_description: "AADSTS70011: scope is required" };
      }
    };
    const page = await env.context.newPage();
    const end = await walk(page, env, { navigates: true });
    assert.ok(end.startsWith(env.idp.issuer + "/session/end"), end);
    const grant = tokenRequests(env.idp, "refresh_token")[0];
    for (const s of ["openid", "profile", "email"]) assert.ok(grant.scope.split(" ").includes(s), grant.scope);
  }));

test("a server that answers a refused refresh with 200 and an error object: the session ends with the server's error", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    env.idp.behaviour.after = (ctx) => {
      if (ctx.path === "/token" && ctx.oidc?.params?.grant_type === "refresh_token") {
        ctx.status = 200;
        ctx.body = { error: "invalid_grant", error_description: "refresh token expired" };
      }
    };
    const r = await call(page, "getAccessToken", { forceRefresh: true });
    assert.equal(r.ok, false);
    assert.equal(r.code, "login_required", JSON.stringify(r));
    assert.equal(r.error, "invalid_grant");
    assert.equal((await call(page, "isAuthenticated")).value, false);
  }));

test("revocation answered with 204, and no end_session_endpoint (Dex, Google): logout says what happened at the server", () =>
  withEnv({}, async (env) => {
    env.idp.behaviour.metadata = (doc) => {
      delete doc.end_session_endpoint;
      return doc;
    };
    env.idp.behaviour.after = (ctx) => {
      if (ctx.path === "/token/revocation" && ctx.status === 200) ctx.status = 204;
    };
    const page = await env.context.newPage();
    const out = await walk(page, env);
    assert.deepEqual(out.value, { revoked: true, serverLogout: false, error: null }, JSON.stringify(out));
    assert.equal((await call(page, "isAuthenticated")).value, false);
    // What serverLogout: false means for the user: the server's session survived, and the
    // next login asks for nothing.
    await loginAgain(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    // With the logout page named (Auth0's /v2/logout, Cognito's /logout): the browser goes there.
    await callAndLeave(page, "logout", { endSessionEndpoint: env.idp.issuer + "/session/end", extraParams: { logout_uri: env.appOrigin + "/" } });
    const at = new URL(page.url());
    assert.equal(at.origin + at.pathname, env.idp.issuer + "/session/end");
  }));

test("a revocation endpoint that refuses the client (Authentik): the logout still reaches the server's logout page", () =>
  withEnv({}, async (env) => {
    answerRevocation(env, 401, { error: "invalid_client" });
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    await callAndLeave(page, "logout");
    assert.ok(page.url().startsWith(env.idp.issuer + "/session/end"), page.url());
  }));

test("an issuer written with a trailing slash the server does not write (Auth0, Authentik): the error shows both and says so", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await page.goto(`${env.appOrigin}/e2e/oidc.html?issuer=${encodeURIComponent(env.idp.issuer + "/")}`);
    await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
    const r = await call(page, "startLogin");
    assert.equal(r.code, "issuer_mismatch", JSON.stringify(r));
    assert.ok(r.description.includes(`"${env.idp.issuer}"`) && r.description.includes("trailing slash"), r.description);
  }));

test("Google's web clients: a client secret required at the token endpoint, sent with clientSecret in the code and refresh grants only", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    // Without it: the server refuses the code.
    await logInThere(page, env, "?clientId=" + SECRET_CLIENT.id);
    const refused = await call(page, "handleCallback");
    assert.equal(refused.code, "invalid_client", JSON.stringify(refused));
    // With it: login, user, API call, refresh and logout.
    const query = `?clientId=${SECRET_CLIENT.id}&clientSecret=${SECRET_CLIENT.secret}`;
    await openPage(page, env, query);
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin"))]);
    await page.waitForURL((u) => u.origin === env.appOrigin && u.searchParams.has("code"));
    await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
    const end = await walk(page, env, { navigates: true, loggedIn: true, first: await call(page, "handleCallback") });
    assert.ok(end.startsWith(env.idp.issuer + "/session/end"), end);
    // Never stored with the session.
    assert.ok(!JSON.stringify(await page.evaluate(() => ({ ...sessionStorage }))).includes(SECRET_CLIENT.secret));
  }));

test("Cognito: access-token revocation is unsupported_token_type, and the logout page is /logout with logout_uri", () =>
  withEnv({}, async (env) => {
    // No refresh token (the stock rule, no consent), so the access token is the one revoked.
    env.idp.behaviour.stockRefreshTokens = true;
    env.idp.behaviour.metadata = (doc) => {
      delete doc.end_session_endpoint;
      return doc;
    };
    answerRevocation(env, 400, { error: "unsupported_token_type" });
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    const logoutUri = env.appOrigin + "/";
    await callAndLeave(page, "logout", { endSessionEndpoint: env.idp.issuer + "/session/end", extraParams: { logout_uri: logoutUri } });
    const at = new URL(page.url());
    assert.equal(at.origin + at.pathname, env.idp.issuer + "/session/end");
    assert.equal(at.searchParams.get("logout_uri"), logoutUri);
    const revocations = env.idp.requests.filter((r) => r.path === "/token/revocation");
    assert.equal(revocations.length, 1, "one revocation request, for the access token");
  }));

/** The test page's query for a config with these members. */
const withConfig = (members) => "?config=" + encodeURIComponent(JSON.stringify(members));

test("Entra ID multi-tenant (organizations): the document names an issuer template; with issuerTemplate the tenant's users log in, with tenants only those", () => {
  const tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
  return withEnv({ issuerPath: `/${tenant}/v2.0` }, async (env) => {
    const { origin } = env.idp;
    const template = origin + "/{tenantid}/v2.0";
    // What login.microsoftonline.com does: /organizations/v2.0 has the discovery document, whose
    // issuer is the template; ID tokens carry the user's tenant in iss and in tid.
    // Entra sends no iss in its authorization responses (RFC 9207 not supported), so the
    // ID token is where the tenant is checked.
    env.idp.behaviour.omitIss = true;
    env.idp.behaviour.tenant = tenant;
    env.idp.behaviour.before = (ctx) => {
      if (ctx.path === "/organizations/v2.0/.well-known/openid-configuration") ctx.path = "/.well-known/openid-configuration";
    };
    env.idp.behaviour.metadata = (doc) => ({ ...doc, issuer: template });
    const issuer = origin + "/organizations/v2.0";
    const page = await env.context.newPage();
    // Without the opt-in: refused, and the error shows what the server sent.
    await openPage(page, env, withConfig({ issuer }));
    const refused = await call(page, "startLogin");
    assert.equal(refused.code, "issuer_mismatch", JSON.stringify(refused));
    assert.ok(refused.description.includes(template), refused.description);
    // With it: login, user, API call, refresh (its ID token in the same tenant) and logout.
    await logInThere(page, env, withConfig({ issuer, issuerTemplate: template, tenants: [tenant] }));
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
    const user = (await call(page, "getUser")).value;
    assert.deepEqual([user.iss, user.tid], [env.idp.issuer, tenant]);
    const end = await walk(page, env, { navigates: true, loggedIn: true });
    assert.ok(end.startsWith(origin + "/session/end"), end);
    // A tenant that is not on the app's list: the ID token is refused, nothing is stored.
    const other = await (await env.newContext()).newPage();
    await logInThere(other, env, withConfig({ issuer, issuerTemplate: template, tenants: ["72f988bf-86f1-41af-91ab-2d7cd011db47"] }));
    const stranger = await call(other, "handleCallback");
    assert.equal(stranger.code, "id_token_invalid", JSON.stringify(stranger));
    assert.ok(stranger.description.includes("tenant") || stranger.description.includes(template), stranger.description);
    assert.equal((await call(other, "isAuthenticated")).value, false);
  });
});

test("Azure AD B2C: the document only at the policy's metadata URL; metadataUrl finds it", () =>
  withEnv({}, async (env) => {
    const policy = "/tfp/b2c_1_signin/v2.0/.well-known/openid-configuration";
    env.idp.behaviour.before = (ctx) => {
      // Neither well-known location of the issuer has a document (oidc-provider serves both).
      if (ctx.path === "/.well-known/openid-configuration" || ctx.path.startsWith("/.well-known/oauth-authorization-server")) {
        ctx.status = 404;
        ctx.body = "no document here";
      } else if (ctx.path === policy && ctx.query.p === "B2C_1_signin") {
        ctx.path = "/.well-known/openid-configuration";
      }
    };
    const page = await env.context.newPage();
    // At the issuer's well-known locations there is nothing.
    await openPage(page, env, withConfig({ issuer: env.idp.issuer }));
    const lost = await call(page, "startLogin");
    assert.equal(lost.ok, false, JSON.stringify(lost));
    // With metadataUrl: the whole session.
    const metadataUrl = env.idp.origin + policy + "?p=B2C_1_signin";
    await logInThere(page, env, withConfig({ issuer: env.idp.issuer, metadataUrl }));
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
    const end = await walk(page, env, { navigates: true, loggedIn: true });
    assert.ok(end.startsWith(env.idp.origin + "/session/end"), end);
  }));

test("signed userinfo (userinfo_signed_response_alg): getUser({ userinfo: true }) says what to change, and the session works", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env, "?clientId=" + JWT_USERINFO_CLIENT);
    assert.ok((await call(page, "handleCallback")).ok);
    const signed = await call(page, "getUser", { userinfo: true });
    assert.equal(signed.code, "invalid_response", JSON.stringify(signed));
    assert.ok(signed.description.includes("userinfo_signed_response_alg"), signed.description);
    const end = await walk(page, env, { navigates: true, loggedIn: true });
    assert.ok(end.startsWith(env.idp.origin + "/session/end"), end);
  }));
