// Hardening end to end against oidc-provider: storage that throws, and no secret in any
// place a page, a log or an error reporter can see.
import assert from "node:assert/strict";
import { ENGINE, call, logInThere, openPage, ready, test, tokenRequests, withEnv } from "./harness.mjs";

/** Makes `setItem` of sessionStorage or localStorage throw, as blocked storage or a full quota does. */
const breakStorage = (page, which) =>
  page.evaluate((which) => {
    const original = Storage.prototype.setItem;
    window.restoreStorage = () => (Storage.prototype.setItem = original);
    Storage.prototype.setItem = function (key, value) {
      if (this === window[which]) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      return original.call(this, key, value);
    };
  }, which);

test("sessionStorage that throws: startLogin fails with storage_unavailable and does not navigate", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await openPage(page, env);
    const before = page.url();
    await breakStorage(page, "sessionStorage");
    const r = await call(page, "startLogin");
    assert.equal(r.ok, false);
    assert.equal(r.code, "storage_unavailable", JSON.stringify(r));
    assert.equal(r.name, "AuthError");
    // Still here, and the server never saw an authorization request.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(page.url(), before);
    assert.ok(!env.requested.some((u) => u.startsWith(env.idp.issuer + "/auth")), "no authorization request");
  }));

test("localStorage that throws after the login: the session falls back to memory, says so, and moves back", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env, "?tokenStorage=local");
    await breakStorage(page, "localStorage");
    const r = await call(page, "handleCallback");
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(await page.evaluate(() => window.events), [{ type: "login", external: false, storage: "memory" }]);
    // Nothing lost: the tokens just received are usable in this page.
    const token = await call(page, "getAccessToken");
    assert.ok(token.ok, JSON.stringify(token));
    assert.equal((await call(page, "isAuthenticated")).value, true);
    assert.equal((await call(page, "getUser")).value.sub, "alice");
    const inLocal = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("spa-oauth:session?")));
    assert.deepEqual(await inLocal(), [], "nothing was written to the broken storage");
    // Storage works again: the next refresh stores the session where it was configured.
    await page.evaluate(() => window.restoreStorage());
    const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.notEqual(refreshed.value, token.value);
    assert.deepEqual((await page.evaluate(() => window.events))[1], { type: "refresh", external: false, storage: "local" });
    assert.equal((await inLocal()).length, 1);
    assert.equal(tokenRequests(env.idp, "refresh_token").length, 1);
  }));

