// The second, independent authorization server: django-oauth-toolkit (PyPI; tests/e2e/dot/,
// installed by scripts/setup.sh into target/dot-venv). The whole flow against it: login,
// the ID token, userinfo, refresh with rotation, and the logout. Its deviations from the
// specs are in docs/SERVERS.md.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../dev/idp.mjs";
import { call, callAndLeave, offLoopback, setup, test } from "./harness.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const CLIENT_ID = "spa-dot";

/** Starts django-oauth-toolkit on 127.0.0.1 for `appOrigin`; resolves once it answers. */
async function startDot(appOrigin) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "spa-oauth-dot-"));
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs1" });
  const child = spawn(join(root, "target/dot-venv/bin/python"), [join(root, "tests/e2e/dot/run.py")], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", DOT_DB: join(dir, "db.sqlite3"), DOT_APP_ORIGIN: appOrigin, DOT_RSA_KEY: key, DOT_CLIENT_ID: CLIENT_ID, DOT_PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const origin = `http://localhost:${port}`;
  const stop = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  // Polled while the server lives, with no count of its own (its migrations take a while
  // on a busy machine): the test's timeout bounds the wait.
  for (;;) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(origin + "/o/.well-known/openid-configuration");
      if (r.ok) return { issuer: origin + "/o", origin, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error("django-oauth-toolkit did not start:\n" + log);
}

test("django-oauth-toolkit: login, ID token, userinfo, refresh with rotation, logout", async () => {
  const connectSrc = [];
  const env = await setup({ connectSrc });
  let dot;
  try {
    dot = await startDot(env.appOrigin);
    connectSrc.push(dot.origin); // the test page's CSP allows it from now on
    const page = await env.context.newPage();
    await page.goto(`${env.appOrigin}/e2e/oidc.html?clientId=${CLIENT_ID}&issuer=${encodeURIComponent(dot.issuer)}`);
    await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.run("startLogin"))]);
    // Django's login form, then the toolkit's consent form.
    await page.fill('input[name="username"]', "alice");
    await page.fill('input[name="password"]', "any password");
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await Promise.all([page.waitForURL((u) => u.origin === env.appOrigin), page.click('input[name="allow"]')]);
    await page.waitForSelector('body[data-ready="true"]', { state: "attached" });
    const done = await call(page, "handleCallback");
    assert.ok(done.ok, JSON.stringify(done));
    const user = await call(page, "getUser");
    assert.ok(user.ok && user.value.iss === dot.issuer && user.value.aud === CLIENT_ID, JSON.stringify(user));
    const withInfo = await call(page, "getUser", { userinfo: true });
    assert.ok(withInfo.ok, JSON.stringify(withInfo));
    assert.equal(withInfo.value.sub, user.value.sub);
    const token = await call(page, "getAccessToken");
    assert.ok(token.ok, JSON.stringify(token));
    const refreshed = await call(page, "getAccessToken", { forceRefresh: true });
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.notEqual(refreshed.value, token.value);
    // Its discovery document names no revocation endpoint (it has one, unannounced): the
    // logout revokes nothing and goes to its RP-Initiated Logout page.
    await callAndLeave(page, "logout");
    assert.ok(page.url().startsWith(dot.origin + "/o/logout/"), page.url());
    assert.deepEqual(offLoopback(env.requested), [], "every request stays on loopback");
  } finally {
    dot?.stop();
    await env.close();
  }
});
