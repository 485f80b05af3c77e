// End-to-end harness: a real authorization server (oidc-provider, dev/idp.mjs), the demo
// served from www/ with the built package, and Debian's Chromium or Firefox ESR (E2E_ENGINE)
// through the driver layer (driver.mjs).
// Everything listens on 127.0.0.1 and is stopped by the test that started it.
import assert from "node:assert/strict";
import { test as nodeTest } from "node:test";
import { launch, WAIT_MS } from "./driver.mjs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, freePort, startIdp } from "../../dev/idp.mjs";
import { startStatic } from "../../dev/static.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

export { CHROMIUM_ARGS, ENGINE, WAIT_MS } from "./driver.mjs";

/**
 * An end-to-end test, with a timeout of its own: a test that hangs (a browser driver that
 * never answers) fails alone, and a file of many slow tests on a busy machine does not. It
 * is generous (the slowest test takes under a minute on an idle machine): no test depends
 * on how fast the machine is.
 */
export const test = (name, fn) => nodeTest(name, { timeout: 10 * 60 * 1000 }, fn);

/** Starts the server, the demo and a browser. Fails (never skips) when any cannot start. */
export async function setup({ accessTokenTtl = 3600, roots, serve, connectSrc = [], issuerPath, idpHost } = {}) {
  const env = {};
  let appPort, idpPort, appOrigin, idp, web;
  // A port found free can still be taken before its server listens (by another process: an
  // outgoing connection's ephemeral port): the servers start again on other ports.
  for (let attempt = 1; !web; attempt++) {
    appPort = await freePort();
    idpPort = await freePort();
    appOrigin = `http://localhost:${appPort}`;
    try {
      idp = await startIdp({ port: idpPort, appOrigin, accessTokenTtl, issuerPath, host: idpHost });
      web = await startStatic(staticOptions(idp));
    } catch (e) {
      await idp?.close().catch(() => {});
      idp = undefined;
      if (attempt >= 3 || !String(e?.message).includes("already in use")) throw e;
    }
  }
  function staticOptions(idp) {
    return {
      port: appPort,
      roots: roots ?? { "/": join(root, "www"), "/pkg/": join(root, "pkg"), "/e2e/": join(root, "tests/e2e/pages") },
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      // The test pages run under a Content Security Policy without 'unsafe-eval': the package
      // needs only 'wasm-unsafe-eval' for its WebAssembly ('unsafe-inline' is for the pages'
      // own inline scripts), and connections to the server.
      headers: (path) => (path.startsWith("/e2e/") ? {
        "content-security-policy": `default-src 'none'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; connect-src 'self' ${[idp.origin, ...connectSrc].join(" ")}; frame-src 'self' ${idp.origin}`,
      } : {}),
      intercept: (url) => {
        if (env.holdCallback && url.pathname === "/" && url.searchParams.has("state")) {
          env.holdCallback(url.href);
          return "<!doctype html><title>captured</title>";
        }
        return serve?.(url, idp.issuer);
      },
    };
  }
  const browser = await launch();
  const context = await browser.newContext();
  // Every request any page of the test makes, to prove none leaves loopback.
  const requested = [];
  context.on("request", (r) => requested.push(r.url()));
  Object.assign(env, {
    idp, web, browser, context, requested, appOrigin,
    /** Another browser context (no cookies, no storage shared), watched like the first. */
    async newContext() {
      const c = await browser.newContext();
      c.on("request", (r) => requested.push(r.url()));
      return c;
    },
    async restartIdp() {
      env.idp = await startIdp({ port: idpPort, appOrigin, accessTokenTtl, issuerPath, host: idpHost });
      return env.idp;
    },
    async close() {
      await browser.close().catch(() => {});
      await Promise.all([web.close(), env.idp.close()]);
    },
  });
  return env;
}

/** URLs requested that are not on loopback. */
export function offLoopback(urls) {
  return urls.filter((u) => {
    if (u.startsWith("data:") || u.startsWith("blob:") || u === "about:blank") return false;
    const host = new URL(u).hostname;
    return !["localhost", "127.0.0.1", "[::1]"].includes(host);
  });
}

