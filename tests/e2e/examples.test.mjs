// The three examples in www/, each built with its own toolchain and driven through a login,
// the user, an API call with the access token, and a logout, against oidc-provider:
//   react-vite (AuthProvider/useAuth, StrictMode), vue-vite (plugin/useAuth), static (no bundler).
// The Vite examples install spa-oauth from pkg/ as npm packs it (.npmrc install-links), so
// this is also the test that the packed package works in a fresh Vite app without plugins.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_ID } from "../../dev/idp.mjs";
import { WAIT_MS, consent, logIn, test, tokenRequests, withEnv } from "./harness.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** `npm ci` (a fresh install of the just-built package) and the example's own build. */
function buildVite(name, issuer) {
  const dir = join(root, "www", name);
  const opts = { cwd: dir, stdio: ["ignore", "ignore", "inherit"] };
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], opts);
  execFileSync("npm", ["run", "build"], { ...opts, env: { ...process.env, VITE_ISSUER: issuer, VITE_CLIENT_ID: CLIENT_ID } });
}

/** The code of the error the example shows, or null. */
async function shownError(page) {
  const el = await page.$("#error");
  return el && (await el.isVisible()) ? await el.getAttribute("data-code") : null;
}

const appReady = (page) => page.waitForSelector('[data-ready="true"]', { timeout: WAIT_MS });

async function walkThrough(page, env) {
  await page.goto(env.appOrigin + "/");
  await appReady(page);
  assert.equal(await page.textContent("#status"), "Not logged in.");
  await Promise.all([page.waitForNavigation(), page.click("#login")]);
  await logIn(page, "alice");
  await consent(page);
  await page.waitForURL((u) => u.origin === env.appOrigin);
  await page.waitForSelector("#user");
  assert.equal(await page.textContent("#user"), "alice");
  assert.equal(await shownError(page), null, "no error shown");
  assert.ok(!new URL(page.url()).searchParams.has("code"), "the address bar is clean");
  assert.equal(tokenRequests(env.idp, "authorization_code").length, 1, "one token request (StrictMode included)");

  await page.click("#call-api");
  await page.waitForSelector("#api-result[data-status]");
  assert.equal(await page.getAttribute("#api-result", "data-status"), "200");
  assert.equal(JSON.parse(await page.textContent("#api-result")).sub, "alice");

  await Promise.all([page.waitForNavigation(), page.click("#logout")]);
  await page.waitForSelector('button:has-text("Yes, log out")');
  await Promise.all([page.waitForURL((u) => u.origin === env.appOrigin), page.click('button:has-text("Yes, log out")')]);
  await appReady(page);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "Not logged in.");
  assert.equal(await shownError(page), null, "the way back from logout is no error");
  assert.equal(env.idp.requests.filter((r) => r.path === "/token/revocation").length, 1, "the refresh token revoked, once");
}

for (const name of ["react-vite", "vue-vite"]) {
  test(`www/${name}: built with Vite, login, user, API call, logout`, () => {
    const dist = join(root, "www", name, "dist");
    return withEnv({ roots: { "/": dist } }, async (env) => {
      buildVite(name, env.idp.issuer);
      await walkThrough(await env.context.newPage(), env);
    });
  });
}

test("www/static: one HTML file, no bundler, login, user, API call, logout", () => {
  const html = readFileSync(join(root, "www/static/index.html"), "utf8");
  return withEnv(
    {
      roots: { "/spa-oauth/": join(root, "pkg") },
      // The example names the demo server's address; this run's server has another port.
      serve: (url, issuer) => (url.pathname === "/" ? html.replace('"http://localhost:4400"', JSON.stringify(issuer)) : undefined),
    },
    async (env) => walkThrough(await env.context.newPage(), env),
  );
});
