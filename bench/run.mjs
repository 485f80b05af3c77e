// `npm run bench`: spa-oauth against oidc-client-ts 3.5 in the same run, in headless Chromium
// against the local authorization server (oidc-provider). A benchmark, not a test: it
// prints, and writes bench/results.json, docs/PERFORMANCE.md's tables and docs/bench-timings.svg.
//
// Each run is a fresh browser context (empty cache and storage) going through the whole
// flow: page start -> ready, startLogin, the server's login and consent, handleCallback,
// getAccessToken (many calls averaged), a refresh, and a second startLogin with the metadata
// now cached. The two libraries alternate which goes first in each run.
//
//   node bench/run.mjs [--runs 20]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CLIENT_ID, freePort, startIdp } from "../dev/idp.mjs";
import { startStatic } from "../dev/static.mjs";
import { CHROMIUM_ARGS, consent, logIn } from "../tests/e2e/harness.mjs";
import { METRICS, renderDocs } from "./report.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const argRuns = process.argv.indexOf("--runs");
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 20;
const TOKEN_CALLS = 2000;
const LIBS = ["spa-oauth", "oidc-client-ts"];

// --- bundles -------------------------------------------------------------------------------
const esbuild = join(here, "node_modules/.bin/esbuild");
const dist = join(here, "dist");
mkdirSync(dist, { recursive: true });
const bundle = (entry, out, extra = []) =>
  execFileSync(esbuild, [join(here, "entries", entry), "--bundle", "--minify", "--format=esm",
    "--log-level=warning", "--outfile=" + join(dist, out), ...extra], { stdio: "inherit" });
bundle("oidc-client-ts-page.js", "oidc-client-ts-page.js", ["--external:/demo-config.js"]);

// --- sizes (deterministic) -------------------------------------------------------------------
function measure(buffers) {
  const sum = (f) => buffers.reduce((t, b) => t + f(b), 0);
  return {
    raw: sum((b) => b.length),
    gzip: sum((b) => gzipSync(b, { level: 9 }).length),
    brotli: sum((b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length),
  };
}
const version = (name) => JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;
const sizes = [{
  library: "spa-oauth " + JSON.parse(readFileSync(join(root, "pkg/package.json"), "utf8")).version,
  what: "wasm + index.js (entry and glue)",
  ...measure(["spa_oauth_bg.wasm", "index.js"].map((f) => readFileSync(join(root, "pkg", f)))),
}];
for (const name of ["oidc-client-ts", "oauth4webapi", "keycloak-js"]) {
  bundle(`size-${name}.js`, `size-${name}.js`);
  sizes.push({ library: `${name} ${version(name)}`, what: "esbuild --bundle --minify", ...measure([readFileSync(join(dist, `size-${name}.js`))]) });
}

// --- timings -----------------------------------------------------------------------------------
const appPort = await freePort();
const appOrigin = `http://localhost:${appPort}`;
const idp = await startIdp({ port: await freePort(), appOrigin });
const web = await startStatic({
  port: appPort,
  roots: { "/bench/": join(here, "pages"), "/bench-dist/": dist, "/pkg/": join(root, "pkg") },
  issuer: idp.issuer,
  clientId: CLIENT_ID,
});
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });

/** The time some request to the server was in flight: the union of the [start, end] spans. */
function networkMs(spans) {
  let net = 0;
  let end = -Infinity;
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (e > end) {
      net += e - Math.max(s, end);
      end = e;
    }
  }
  return net;
}

/**
 * The [start, end] spans of the requests to the server that started at or after `t0` (page
 * time), from Resource Timing, once there are `count` of them (the round trips the browser
 * counted). An entry is added when the browser's loader finishes, which can come after the
 * library already has the body: read at once, a fast refresh had none yet (the "refresh
 * (network) 0.00" of earlier runs). Waits up to 5 s, then takes what there is.
 */
