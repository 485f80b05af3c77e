// WebKit for the end-to-end tests: WebKitGTK's MiniBrowser (Safari's engine: WebCore and
// JavaScriptCore) under a virtual display, driven over classic W3C WebDriver by
// WebKitWebDriver. That is the only protocol it speaks (no BiDi, no CDP), so neither
// playwright-core nor puppeteer-core can drive it. This is a small client of its own: the
// protocol is plain HTTP and JSON, and the tests use a small part of playwright's page API
// (driver.mjs), which selenium-webdriver or webdriverio would still have to be adapted to,
// and they would bring tens of packages for four commands.
//
// What classic WebDriver cannot see is taken where it can be seen:
// - every request: each context's browser sends its requests through a proxy of its own on
//   127.0.0.1 (MiniBrowser's --proxy), which sees them all, loopback included, with their
//   headers (`Sec-Fetch-Dest` gives the resource type); a request to anything but loopback
//   is recorded and answered there, never sent on;
// - a page's promise: `evaluate` starts the function with a short script and the page
//   reports the settled value with `navigator.sendBeacon` to its own origin, which the proxy
//   takes: WebDriver runs one command at a time, and a script that waited would hold every
//   other tab of the context (the tests that race two tabs would stop racing). A beacon also
//   arrives when the page unloads right after (logout resolves just before it leaves);
// - navigations: the page's address after each command;
// - console lines: a hook installed on each page the test acts on (lines written before the
//   hook, while the page loads, are not seen: Chromium's and Firefox's runs see those).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, request as forward } from "node:http";
import { startDisplay } from "../display.mjs";

const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

// Safari's defaults that matter to an OAuth client: Intelligent Tracking Prevention (no
// third-party cookies: a silent login in an iframe of another site has no session there),
// and windows that script may open (a popup login is opened at a click; WebDriver's
// scripts are no user gesture).
const BROWSER_ARGS = ["--automation", "--enable-itp", "--javascript-can-open-windows-automatically=true"];

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it gives a truthy value, which it returns; fails after `ms`, saying
 * `what` (a function: it describes the state when the wait gave up, not when it began). */
async function until(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`webkit driver: timed out waiting for ${typeof what === "function" ? what() : what}`);
    await sleep(50);
  }
}

/** A browser: `{ newContext(), close() }`. Each context is a browser process of its own
 * (WebKitWebDriver serves one session), with its own cookies and storage. */
export async function launchWebKit({ waitMs }) {
  const display = await startDisplay();
  const contexts = new Set();
  return {
    async newContext() {
      const c = await webkitContext(display.display, waitMs);
      contexts.add(c);
      return c;
    },
    async close() {
      await Promise.all([...contexts].map((c) => c.close().catch(() => {})));
      await display.close();
    },
  };
}

/** The proxy: every request is reported to `onRequest`; `/__e2e__/<token>` beacons to
 * `onBeacon`; loopback requests are sent on, others answered 502 here. */