test("no token, code or verifier appears in an error, a console line, a URL after the callback, or an event", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    const consoleLines = [];
    page.on("console", (m) => consoleLines.push(m.text()));
    page.on("pageerror", (e) => consoleLines.push(String(e && e.stack)));
    const urls = [];
    page.on("framenavigated", (f) => f === page.mainFrame() && urls.push(f.url()));
    // The secrets, as the server received and issued them.
    const secrets = new Set();
    const keep = (v) => typeof v === "string" && v.length >= 8 && secrets.add(v);
    const referers = [];
    page.on("request", (r) => {
      if (r.url().startsWith(env.idp.issuer) && r.resourceType() === "fetch") referers.push(r.headers()["referer"]);
    });
    await logInThere(page, env);
    // The whole run is under the test pages' CSP (tests/e2e/harness.mjs): it is enforced
    // (a data: script is refused), and the library runs without violating it (below).
    const cspRefused = await page.evaluate(() => new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), { once: true });
      const s = document.createElement("script");
      s.src = "data:text/javascript,void 0";
      document.head.append(s);
    }));
    assert.equal(cspRefused, "script-src-elem");
    const callbackUrl = page.url();
    const results = [];
    const run = async (name, ...args) => {
      const r = await call(page, name, ...args);
      results.push(r);
      return r;
    };
    assert.ok((await run("handleCallback")).ok);
    const afterCallback = page.url();
    assert.ok((await run("getAccessToken")).ok);
    assert.ok((await run("getAccessToken", { forceRefresh: true })).ok);
    assert.ok((await run("getUser", { userinfo: true })).ok);
    const events = await page.evaluate(() => window.events);
    // Errors that have a secret at hand: the callback page reloaded (its code in the URL),
    // and a refresh token the server has rotated away (sent in the request, refused).
    await page.goto(callbackUrl);
    await ready(page);
    const replay = await run("handleCallback");
    assert.equal(replay.code, "state_mismatch", JSON.stringify(replay));
    const afterReplay = page.url();
    const oldRefreshToken = await page.evaluate(() => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith("spa-oauth:session?"));
      return new URLSearchParams(sessionStorage.getItem(key)).get("refresh_token");
    });
    assert.ok((await run("getAccessToken", { forceRefresh: true })).ok, "rotates once more");
    await page.evaluate((old) => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith("spa-oauth:session?"));
      const s = new URLSearchParams(sessionStorage.getItem(key));
      s.set("refresh_token", old);
      sessionStorage.setItem(key, s.toString());
    }, oldRefreshToken);
    const refused = await run("getAccessToken", { forceRefresh: true });
    assert.equal(refused.code, "login_required", JSON.stringify(refused));
    events.push(...(await page.evaluate(() => window.events)));
    assert.deepEqual(events.map((e) => e.type), ["login", "refresh", "refresh", "expired"]);
    await new Promise((resolve) => setTimeout(resolve, 200)); // late console lines
    for (const r of tokenRequests(env.idp)) for (const t of [...(r.issued || []), ...(r.sent || [])]) keep(t);

    // The secrets were seen (the test can fail) and appear nowhere the app or a log can see.
    assert.ok(secrets.size >= 8, "code, verifier, and three sets of tokens: " + secrets.size);
    assert.ok(callbackUrl.includes("code="));
    // (Every engine's line about the test's own data: script names data: — WebKit's names
    // the scheme alone.)
    const violations = consoleLines.filter((l) => /Content Security Policy/.test(l) && !l.includes("data:"));
    assert.deepEqual(violations, [], "the library needs nothing the CSP forbids");
    assert.ok(referers.length >= 5);
    assert.deepEqual(referers.filter(Boolean), [], "no Referer on the library's requests (RFC 9700 4.2)");
    const places = {
      "the URL after the callback": afterCallback,
      "the URL after the replayed callback": afterReplay,
      "the URLs the page navigated to after the callback": urls.filter((u) => u !== callbackUrl).join("\n"),
      "the console": consoleLines.join("\n"),
      "the errors": JSON.stringify(results.filter((r) => !r.ok)),
      "the events": JSON.stringify(events),
      "the page": await page.content(),
    };
    for (const [where, text] of Object.entries(places)) {
      for (const secret of secrets) {
        assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 6)}…) appears in ${where}`);
      }
    }
  }));

test("the WebAssembly file or a module loaded on demand cannot be loaded (offline): network_error naming it, and a later call loads it", async () => {
  const refusing = new Set(["/pkg/spa_oauth_bg.wasm", "/pkg/login-window.js"]);
  // Answered with an HTML page instead of the file while refused: what a captive portal or
  // an offline service worker gives.
  const serve = (url) => (refusing.has(url.pathname) ? "<!doctype html><title>offline</title>" : undefined);
  await withEnv({ serve }, async (env) => {
    const page = await env.context.newPage();
    await openPage(page, env);
    const failed = await call(page, "isAuthenticated");
    assert.deepEqual([failed.ok, failed.code, failed.name], [false, "network_error", "AuthError"], JSON.stringify(failed));
    assert.match(failed.description, /WebAssembly module could not be loaded/);
    refusing.delete("/pkg/spa_oauth_bg.wasm");
    assert.deepEqual(await call(page, "isAuthenticated"), { ok: true, value: false });
    // The login windows' module, loaded for a silent login only: its failure is the
    // network's, never a blocked popup or a refusal by the server.
    const silent = await call(page, "loginSilently");
    assert.deepEqual([silent.ok, silent.code], [false, "network_error"], JSON.stringify(silent));
    assert.match(silent.description, /login-window module could not be loaded/);
    refusing.delete("/pkg/login-window.js");
    // Chromium and WebKit import a module again after a failed import; Firefox keeps the
    // failure in the page's module map until the page is loaded again (README, network_error).
    if (ENGINE === "firefox") {
      const kept = await call(page, "loginSilently");
      assert.deepEqual([kept.ok, kept.code], [false, "network_error"], JSON.stringify(kept));
      await openPage(page, env);
    }
    const again = await call(page, "loginSilently");
    assert.deepEqual([again.ok, again.code], [false, "login_required"], JSON.stringify(again));
  });
});