function spansSince(page, t0, count) {
  return page.evaluate(async ([issuer, t0, count]) => {
    const spans = () => performance.getEntriesByType("resource")
      .filter((e) => e.name.startsWith(issuer) && e.startTime >= t0).map((e) => [e.startTime, e.responseEnd]);
    for (let waited = 0; spans().length < count && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    return spans();
  }, [idp.issuer, t0, count]);
}

/** A call's own work before its first request to the server, and after its last answer (`{ t0, total, spans }`). */
const workBefore = (c) => (c.spans.length ? Math.max(0, Math.min(...c.spans.map((sp) => sp[0])) - c.t0) : 0);
const workAfter = (c) => (c.spans.length ? Math.max(0, c.t0 + c.total - Math.max(...c.spans.map((sp) => sp[1]))) : 0);

/** Requests to the authorization server that were not navigations: the library's round trips. */
function roundTrips(context) {
  const seen = [];
  context.on("request", (r) => {
    if (r.url().startsWith(idp.issuer) && !r.isNavigationRequest() && r.method() !== "OPTIONS") seen.push(r.url());
  });
  return { count: () => seen.length, list: () => seen.slice() };
}

const ready = (page) => page.waitForSelector('body[data-ready="true"]', { state: "attached", timeout: 20000 });

async function oneRun(lib) {
  const context = await browser.newContext();
  const trips = roundTrips(context);
  const page = await context.newPage();
  // Errors of the libraries are shown (not the browser's own favicon 404).
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && console.error(`[${lib}] ${m.text()}`));
  const pageUrl = `${appOrigin}/bench/${lib}.html`;
  try {
    // 1. Page start -> ready (navigation start is performance's time origin).
    await page.goto(pageUrl);
    await ready(page);
    const readyMs = await page.evaluate(() => window.bench.ready);

    // 2. startLogin's own work, up to the navigation to the server (beforeunload).
    const before = trips.count();
    await Promise.all([
      page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(idp.issuer)),
      page.evaluate(() => {
        const t0 = performance.now();
        addEventListener("beforeunload", () => sessionStorage.setItem("bench:start", String(performance.now() - t0)));
        void window.bench.startLogin();
      }),
    ]);
    const startTrips = trips.count() - before;
    await logIn(page, "alice");
    await consent(page);
    await page.waitForURL((u) => u.href.startsWith(pageUrl));
    await ready(page);

    // 3. handleCallback: total, and its network part from Resource Timing (the union of the
    // intervals of its requests to the server).
    const beforeCb = trips.count();
    const cb = await page.evaluate(async () => {
      const t0 = performance.now();
      await window.bench.handleCallback();
      return { t0, total: performance.now() - t0, start: Number(sessionStorage.getItem("bench:start")) };
    });
    const callbackTrips = trips.count() - beforeCb;
    cb.spans = await spansSince(page, cb.t0, callbackTrips);

    // 4. getAccessToken with a valid token, averaged over many calls (after a warm-up).
    const tokenUs = await page.evaluate(async (n) => {
      for (let i = 0; i < 50; i++) await window.bench.getAccessToken();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await window.bench.getAccessToken();
      return ((performance.now() - t0) / n) * 1000;
    }, TOKEN_CALLS);

    // 5. A refresh (refresh_token grant).
    const beforeRefresh = trips.count();
    const refresh = await page.evaluate(async () => {
      const t0 = performance.now();
      const token = await window.bench.refresh();
      const t1 = performance.now();
      if (typeof token !== "string" || !token) throw new Error("no token after refresh");
      return { t0, total: t1 - t0 };
    });
    const refreshTrips = trips.count() - beforeRefresh;
    refresh.spans = await spansSince(page, refresh.t0, refreshTrips);

    // 6. startLogin again, the metadata now cached: round trips only.
    const beforeWarm = trips.count();
    await Promise.all([
      page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(idp.issuer)),
      page.evaluate(() => { window.bench.startLogin().catch((e) => console.error("startLogin: " + e)); }),
    ]);
    const warmStartTrips = trips.count() - beforeWarm;

    return {
      readyMs, startLoginMs: cb.start, callbackMs: cb.total, callbackNetworkMs: networkMs(cb.spans),
      callbackBeforeMs: workBefore(cb), callbackAfterMs: workAfter(cb),
      getAccessTokenUs: tokenUs, refreshMs: refresh.total, refreshNetworkMs: networkMs(refresh.spans),
      refreshBeforeMs: workBefore(refresh), refreshAfterMs: workAfter(refresh),
      trips: { startLogin: startTrips, startLoginCached: warmStartTrips, handleCallback: callbackTrips, refresh: refreshTrips },
    };
  } finally {
    await context.close();
  }
}


const runs = Object.fromEntries(LIBS.map((l) => [l, []]));
try {
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 ? [...LIBS].reverse() : LIBS;
    for (const lib of order) runs[lib].push(await oneRun(lib));
    process.stdout.write(`\rrun ${i + 1}/${RUNS}`);
  }
  process.stdout.write("\n");
} finally {
  await browser.close();
  await Promise.all([web.close(), idp.close()]);
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
};
const round = (x) => Math.round(x * 100) / 100;
const summary = {};
for (const lib of LIBS) {
  summary[lib] = {};
  for (const [key] of METRICS) {
    const st = stats(runs[lib].map((r) => r[key]));
    summary[lib][key] = { median: round(st.median), min: round(st.min), max: round(st.max) };
  }
  summary[lib].roundTrips = Object.fromEntries(
    Object.keys(runs[lib][0].trips).map((k) => [k, stats(runs[lib].map((r) => r.trips[k])).median]));
}

const chromiumVersion = browser.version();
const results = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, chromium: chromiumVersion },
  runs: RUNS,
  getAccessTokenCalls: TOKEN_CALLS,
  libraries: { "spa-oauth": sizes[0].library, "oidc-client-ts": `oidc-client-ts ${version("oidc-client-ts")}` },
  timings: summary,
  sizes,
};

// --- print ---------------------------------------------------------------------------------
const pad = (s, n) => String(s).padEnd(n);
const fmt = (m) => `${m.median.toFixed(2)} (${m.min.toFixed(2)}–${m.max.toFixed(2)})`;
console.log(`\nTimings: median (min–max) of ${RUNS} runs, each in a fresh browser context\n`);
console.log(pad("", 34) + pad("spa-oauth", 28) + "oidc-client-ts");
for (const [key, label, unit] of METRICS) {
  console.log(pad(`${label} (${unit})`, 34) + pad(fmt(summary["spa-oauth"][key]), 28) + fmt(summary["oidc-client-ts"][key]));
}
console.log("\nRound trips to the server (median)");
for (const k of ["startLogin", "startLoginCached", "handleCallback", "refresh"]) {
  console.log(pad(k, 34) + pad(summary["spa-oauth"].roundTrips[k], 28) + summary["oidc-client-ts"].roundTrips[k]);
}
console.log("\nShipped size (bytes)");
console.log(pad("library", 28) + pad("raw", 10) + pad("gzip -9", 10) + "brotli");
for (const s of sizes) console.log(pad(s.library, 28) + pad(s.raw, 10) + pad(s.gzip, 10) + s.brotli);

writeFileSync(join(here, "results.json"), JSON.stringify(results, null, 2) + "\n");
renderDocs(results, root);
console.log("\nwrote bench/results.json, docs/PERFORMANCE.md (tables), docs/bench-timings.svg");
