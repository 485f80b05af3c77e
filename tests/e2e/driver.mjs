// The browser driver of the end-to-end tests, for the three engines. The tests are written
// against the small part of playwright's page API they use; Chromium is driven by
// playwright-core (as the examples and the benchmark are), Firefox, which playwright-core
// cannot drive in its stock build, by puppeteer-core over WebDriver BiDi, and WebKit
// (WebKitGTK's MiniBrowser), which speaks classic WebDriver only, by a small client of its own
// (webkit.mjs); the last two wrap their pages to offer that same part. E2E_ENGINE chooses
// ("chromium", the default, "firefox" or "webkit"); scripts/test.mjs runs all three.
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";
import { launchWebKit } from "./webkit.mjs";

export const ENGINE = process.env.E2E_ENGINE || "chromium";

/**
 * How long any wait of a test may take (a page to load, an element, a navigation): long
 * enough that a busy, slow machine never fails a correct build. A wait that cannot end is
 * cut by the test's own timeout (harness.mjs) first or soon after.
 */
export const WAIT_MS = 120_000;

export const CHROMIUM_ARGS = [
  "--no-sandbox", // needed as root
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** A browser of the chosen engine: `{ newContext(), close() }`, contexts `{ newPage(), on("request") }`. */
export async function launch() {
  if (ENGINE === "chromium") {
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
    return {
      async newContext() {
        const context = await browser.newContext();
        context.setDefaultTimeout(WAIT_MS);
        return context;
      },
      close: () => browser.close(),
    };
  }
  if (ENGINE === "webkit") return launchWebKit({ waitMs: WAIT_MS });
  if (ENGINE !== "firefox") throw new Error(`E2E_ENGINE must be chromium, firefox or webkit, not ${ENGINE}`);
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: "/usr/bin/firefox-esr",
    headless: true,
    // Nothing leaves this machine: no updates, telemetry, safe-browsing lists or captive-portal checks.
    extraPrefsFirefox: {
      "app.update.enabled": false,
      "browser.safebrowsing.malware.enabled": false,
      "browser.safebrowsing.phishing.enabled": false,
      "network.captive-portal-service.enabled": false,
      "datareporting.healthreport.uploadEnabled": false,
      "toolkit.telemetry.enabled": false,
    },
  });
  return {
    async newContext() {
      return firefoxContext(await browser.createBrowserContext());
    },
    close: () => browser.close(),
  };
}

/**
 * A request as playwright shows it. WebDriver BiDi gives no resource type: a navigation, or a
 * request a page makes to its own origin (the server's login pages, their favicon), is a
 * "document"; a request to another origin than its page's (what the app's scripts fetch) is a
 * "fetch".
 */
const request = (r) =>
  new Proxy(r, {
    get(target, name) {
      if (name === "resourceType") {
        return () => {
          // Its page: the frame's address, or (Firefox asks for a favicon before the frame's
          // address changes) the Referer.
          const origin = new URL(target.url()).origin + "/";
          const own = [target.frame()?.url(), target.headers()["referer"]].some((u) => u?.startsWith(origin));
          return target.isNavigationRequest() || own ? "document" : "fetch";
        };
      }
      const v = target[name];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });

function firefoxContext(context) {
  const onRequest = [];
  return {
    on(event, fn) {
      if (event !== "request") throw new Error(`driver: context event ${event} is not supported`);
      onRequest.push(fn);
    },
    async newPage() {
      const page = await context.newPage();
      page.on("request", (r) => onRequest.forEach((fn) => fn(request(r))));
      return firefoxPage(page);
    },
    /** playwright's `waitForEvent("page")`: the next page a script of the context opens. */
    async waitForEvent(event) {
      if (event !== "page") throw new Error(`driver: context event ${event} is not supported`);
      const before = new Set(await context.pages());
      const target = await context.waitForTarget(async (t) => t.type() === "page" && !before.has(await t.page()), { timeout: WAIT_MS });
      const page = await target.page();
      page.on("request", (r) => onRequest.forEach((fn) => fn(request(r))));
      return firefoxPage(page);
    },
    close: () => context.close(),
  };
}

/** playwright's `:has-text("x")` as puppeteer's text selector. */
const selector = (s) => s.replace(/:has-text\("([^"]*)"\)/g, "::-p-text($1)");

const element = (handle) =>
  handle && Object.assign(handle, {
    getAttribute: (name) => handle.evaluate((e, n) => e.getAttribute(n), name),
  });

/** Waits until `check()` holds, polling, or fails after `timeout` ms. */
async function until(check, timeout, what) {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`driver: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function firefoxPage(page) {
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  const own = {
    on: (event, fn) => page.on(event, event === "request" ? (r) => fn(request(r)) : fn),
    $: async (s) => element(await page.$(selector(s))),
    click: (s) => page.click(selector(s)),
    fill: (s, value) => page.$eval(selector(s), (e, v) => {
      e.value = v;
      e.dispatchEvent(new Event("input", { bubbles: true }));
    }, value),
    textContent: (s) => page.$eval(selector(s), (e) => e.textContent),
    getAttribute: (s, name) => page.$eval(selector(s), (e, n) => e.getAttribute(n), name),
    isVisible: async (s) => {
      const h = await page.$(selector(s));
      return h ? h.isVisible() : false;
    },
    waitForSelector: (s, options = {}) =>
      page.waitForSelector(selector(s), options.timeout ? { timeout: options.timeout } : {}),
    waitForFunction: (fn, arg, options = {}) =>
      page.waitForFunction(fn, { polling: 50, timeout: options.timeout ?? WAIT_MS }, arg),
    evaluate: (fn, arg) => (arg === undefined ? page.evaluate(fn) : page.evaluate(fn, arg)),
    waitForURL: (want, options = {}) => {
      const matches = (u) => (typeof want === "function" ? want(new URL(u)) : want instanceof RegExp ? want.test(u) : u === want);
      return until(() => matches(page.url()), options.timeout ?? WAIT_MS, `the URL (${page.url()})`);
    },
  };
  return new Proxy(page, {
    get(target, name) {
      if (Object.hasOwn(own, name)) return own[name];
      const v = target[name];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
