// Popup and silent login (issue 17) against oidc-provider. What a user notices: the login
// happens in a popup and the page that opened it is logged in without ever leaving, the popup
// closes; closing it is `popup_closed`; a silent login gives a token from the server's own
// session, and without one is `login_required`, and the hidden iframe is always removed.
import assert from "node:assert/strict";
import { WAIT_MS, call, consent, logIn, logInThere, openPage, test, tokenRequests, withEnv } from "./harness.mjs";

/** Starts loginWithPopup on `page` (as a click would), and returns the popup's page. */
async function startPopup(env, page, options) {
  const [popup] = await Promise.all([
    env.context.waitForEvent("page"),
    page.evaluate((o) => void (window.popupLogin = window.run("loginWithPopup", o)), options),
  ]);
  return popup;
}

/** A page of the app with a popup login started from it, the popup at the login form. */
async function atLoginForm(env, options) {
  const page = await env.context.newPage();
  await openPage(page, env);
  const before = page.url();
  const popup = await startPopup(env, page, options);
  await popup.waitForSelector('input[name="login"]', { timeout: WAIT_MS });
  return { page, before, popup };
}

const iframes = (page) => page.evaluate(() => document.querySelectorAll("iframe").length);

test("loginWithPopup: the user logs in in the popup, the popup closes, the page is logged in without leaving", () =>
  withEnv({}, async (env) => {
    const { page, before, popup } = await atLoginForm(env);
    await logIn(popup, "alice");
    await consent(popup);
    const done = await page.evaluate(() => window.popupLogin);
    assert.ok(done.ok, JSON.stringify(done));
    assert.equal(done.value.handedOver, false);
    assert.equal(page.url(), before, "the page never left");
    assert.equal((await call(page, "getUser")).value?.sub, "alice");
    assert.ok((await call(page, "getAccessToken")).ok);
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 1);
    // The popup closes (the page closed it, or it closed itself): waited for without a
    // deadline of its own, since a busy machine may be slow; the test's timeout bounds it.
    while (!popup.isClosed()) await new Promise((r) => setTimeout(r, 100));
  }));

test("a light redirect page for popup and silent logins (a config whose redirectUri is a page that only calls handleCallback): the windows load that page, and the app's own config has the session", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await openPage(page, env);
    const light = env.appOrigin + "/e2e/callback.html";
    const viaLight = (name) => page.evaluate(([n, uri]) => window.auth[n]({ ...window.config, redirectUri: uri })
      .then((value) => ({ ok: true, value }), (e) => ({ ok: false, code: e.code, description: e.description })), [name, light]);
    const [popup] = await Promise.all([
      env.context.waitForEvent("page"),
      page.evaluate((uri) => void (window.popupLogin = window.auth.loginWithPopup({ ...window.config, redirectUri: uri })
        .then((value) => ({ ok: true, value }), (e) => ({ ok: false, code: e.code, description: e.description }))), light),
    ]);
    await popup.waitForSelector('input[name="login"]', { timeout: WAIT_MS });
    await logIn(popup, "alice");
    await consent(popup);
    const done = await page.evaluate(() => window.popupLogin);
    assert.ok(done.ok, JSON.stringify(done));
    // The app's own config (its redirectUri is the app's page) has the session.
    assert.equal((await call(page, "getUser")).value?.sub, "alice");
    assert.ok((await call(page, "getAccessToken")).ok);
    // A silent login through the same light page, from the server's session.
    const silent = await viaLight("loginSilently");
    assert.ok(silent.ok, JSON.stringify(silent));
    assert.equal(await iframes(page), 0);
    // Both logins were answered at the light page, and each code was redeemed once.
    const sentTo = env.idp.requests.filter((r) => r.path === "/auth").map((r) => new URLSearchParams(r.query).get("redirect_uri"));
    assert.deepEqual(sentTo, [light, light]);
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 2);
  }));

test("loginWithPopup: a popup the user closes is popup_closed within seconds, and the error names the COOP cause and abortOnClose", () =>
  withEnv({}, async (env) => {
    const { page, popup } = await atLoginForm(env);
    const closedAt = Date.now();
    await popup.close();
    const done = await page.evaluate(() => window.popupLogin);
    assert.equal(done.code, "popup_closed", JSON.stringify(done));
    // Not the 5-minute timeout: the closed popup ended the login (a generous bound for a
    // slow machine; the library itself waits a second for a message still in flight).
    assert.ok(Date.now() - closedAt < 60_000, `${Date.now() - closedAt} ms`);
    assert.match(done.description, /Cross-Origin-Opener-Policy/);
    assert.match(done.description, /abortOnClose: false/);
    assert.equal(tokenRequests(env.idp).length, 0);
    assert.equal((await call(page, "isAuthenticated")).value, false);
  }));

