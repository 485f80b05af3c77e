// Pushed Authorization Requests (RFC 9126, issue 17) against oidc-provider, which serves
// them at /request: what a user can see is that the browser's address at the server names
// the request only (client_id, request_uri), and that a request the server refuses is refused
// on the app's page, not on the server's error page.
import assert from "node:assert/strict";
import { call, logInThere, openPage, test, withEnv } from "./harness.mjs";

const withConfig = (members) => "?config=" + encodeURIComponent(JSON.stringify(members));

/** The authorization endpoint's requests the server saw, as parameter names. */
const authorizationRequests = (idp) =>
  idp.requests.filter((r) => r.method === "GET" && r.path === "/auth").map((r) => [...new URLSearchParams(r.query).keys()].sort());

test("pushedAuthorizationRequests: the browser's URL has client_id and request_uri only, and the session works", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env, withConfig({ pushedAuthorizationRequests: true }));
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
    assert.deepEqual(authorizationRequests(env.idp), [["client_id", "request_uri"]]);
    const pushed = env.idp.requests.filter((r) => r.method === "POST" && r.path === "/request");
    assert.equal(pushed.length, 1);
    // Nothing of the login (state, PKCE challenge, nonce, scope) was in an address the browser loaded.
    const leaked = env.requested.filter((u) => u.startsWith(env.idp.origin) && /[?&](state|code_challenge|nonce|scope)=/.test(u));
    assert.deepEqual(leaked, []);
    assert.equal((await call(page, "getUser")).value?.sub, "alice");
    assert.ok((await call(page, "getAccessToken", { forceRefresh: true })).ok);
  }));

test("a server whose metadata requires pushed requests gets them without any option", () =>
  withEnv({}, async (env) => {
    env.idp.behaviour.metadata = (doc) => ({ ...doc, require_pushed_authorization_requests: true });
    // And refuses anything else, as such a server does.
    env.idp.behaviour.before = (ctx) => {
      if (ctx.method === "GET" && ctx.path === "/auth" && !ctx.query.request_uri) {
        ctx.status = 400;
        ctx.body = "pushed authorization requests only";
      }
    };
    const page = await env.context.newPage();
    await logInThere(page, env);
    assert.ok((await call(page, "handleCallback")).ok);
    assert.deepEqual(authorizationRequests(env.idp), [["client_id", "request_uri"]]);
  }));

test("a pushed request the server refuses is an AuthError on the app's page, with the server's code", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    // A redirect URI the client did not register: without PAR the user would land on the
    // server's error page; with it the app is told before leaving.
    await openPage(page, env, withConfig({ pushedAuthorizationRequests: true, redirectUri: env.appOrigin + "/e2e/unregistered" }));
    const refused = await call(page, "startLogin");
    assert.equal(refused.ok, false, JSON.stringify(refused));
    assert.equal(refused.name, "AuthError");
    assert.equal(refused.code, "invalid_request", JSON.stringify(refused));
    assert.ok(refused.description.includes("redirect_uri"), refused.description);
    assert.ok(page.url().startsWith(env.appOrigin + "/e2e/oidc.html"), page.url());
    assert.deepEqual(authorizationRequests(env.idp), []);
  }));
