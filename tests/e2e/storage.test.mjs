// A custom storage adapter (issue 17) against oidc-provider: `tokenStorage` and
// `transactionStorage` as an app-made object over IndexedDB whose methods answer with
// promises, 50 ms late (tests/e2e/pages/oidc.html, `?adapter=idb`). What a user notices: the
// login, refresh, reload and logout work with nothing in sessionStorage or localStorage, and a
// callback URL opened in two tabs at once redeems its code once.
import assert from "node:assert/strict";
import { call, logInThere, openPage, ready, test, tokenRequests, withEnv } from "./harness.mjs";

/** The keys spa-oauth left in the tab's sessionStorage and localStorage. */
const webStorageKeys = (page) =>
  page.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)].filter((k) => k.startsWith("spa-oauth:") && !k.includes("metadata") && !k.includes("jwks")));

test("an async storage adapter keeps the login transaction and the session: login, refresh, reload, logout", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await logInThere(page, env, "?adapter=idb");
    // The transaction waited in the adapter, not in sessionStorage.
    assert.ok((await page.evaluate(() => window.adapterKeys())).some((k) => k.startsWith("spa-oauth:tx:")));
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
    const keys = await page.evaluate(() => window.adapterKeys());
    assert.ok(keys.some((k) => k.startsWith("spa-oauth:session?")), JSON.stringify(keys));
    assert.ok(!keys.some((k) => k.startsWith("spa-oauth:tx:")), "the transaction is taken at the callback");
    assert.deepEqual(await webStorageKeys(page), []);
    const first = await call(page, "getAccessToken");
    assert.ok(first.ok, JSON.stringify(first));
    const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(refreshed.ok && refreshed.value !== first.value);
    assert.equal(tokenRequests(env.idp, "refresh_token").length, 1);
    // Each call reads the adapter: there is no synchronous fast path around it.
    const before = await page.evaluate(() => window.adapterCalls.length);
    assert.equal((await call(page, "getAccessToken")).value, refreshed.value);
    assert.ok((await page.evaluate(() => window.adapterCalls.length)) > before);
    assert.deepEqual(await page.evaluate(() => window.events.map((e) => [e.type, e.storage])), [["login", "custom"], ["refresh", "custom"]]);
    // A reload keeps the session (IndexedDB), and the user claims come from it.
    await page.reload();
    await ready(page);
    assert.equal((await call(page, "getUser")).value?.sub, "alice");
    assert.equal((await call(page, "isAuthenticated")).value, true);
    const out = await call(page, "logout");
    assert.ok(out.ok, JSON.stringify(out));
    // (The tab went on to the server's logout page; another tab of the app looks.)
    const after = await env.context.newPage();
    await openPage(after, env);
    assert.deepEqual((await after.evaluate(() => window.adapterKeys())).filter((k) => k.startsWith("spa-oauth:session?")), []);
    assert.equal((await call(after, "isAuthenticated")).value, false);
  }));

test("two tabs racing one callback over an async adapter: the code is redeemed once", () =>
  withEnv({}, async (env) => {
    const a = await env.context.newPage();
    await logInThere(a, env, "?adapter=idb");
    // The same callback URL in a second tab (a duplicated tab, a restored window): it shares
    // the adapter, and both handle the callback at once. Without the lock around the read and
    // the removal, both would read the transaction during the adapter's 50 ms.
    const b = await env.context.newPage();
    await b.goto(a.url());
    await ready(b);
    const [one, two] = await Promise.all([call(a, "handleCallback"), call(b, "handleCallback")]);
    assert.equal(tokenRequests(env.idp, "authorization_code").length, 1, JSON.stringify([one, two]));
    const codes = [one, two].map((r) => (r.ok ? "ok" : r.code)).sort();
    assert.deepEqual(codes, ["ok", "state_mismatch"]);
    // The tab that won is logged in, and so is the other: they share the adapter.
    assert.ok((await call(a, "getAccessToken")).ok);
    assert.ok((await call(b, "getAccessToken")).ok);
  }));

test("an adapter without the three methods is invalid_config before anything else", () =>
  withEnv({}, async (env) => {
    const page = await env.context.newPage();
    await openPage(page, env);
    const r = await page.evaluate(() =>
      window.auth.startLogin({ ...window.config, tokenStorage: { getItem() {}, setItem() {} } }).then(() => ({ ok: true }), (e) => ({ ok: false, code: e.code, description: e.description })));
    assert.equal(r.code, "invalid_config", JSON.stringify(r));
    assert.match(r.description, /getItem, setItem and removeItem/);
    assert.ok(page.url().startsWith(env.appOrigin), "no navigation");
  }));