async function startProxy(onRequest, onBeacon) {
  const server = createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url);
    } catch {
      res.writeHead(400);
      return res.end();
    }
    if (url.pathname.startsWith("/__e2e__/")) {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        onBeacon(url.pathname.slice("/__e2e__/".length), body);
        res.writeHead(204);
        res.end();
      });
      return;
    }
    onRequest({ url: url.href, method: req.method, headers: req.headers });
    if (!LOOPBACK.includes(url.hostname)) {
      res.writeHead(502);
      return res.end();
    }
    const headers = { ...req.headers };
    delete headers["proxy-connection"];
    // The test servers listen on 127.0.0.1 only ("localhost" may resolve to ::1 first).
    const host = url.hostname === "[::1]" ? "::1" : "127.0.0.1";
    const up = forward({ host, port: url.port || 80, path: url.pathname + url.search, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode, r.statusMessage, r.headers);
      r.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.on("connect", (_req, socket) => socket.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n"));
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return { port: server.address().port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** A request as playwright shows it. */
const requestOf = (r) => {
  const dest = r.headers["sec-fetch-dest"];
  return {
    url: () => r.url,
    method: () => r.method,
    headers: () => r.headers,
    isNavigationRequest: () => dest === "document" || dest === "iframe",
    resourceType: () => (dest === "empty" ? "fetch" : dest === "document" || dest === "iframe" ? "document" : dest || "other"),
    frame: () => null,
  };
};

/** One WebDriver session: its commands, one at a time, each in the window it is for. */
class Session {
  constructor(base, id) {
    this.base = `${base}/session/${id}`;
    this.queue = Promise.resolve();
    this.current = null;
  }

  async command(method, path, body) {
    const r = await fetch(this.base + path, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await r.json();
    const v = answer?.value;
    if (v && typeof v === "object" && typeof v.error === "string") throw new Error(`webdriver ${path}: ${v.error}: ${v.message}`);
    return v;
  }

  /** Runs the script `body` in the current window. Its value comes back as JSON text made in
   * the page: WebDriver's own serialization walks inherited members, and a test that
   * pollutes Object.prototype on purpose would make every value cyclic. */
  async exec(body, args = []) {
    const text = await this.command("POST", "/execute/sync", {
      script: `const r = (function () { ${body} }).apply(this, arguments); return r === undefined ? null : JSON.stringify(r);`,
      args,
    });
    return typeof text === "string" ? JSON.parse(text) : undefined;
  }

  /** Runs `work` after every command queued before it, in the window `handle`. Queued at the
   * call, so that the order of calls is the order of commands. */
  run(handle, work) {
    const next = this.queue.then(async () => {
      if (handle && handle !== this.current) {
        await this.command("POST", "/window", { handle });
        this.current = handle;
      }
      return work();
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

async function webkitContext(display, waitMs) {
  const listeners = [];
  const waiting = new Map(); // beacon token -> resolve
  const proxy = await startProxy(
    (r) => listeners.forEach((fn) => fn(requestOf(r))),
    (token, body) => waiting.get(token)?.(body),
  );
  const driverPort = await freeLoopbackPort();
  const driver = spawn("/usr/bin/WebKitWebDriver", ["--port=" + driverPort], {
    env: { ...process.env, DISPLAY: display },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const base = `http://127.0.0.1:${driverPort}`;
  await until(() => fetch(base + "/status").then((r) => r.ok, () => false), waitMs, "WebKitWebDriver to start");
  const created = await fetch(base + "/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: [...BROWSER_ARGS, `--proxy=http://127.0.0.1:${proxy.port}`] } } },
    }),
  }).then((r) => r.json());
  const id = created?.value?.sessionId;
  if (!id) throw new Error("webkit driver: no session: " + JSON.stringify(created));
  const session = new Session(base, id);
  await session.command("POST", "/timeouts", { script: waitMs, pageLoad: waitMs, implicit: 0 });
  let initial = await session.command("GET", "/window");
  session.current = initial;
  const pages = new Map(); // handle -> page
  let polling = false;

  const context = {
    session,
    waitMs,
    /** The next beacon with `token`, as parsed JSON. */
    beacon(token) {
      return new Promise((resolve) => waiting.set(token, (body) => {
        waiting.delete(token);
        resolve(JSON.parse(body));
      }));
    },
    forget(token) {
      waiting.delete(token);
    },
    on(event, fn) {
      if (event !== "request") throw new Error(`webkit driver: context event ${event} is not supported`);
      listeners.push(fn);
    },
    async newPage() {
      let handle = initial;
      initial = null;
      if (!handle) handle = (await session.run(null, () => session.command("POST", "/window/new", { type: "tab" }))).handle;
      return adopt(handle);
    },
    /** playwright's `waitForEvent("page")`: the next window a page of the context opens. */
    async waitForEvent(event) {
      if (event !== "page") throw new Error(`webkit driver: context event ${event} is not supported`);
      const known = new Set([...pages.keys(), initial]);
      const handle = await until(async () => {
        const handles = await session.run(null, () => session.command("GET", "/window/handles"));
        return handles.find((h) => !known.has(h));
      }, waitMs, "a new window");
      const page = await adopt(handle);
      watchClosed();
      return page;
    },
    async close() {
      await session.command("DELETE", "").catch(() => {});
      driver.kill();
      await proxy.close();
    },
  };

  async function adopt(handle) {
    const page = new WebKitPage(context, handle);
    pages.set(handle, page);
    await page.refresh();
    return page;
  }

  /** Windows a page closes itself (a popup) are seen as closed by `isClosed()`. */
  function watchClosed() {
    if (polling) return;
    polling = true;
    (async () => {
      while (polling && driver.exitCode === null) {
        await sleep(200);
        const handles = await session.run(null, () => session.command("GET", "/window/handles")).catch(() => null);
        if (!handles) continue;
        for (const [h, page] of pages) if (!handles.includes(h)) page.closed = true;
      }
    })();
  }
  const close = context.close;
  context.close = async () => {
    polling = false;
    await close();
  };
  return context;
}

async function freeLoopbackPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// In the page: the element a selector names, with playwright's `:has-text("...")` (the first
// element matching the CSS part whose text contains it, case and spaces aside).
const FIND = `(selector) => {
  const m = /^(.*):has-text\\("([^"]*)"\\)$/.exec(selector);
  const all = [...document.querySelectorAll(m ? m[1] || "*" : selector)];
  if (!m) return all[0] || null;
  const want = m[2].toLowerCase();
  return all.find((e) => e.textContent.replace(/\\s+/g, " ").toLowerCase().includes(want)) || null;
}`;
const VISIBLE = `(e) => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"`;

// Values cross as JSON, with `undefined` kept (playwright keeps it; WebDriver makes it null).
const UNDEFINED = { __e2eUndefined: true };
const ENCODE = `(v) => JSON.stringify(v === undefined ? ${JSON.stringify(UNDEFINED)} : v, (k, x) => (x === undefined ? ${JSON.stringify(UNDEFINED)} : x))`;
function decode(text) {
  if (text === undefined || text === null) return undefined;
  const revive = (v) => {
    if (v && typeof v === "object") {
      if (v.__e2eUndefined === true && Object.keys(v).length === 1) return undefined;
      for (const k of Object.keys(v)) v[k] = revive(v[k]);
    }
    return v;
  };
  return revive(JSON.parse(text));
}

// In the page: console lines and uncaught errors, kept until the driver reads them.
const HOOK = `if (!window.__e2eConsole) {
  const lines = (window.__e2eConsole = []);
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const original = console[level];
    console[level] = function (...a) { lines.push(["console", a.map(String).join(" ")]); return original.apply(this, a); };
  }
  addEventListener("error", (e) => lines.push(["pageerror", String(e.error && e.error.stack || e.message)]));
  addEventListener("unhandledrejection", (e) => lines.push(["pageerror", String(e.reason && e.reason.stack || e.reason)]));
  // (A data: URL is reported by its scheme alone: CSP 3, "strip uri for reporting".)
  document.addEventListener("securitypolicyviolation", (e) => lines.push(["console", "Content Security Policy: " + e.effectiveDirective + " refused " + (e.blockedURI === "data" ? "a data: URL" : e.blockedURI)]));
}`;

class WebKitPage {
  constructor(context, handle) {
    this.context = context;
    this.session = context.session;
    this.handle = handle;
    this.address = "about:blank";
    this.closed = false;
    this.listeners = { console: [], pageerror: [], framenavigated: [] };
    this.frame = { url: () => this.address };
  }

  /** Runs `work` (WebDriver commands) in this page's window, then reads the address and the
   * console lines: what playwright reports as events. */
  act(work) {
    return this.session.run(this.handle, async () => {
      const v = await work();
      await this.look();
      return v;
    });
  }

  async look() {
    const s = this.session;
    let seen;
    try {
      seen = await s.exec(`${HOOK}; const l = window.__e2eConsole.splice(0); return [location.href, l];`);
    } catch {
      return; // mid-navigation: read next time
    }
    const [href, lines] = seen;
    for (const [kind, text] of lines) {
      for (const fn of this.listeners[kind] ?? []) fn(kind === "console" ? { text: () => text } : Object.assign(new Error(text), { stack: text }));
    }
    if (href !== this.address) {
      this.address = href;
      for (const fn of this.listeners.framenavigated) fn(this.frame);
    }
  }

  refresh() {
    return this.act(async () => {});
  }

  script(body, args = []) {
    return this.session.exec(body, args);
  }

  on(event, fn) {
    if (event === "request") return this.context.on("request", fn); // the context's: the proxy cannot tell pages apart
    if (!this.listeners[event]) throw new Error(`webkit driver: page event ${event} is not supported`);
    this.listeners[event].push(fn);
  }

  mainFrame() {
    return this.frame;
  }

  url() {
    return this.address;
  }

  isClosed() {
    return this.closed;
  }

  goto(url) {
    return this.act(() => this.session.command("POST", "/url", { url }));
  }

  reload() {
    return this.act(() => this.session.command("POST", "/refresh", {}));
  }

  content() {
    return this.act(() => this.session.command("GET", "/source"));
  }

  async close() {
    await this.session.run(this.handle, async () => {
      await this.session.command("DELETE", "/window");
      this.session.current = null;
    });
    this.closed = true;
  }

  /** playwright's `evaluate`: the function's value, awaited when it is a promise. */
  async evaluate(fn, arg) {
    const token = randomUUID();
    const src = typeof fn === "function" ? fn.toString() : `() => (${fn})`;
    const settled = this.context.beacon(token);
    const body = `const [arg, token] = arguments;
      const encode = ${ENCODE};
      let v;
      try { v = (${src})(arg && arg.__e2eUndefined === true ? undefined : arg); }
      catch (e) { return { error: String(e && e.stack || e) }; }
      if (v && typeof v.then === "function") {
        const send = (o) => navigator.sendBeacon(location.origin + "/__e2e__/" + token, JSON.stringify(o));
        v.then((x) => send({ value: encode(x) }), (e) => send({ error: String(e && e.stack || e) }));
        return { pending: true };
      }
      return { value: encode(v) };`;
    let started;
    try {
      started = await this.act(() => this.script(body, [arg === undefined ? UNDEFINED : arg, token]));
    } catch (e) {
      this.context.forget(token);
      throw e;
    }
    const out = started.pending ? await settled : (this.context.forget(token), started);
    if (started.pending) await this.refresh();
    if (out.error !== undefined) throw new Error("page.evaluate: " + out.error);
    return decode(out.value);
  }

  /** Whether `selector` names an element now (and whether it is visible). */
  probe(selector) {
    return this.act(() => this.script(`const e = (${FIND})(arguments[0]); return [!!e, (${VISIBLE})(e)];`, [selector]));
  }

  async waitForSelector(selector, options = {}) {
    const visible = (options.state ?? "visible") === "visible";
    await until(async () => {
      const [found, shown] = await this.probe(selector).catch(() => [false, false]);
      return found && (shown || !visible);
    }, options.timeout ?? this.context.waitMs, `the selector ${selector}`);
    return this.element(selector);
  }

  async $(selector) {
    const [found] = await this.probe(selector);
    return found ? this.element(selector) : null;
  }

  element(selector) {
    return {
      getAttribute: (name) => this.getAttribute(selector, name),
      textContent: () => this.textContent(selector),
      isVisible: () => this.isVisible(selector),
      click: () => this.click(selector),
    };
  }

  async click(selector) {
    await this.waitForSelector(selector);
    await this.act(() => this.script(`(${FIND})(arguments[0]).click();`, [selector]));
  }

  async fill(selector, value) {
    await this.waitForSelector(selector);
    await this.act(() => this.script(
      `const e = (${FIND})(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event("input", { bubbles: true })); e.dispatchEvent(new Event("change", { bubbles: true }));`,
      [selector, value],
    ));
  }

  async textContent(selector) {
    await this.waitForSelector(selector, { state: "attached" });
    return this.act(() => this.script(`const e = (${FIND})(arguments[0]); return e ? e.textContent : null;`, [selector]));
  }

  async getAttribute(selector, name) {
    await this.waitForSelector(selector, { state: "attached" });
    return this.act(() => this.script(`const e = (${FIND})(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;`, [selector, name]));
  }

  async isVisible(selector) {
    const [, shown] = await this.probe(selector).catch(() => [false, false]);
    return shown;
  }

  async waitForFunction(fn, arg, options = {}) {
    return until(async () => {
      try {
        return await this.evaluate(fn, arg);
      } catch {
        return false; // mid-navigation: asked again
      }
    }, options.timeout ?? this.context.waitMs, "a function of the page");
  }

  /** The next document loaded in this page (its load finished), after the commands queued
   * before this call: as playwright's, call it before what navigates. */
  waitForNavigation(options = {}) {
    const mark = randomUUID();
    const marked = this.act(() => this.script("window.__e2eDocument = arguments[0];", [mark]));
    let last;
    return (async () => {
      await marked;
      await until(
        () => this.act(() => this.script("return window.__e2eDocument !== arguments[0] && document.readyState === 'complete';", [mark]))
          .catch((e) => ((last = e), false)),
        options.timeout ?? this.context.waitMs,
        () => `a navigation (at ${this.address}${last ? "; " + last.message : ""})`,
      );
    })();
  }

  async waitForURL(want, options = {}) {
    const matches = (u) => (typeof want === "function" ? want(new URL(u)) : want instanceof RegExp ? want.test(u) : u === want);
    await until(async () => {
      await this.refresh().catch(() => {});
      if (!matches(this.address)) return false;
      return this.act(() => this.script("return document.readyState === 'complete';")).catch(() => false);
    }, options.timeout ?? this.context.waitMs, () => `the URL (${this.address})`);
  }
}
