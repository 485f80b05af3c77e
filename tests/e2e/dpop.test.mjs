// DPoP (RFC 9449) and the authorized fetch (issue 17) against oidc-provider, whose token
// endpoint binds tokens to the proof's key and whose userinfo endpoint (/me) is a resource
// server that checks DPoP proofs. What a user would notice: the session works as before, and
// a token copied out of storage is refused without the browser's private key.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { freePort } from "../../dev/idp.mjs";
import { call, logInThere, openPage, ready, storedSession, test, tokenRequests, withEnv } from "./harness.mjs";

const withConfig = (members) => "?config=" + encodeURIComponent(JSON.stringify(members));

/** fetchWithAuth on the page: the answer as data, or the AuthError. */
const authorizedFetch = (page, url, init) =>
  page.evaluate(([u, i]) => window.auth.fetchWithAuth(window.config, u, i).then(
    async (r) => ({ ok: true, status: r.status, type: r.type, body: r.status === 200 ? await r.json() : null }),
    (e) => ({ ok: false, code: e.code, description: e.description }),
  ), [url, init]);

/** The DPoP key pairs in the page's IndexedDB, as [name, private key extractable?]. */
const storedKeys = (page) =>
  page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open("spa-oauth-dpop", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const out = [];
      const cursor = open.result.transaction("keys").objectStore("keys").openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return (open.result.close(), resolve(out));
        const pair = c.value.pair; // { pair, pending, used }: pkg-template/dpop.js
        out.push([c.key, pair.privateKey.extractable, pair.privateKey.algorithm.namedCurve, c.value.pending]);
        c.continue();
      };
    };
  }));

test("dpop: the tokens are bound to a non-extractable key; a token copied out of storage is refused without it; nonces at both servers", () =>
  withEnv({}, async (env) => {
    env.idp.behaviour.dpopNonce = true;
    const me = env.idp.origin + "/me";
    const page = await env.context.newPage();
    await logInThere(page, env, withConfig({ dpop: true, apiOrigins: [env.idp.origin] }));
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
    // The authorization request named the key (RFC 9449 10).
    const auth = env.idp.requests.find((r) => r.method === "GET" && r.path === "/auth");
    assert.ok(new URLSearchParams(auth.query).get("dpop_jkt")?.length === 43, auth.query);
    // use_dpop_nonce first, then the code grant with the nonce.
    assert.equal(tokenRequests(env.idp, "authorization_code").filter((r) => r.method === "POST").length, 2);
    // One pair, the login's own (review round 2, L8), taken by the session.
    const [[name, extractable, curve, pending]] = await storedKeys(page);
    assert.deepEqual([extractable, curve, pending], [false, "P-256", false]);
    assert.equal((await storedSession(page)).dpop_key, name);

    // The API call after a reload: DPoP token and proof, with the nonce the server gave
    // before (kept for the origin's pages: review round 2, L13); a server that rotated it
    // meanwhile answers use_dpop_nonce, and the request is sent once more with the new one.
    await page.reload();
    await ready(page);
    assert.ok(await page.evaluate((o) => localStorage.getItem("spa-oauth:dpop-nonce?" + o), env.idp.origin));
    env.idp.clearRequests();
    const answer = await authorizedFetch(page, me);
    assert.deepEqual([answer.status, answer.body?.sub], [200, "alice"], JSON.stringify(answer));
    const sent = env.idp.requests.filter((r) => r.path === "/me" && r.method === "GET").length;
    assert.ok(sent === 1 || sent === 2, `${sent} requests`);

    // The thief: the token from storage, without the private key.
    const stolen = (await storedSession(page)).access_token;
    assert.equal((await storedSession(page)).token_type, "DPoP");
    for (const headers of [{ authorization: "Bearer " + stolen }, { authorization: "DPoP " + stolen }]) {
      const r = await fetch(me, { headers });
      assert.ok([400, 401].includes(r.status), `${headers.authorization.split(" ")[0]}: ${r.status}`);
    }

    // Refresh (the refresh token is bound too), getUser through userinfo, logout: the key goes.
    const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.notEqual(refreshed.value, stolen);
    const user = await call(page, "getUser", { userinfo: true });
    assert.equal(user.value?.email, "alice@example.test", JSON.stringify(user));
    const out = await call(page, "logout", { postLogoutRedirectUri: undefined });
    assert.ok(out.ok, JSON.stringify(out));
    // The page went on to the server's logout page: the keys are read back at the app's
    // origin. The deletion is committed before the page leaves (review round 2: a
    // deletion still running when the page unloaded was aborted, one logout in seven).
    assert.ok(out.value.serverLogout, "the page left for the server's logout page");
    const back = await env.context.newPage();
    await openPage(back, env);
    assert.deepEqual(await storedKeys(back), []);
  }));

/** An API on another origin: records the Authorization header of each request in `seen`,
 * and the whole request in `received`; `/redirect` answers 302 to `to`. CORS lets the app's
 * origin send the Authorization header, a JSON body, and the methods an app uses. */