/** On the server's login page: log in as `login`. */
export async function logIn(page, login = "alice") {
  await page.waitForSelector('input[name="login"]');
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', "any password");
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
}

/** On the server's consent page: consent. */
export async function consent(page) {
  await page.waitForSelector('button:has-text("Continue")');
  await page.click('button:has-text("Continue")');
}

/** Waits until the demo page has finished its start-up work. */
export async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT_MS });
}

/** The stored session of the demo client, parsed (tokens included: tests only). */
export function storedSession(page) {
  return page.evaluate(() => {
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i);
      if (k.startsWith("spa-oauth:session?")) return Object.fromEntries(new URLSearchParams(sessionStorage.getItem(k)));
    }
    return null;
  });
}

/**
 * Runs a login until the server redirects back, and returns that callback URL without
 * letting the app see it (the demo server answers it with an empty page).
 */
export async function captureCallback(page, env, { login = "alice" } = {}) {
  let captured;
  env.holdCallback = (url) => (captured = url);
  try {
    await page.goto(env.appOrigin + "/");
    await ready(page);
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    if (await page.$('input[name="login"]')) await logIn(page, login);
    if (await page.$('button:has-text("Continue")')) await consent(page);
    await page.waitForFunction(() => document.title === "captured");
  } finally {
    env.holdCallback = undefined;
  }
  if (!captured) throw new Error("no callback was captured");
  return captured;
}

export const tokenRequests = (idp, grantType) =>
  idp.requests.filter((r) => r.path === "/token" && (!grantType || r.grantType === grantType));

/** Runs `fn` with fresh servers and browser, then proves nothing left loopback. */
export async function withEnv(options, fn) {
  const env = await setup(options);
  try {
    await fn(env);
    assert.deepEqual(offLoopback(env.requested), [], "every request stays on loopback");
    assert.ok(env.requested.length > 0);
  } finally {
    await env.close();
  }
}

export async function fullLogin(page, env, path = "/") {
  await page.goto(env.appOrigin + path);
  await ready(page);
  await Promise.all([page.waitForNavigation(), page.click("#login")]);
  await logIn(page, "alice");
  await consent(page);
  await page.waitForURL((u) => u.origin === env.appOrigin);
  await ready(page);
}


/** Opens the OpenID Connect test page (tests/e2e/pages/oidc.html) with `query` (clientId, responseMode, tokenStorage). */
export async function openPage(page, env, query = "") {
  await page.goto(env.appOrigin + "/e2e/oidc.html" + query);
  await ready(page);
}

/** From the test page: startLogin, the server's login and consent, back on the page. */
export async function logInThere(page, env, query = "") {
  await openPage(page, env, query);
  await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin"))]);
  await logIn(page, "alice");
  await consent(page);
  await page.waitForURL((u) => u.origin === env.appOrigin && u.pathname === "/e2e/oidc.html");
  await ready(page);
}

/** Calls the package function `name` on the test page; errors come back as data. */
export const call = (page, name, ...args) => page.evaluate(([n, a]) => window.run(n, ...a), [name, args]);

/**
 * Calls `name` on the test page for a call that navigates away (a logout to the server's
 * page), and waits for the navigation. The call's answer is not awaited: the page may be
 * gone before the answer reaches the driver ("Execution context was destroyed", seen in
 * Chromium under load), which says nothing about the library.
 */
export const callAndLeave = (page, name, ...args) =>
  Promise.all([page.waitForNavigation(), page.evaluate(([n, a]) => void window.run(n, ...a), [name, args])]);

/**
 * Makes the session two tabs share in localStorage expire a second ago (the refresh token
 * stays valid), from tab `a`, and waits until tab `b` sees it too.
 */
export async function expireSharedSession(a, b) {
  await a.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("spa-oauth:session?"));
    const session = new URLSearchParams(localStorage.getItem(key));
    session.set("expires_at", String(Math.floor(Date.now() / 1000) - 1));
    localStorage.setItem(key, session.toString());
  });
  await b.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith("spa-oauth:session?")
    && Number(new URLSearchParams(localStorage.getItem(k)).get("expires_at")) < Date.now() / 1000));
}