/** The oidc-provider profile of a server whose login and consent pages send
 * `Cross-Origin-Opener-Policy: same-origin`, as Microsoft Entra ID's do. */
const coopLoginPages = (env) => {
  env.idp.behaviour.after = (ctx) => {
    if (ctx.path.startsWith("/interaction")) ctx.set("cross-origin-opener-policy", "same-origin");
  };
};

test("L14 a server whose login pages send COOP same-origin (Entra ID): with abortOnClose: false, a user who spends ten seconds at the login form is logged in", () =>
  withEnv({}, async (env) => {
    coopLoginPages(env);
    const { page, popup } = await atLoginForm(env, { abortOnClose: false });
    // Long past the second after which a popup that reads closed is popup_closed: where the
    // browser applies COOP, the popup has read closed to the app's page all this time.
    await new Promise((r) => setTimeout(r, 10_000));
    await logIn(popup, "alice");
    await consent(popup);
    const done = await page.evaluate(() => window.popupLogin);
    assert.ok(done.ok, JSON.stringify(done));
    assert.equal((await call(page, "getUser")).value?.sub, "alice");
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 1);
  }));

test("L14 no page shown in the login popup can navigate the app's tab: the popup has no opener", () =>
  withEnv({}, async (env) => {
    const { page, before, popup } = await atLoginForm(env);
    // The server's page (or an IdP it federates to) tries to send the app's tab to a
    // look-alike: reverse tabnabbing.
    const tried = await popup.evaluate(() => {
      try {
        window.opener.location.href = "http://phishing.invalid/";
        return "navigated";
      } catch {
        return window.opener === null ? "no opener" : "refused";
      }
    });
    assert.equal(tried, "no opener");
    await logIn(popup, "alice");
    await consent(popup);
    const done = await page.evaluate(() => window.popupLogin);
    assert.ok(done.ok, JSON.stringify(done));
    assert.equal(page.url(), before, "the app's tab stayed where it was");
  }));

test("silent login: a token from the server's session through a hidden iframe, login_required without one", () =>
  withEnv({}, async (env) => {
    // The user logged in once: the server has its session cookie.
    const first = await env.context.newPage();
    await logInThere(first, env);
    assert.ok((await call(first, "handleCallback")).ok);
    // Another tab, with no session of its own, and `silentLogin: true`: getAccessToken asks
    // the server without showing anything.
    const page = await env.context.newPage();
    await openPage(page, env, "?config=" + encodeURIComponent(JSON.stringify({ silentLogin: true })));
    const token = await call(page, "getAccessToken");
    assert.ok(token.ok, JSON.stringify(token));
    assert.equal(await iframes(page), 0, "the iframe is removed");
    const silent = env.idp.requests.filter((r) => r.path === "/auth" && new URLSearchParams(r.query).get("prompt") === "none");
    assert.equal(silent.length, 1);
    assert.equal((await call(page, "getUser")).value?.sub, "alice");
    // A browser with no session at the server (another profile, or its cookie blocked):
    // login_required, and the iframe is gone too.
    const stranger = await env.newContext();
    try {
      const other = await stranger.newPage();
      await openPage(other, env);
      const refused = await call(other, "loginSilently");
      assert.equal(refused.code, "login_required", JSON.stringify(refused));
      assert.equal(await iframes(other), 0);
      assert.equal((await call(other, "isAuthenticated")).value, false);
    } finally {
      await stranger.close();
    }
  }));

test("silent login against a server on another site: its cookie is third-party in the iframe, so login_required; a refresh token still works", () =>
  // The app on localhost, the server on 127.0.0.1: two sites. WebKit runs with Safari's
  // Intelligent Tracking Prevention (tests/e2e/webkit.mjs), which blocks third-party cookies;
  // the same-site case is the test above.
  withEnv({ idpHost: "127.0.0.1" }, async (env) => {
    const first = await env.context.newPage();
    await logInThere(first, env);
    assert.ok((await call(first, "handleCallback")).ok);
    assert.ok((await call(first, "getAccessToken", { forceRefresh: true })).ok, "the refresh token works across sites");
    // The user is logged in at the server (first-party), yet the iframe of the app's page
    // does not carry the server's cookie.
    const page = await env.context.newPage();
    await openPage(page, env);
    const refused = await call(page, "loginSilently");
    assert.equal(refused.code, "login_required", JSON.stringify(refused));
    assert.equal(await iframes(page), 0, "the iframe is removed");
    const silent = env.idp.requests.filter((r) => r.path === "/auth" && new URLSearchParams(r.query).get("prompt") === "none");
    assert.equal(silent.length, 1, "the server was asked, without its cookie");
  }));