async function startApi(port, appOrigin, to) {
  const seen = [], received = [];
  const server = createServer(async (req, res) => {
    res.setHeader("access-control-allow-origin", appOrigin);
    res.setHeader("access-control-allow-headers", "authorization, dpop, content-type, x-polluted");
    res.setHeader("access-control-allow-methods", "GET, POST, PUT, DELETE");
    if (req.method === "OPTIONS") return res.end();
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.push([req.url, req.headers.authorization ?? null]);
    const h = req.headers;
    received.push({ method: req.method, url: req.url, body, contentType: h["content-type"] ?? null,
      polluted: h["x-polluted"] ?? null, referer: h.referer ?? null, authorization: h.authorization ?? null });
    if (req.url === "/redirect") {
      res.writeHead(302, { location: to });
      return res.end();
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ hello: "api" }));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { origin: `http://localhost:${port}`, seen, received, close: () => new Promise((r) => server.close(r)) };
}

/** `fn(env, api, page)` with a page logged in whose config lists an API on another origin
 * (`startApi`); the page's Content Security Policy lists it too (connect-src). */
async function withApi(fn) {
  const port = await freePort();
  await withEnv({ connectSrc: [`http://localhost:${port}`] }, async (env) => {
    const api = await startApi(port, env.appOrigin, env.idp.origin + "/me");
    try {
      const page = await env.context.newPage();
      await logInThere(page, env, withConfig({ apiOrigins: [api.origin] }));
      assert.ok((await call(page, "handleCallback")).ok);
      await fn(env, api, page);
    } finally {
      await api.close();
    }
  });
}

test("fetchWithAuth: a Bearer token to apiOrigins only, and never through a redirect", () =>
  withApi(async (env, api, page) => {
    // Listed: the token, as Bearer, and the API's answer.
    const answer = await authorizedFetch(page, api.origin + "/echo");
    assert.deepEqual([answer.status, answer.body], [200, { hello: "api" }], JSON.stringify(answer));
    const token = (await storedSession(page)).access_token;
    assert.deepEqual(api.seen, [["/echo", "Bearer " + token]]);
    // A redirect is not followed: the app gets it, the token goes nowhere else.
    env.idp.clearRequests();
    const redirected = await authorizedFetch(page, api.origin + "/redirect");
    assert.equal(redirected.type, "opaqueredirect", JSON.stringify(redirected));
    assert.deepEqual(env.idp.requests.filter((r) => r.path === "/me"), []);
    // A fragment is the page's, never sent: the request goes as without it (I12).
    api.seen.length = 0;
    const fragment = await authorizedFetch(page, api.origin + "/echo#section");
    assert.deepEqual([fragment.status, api.seen], [200, [["/echo", "Bearer " + token]]], JSON.stringify(fragment));
    // A URL fetch refuses (credentials in it) is an AuthError, as every refusal (I12).
    const withUser = await authorizedFetch(page, api.origin.replace("//", "//user@") + "/echo");
    assert.equal(withUser.code, "invalid_config", JSON.stringify(withUser));
    // Not listed (the server's own origin): refused before any request.
    const refused = await authorizedFetch(page, env.idp.origin + "/me");
    assert.equal(refused.code, "invalid_config", JSON.stringify(refused));
    assert.ok(refused.description.includes("apiOrigins"), refused.description);
    assert.deepEqual(env.idp.requests.filter((r) => r.path === "/me"), []);
  }));

test("fetchWithAuth under prototype pollution: the API receives exactly the app's request (security review M3)", () =>
  withApi(async (env, api, page) => {
    // A prototype-pollution bug in the app sets members of RequestInit (WebIDL reads a
    // dictionary through the prototype chain), then the app makes a POST with its own JSON
    // body, and a GET with no init at all. First the members that change what the API
    // receives unnoticed (the attacker's method and body, with the user's token), then
    // those that would make the request fail or carry the user's cookies.
    const token = (await storedSession(page)).access_token;
    const sent = { url: "/echo", polluted: null, authorization: "Bearer " + token, referer: env.appOrigin + "/" };
    for (const polluted of [
      { method: "PUT", body: '{"name":"Mallory"}', headers: { "x-polluted": "yes" }, referrerPolicy: "unsafe-url", cache: "no-store", keepalive: true },
      { credentials: "include", mode: "same-origin", integrity: "sha256-AAAA", redirect: "follow" },
    ]) {
      api.received.length = 0;
      const answers = await page.evaluate(async ([url, polluted]) => {
        const answer = (p) => p.then((r) => r.status, (e) => e.code ?? String(e));
        Object.assign(Object.prototype, polluted);
        try {
          return [
            await answer(window.auth.fetchWithAuth(window.config, url, { method: "POST", body: '{"name":"Alice"}', headers: { "content-type": "application/json" } })),
            await answer(window.auth.fetchWithAuth(window.config, url)),
          ];
        } finally {
          for (const k of Object.keys(polluted)) delete Object.prototype[k];
        }
      }, [api.origin + "/echo", polluted]);
      assert.deepEqual({ answers, received: api.received }, {
        answers: [200, 200],
        received: [
          { ...sent, method: "POST", body: '{"name":"Alice"}', contentType: "application/json" },
          { ...sent, method: "GET", body: "", contentType: null },
        ],
      }, "polluted: " + Object.keys(polluted).join(", "));
    }
  }));
