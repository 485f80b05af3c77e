// spa-oauth: the package entry. It loads the WebAssembly module on first use (or on init()),
// and turns every failure into an AuthError with a stable `code`.

// wasm-bindgen's glue. The build bundles it into this file (one module to load; what the
// entry does not use is dropped); the WebAssembly module itself is fetched on first use.
import initWasm, * as glue from "./spa_oauth.js";

// A member of an object the app or the wasm made, read as the wasm reads members: own
// properties only, so that a polluted Object.prototype adds nothing (src/web/js_value.rs).
const own = (o, k) => (o !== null && typeof o === "object" && Object.hasOwn(o, k) ? o[k] : undefined);

// A dictionary handed to a browser API is made without a prototype, from the own members of
// `members` only. WebIDL reads a dictionary's members through the prototype chain: from an
// object literal (or the app's `init`), a polluted Object.prototype.method, body or headers
// would become the request's own (security review M3). The wasm's dictionaries are made the
// same way (src/web/js_value.rs).
// (`__proto__: null` in a literal sets no member: it makes the object's prototype null.)
const dict = (members) => ({ __proto__: null, ...members });

// The descriptions of spa-oauth's own errors (src/texts.rs). The wasm sends each as a key,
// "\u0001" and two base-36 digits; the texts are in ./texts.js (made by scripts/build.mjs
// from the Rust sources), loaded the first time an error is reported: an app that never
// fails never downloads them. Without them (offline), a description is the code.
let texts, loaded;
const loadTexts = () => (texts ??= import("./texts.js").then((m) => (loaded = m.default), () => (loaded = [])));
const expand = (d, list) => d.replace(/\u0001([0-9a-z]{2})/g, (k, i) => list[parseInt(i, 36)] ?? "");

/** Every error spa-oauth reports. `code` is stable; `description` is for people. */
export class AuthError extends Error {
  constructor(code, description, details) {
    super(description + " (" + code + ")");
    this.name = "AuthError";
    this.code = code;
    this.description = description;
    this.error = own(details, "error");
    this.errorDescription = own(details, "errorDescription");
    this.errorUri = own(details, "errorUri");
    this.status = own(details, "status");
    // Firefox writes the frames of a page's inline scripts with the page's whole address, and
    // on the redirect URI that holds the authorization response (code, state): an error
    // reporter that sends `stack` would send the code. The query and fragment of every
    // frame's URL are left out (RFC 9700 4.2.4: the response is not to linger).
    if (typeof this.stack === "string") this.stack = this.stack.replace(/[?#][^\s()]*?(?=:\d+:\d+)/g, "");
  }
}

/**
 * `load` (a promise of one of the package's files), run once and shared by every caller; a
 * failure is `network_error` naming `what`, and a later call tries again (the network may be
 * back).
 */
const once = (what, load) => {
  let p;
  return () => (p ??= load().catch((e) => {
    p = undefined;
    // (A failed fetch or import() rejects with an Error: `+` makes it text.)
    throw new AuthError("network_error", "spa-oauth's " + what + " could not be loaded: " + (e && e.message || e));
  }));
};

// Bundlers see this URL as an asset.
const load = once("WebAssembly module", () =>
  initWasm({ module_or_path: fetch(new URL("./spa_oauth_bg.wasm", import.meta.url)) }).then(() => undefined));

/**
 * Loads and instantiates the WebAssembly module. Optional: every function does it on first
 * use; call it early (for example when the login button renders) to have it ready.
 */
export function init() {
  return load();
}

// The DPoP key store (./dpop.js: WebCrypto and IndexedDB), loaded for a config with
// `dpop: true` only, and handed to the wasm; an app without DPoP never downloads it.
const dpopKeys = once("DPoP module", () => import("./dpop.js").then(glue.useDpopKeys));

// The login windows (./login-window.js: a popup, or the silent login's hidden iframe),
// loaded for loginWithPopup, loginSilently and a config with `silentLogin: true` only.
const windows = once("login-window module", () => import("./login-window.js").then(glue.useLoginWindow));

/** `e` as an AuthError; `list`: the texts (loadTexts). */
function toAuthError(e, list) {
  if (e instanceof AuthError) return e;
  const code = own(e, "code"), description = own(e, "description");
  if (typeof code === "string" && typeof description === "string") {
    // A server's own error_description is passed on as it came.
    const text = own(e, "errorDescription") === description ? description : expand(description, list);
    return new AuthError(code, text || code, e);
  }
  // Not one of spa-oauth's own errors: a bug, or the wasm trapped. Never swallow it silently.
  const err = new AuthError("internal_error", "spa-oauth failed unexpectedly: " + String(e && e.message || e));
  err.cause = e;
  return err;
}

async function call(f, args) {
  await load();
  try {
    const config = args[0];
    if (own(config, "dpop") === true) await dpopKeys();
    if (f === glue.loginWithPopup || f === glue.loginSilently || own(config, "silentLogin") === true) await windows();
    return await f(...args);
  } catch (e) {
    throw toAuthError(e, await loadTexts());
  }
}

/** Starts a login: stores the transaction and navigates to the authorization server. */
export function startLogin(config, options) {
  return call(glue.startLogin, [config, options]);
}

/**
 * Logs in through a popup, without leaving this page: call it from a click handler (the
 * popup is opened before anything is awaited, so popup blockers allow it). The popup's
 * redirect page calls handleCallback, which hands the response back here; this page checks
 * and redeems it as handleCallback would. Resolves like handleCallback; rejects with
 * `popup_closed`, `popup_blocked` or `timeout` (`options.timeoutMs`, default 5 minutes).
 * `options.abortOnClose: false` for a server whose pages send Cross-Origin-Opener-Policy:
 * same-origin (Entra ID): a popup that reads closed then waits for the answer until the
 * timeout. The pages shown in the popup get no link to this one.
 */
export function loginWithPopup(config, options) {
  let popup = null;
  try {
    popup = window.open("", "_blank", "popup,width=500,height=680");
  } catch {
    // Blocked: the wasm reports popup_blocked.
  }
  return call(glue.loginWithPopup, [config, options, popup]).finally(() => {
    try { if (popup && !popup.closed) popup.close(); } catch {}
  });
}

/**
 * A silent login: the authorization request with prompt=none in a hidden iframe, answered
 * from the server's own session. Rejects with `login_required`, `interaction_required` or
 * `consent_required` when the user must act, `timeout` after `options.timeoutMs` (10 s).
 */
export function loginSilently(config, options) {
  return call(glue.loginSilently, [config, options]);
}

/**
 * Completes the login on the redirect URI. Resolves to `{ returnTo, scope, loggedOut }`
 * (`loggedOut` is true on the way back from the server's logout page).
 */
export function handleCallback(config, options) {
  return call(glue.handleCallback, [config, options]);
}

/**
 * getAccessToken's fast path. Apps call it before every API request, and nearly always the
 * stored token is still good: the wasm would only decide again what it decided last time.
 * With the token, the wasm says until when it is usable as it is, where the session is
 * stored and as what text (`[token, untilMs, storage, key, text, writes]`). A later call
 * with the same config gets that token without entering the wasm while all of this holds:
 * the clock is before that moment, the config serialises the same, this page wrote or
 * removed no session since (`sessionWrites`), and the storage holds the same text (another
 * tab, or the app, may have changed it). Anything else goes to the wasm, which decides again.
 */
let memo;

// The config as the wasm reads it: exactly the members it reads (src/config.rs MEMBERS; a
// native test holds the two lists equal), own properties only, as src/web/js_value.rs reads
// them. JSON.stringify of the whole object would see neither inherited nor non-enumerable
// members and would run `toJSON`: two configs differing only there would share one memo,
// and one would get the other's token. A value JSON cannot tell apart from another
// (a function, a symbol, an object, NaN) becomes a marker of its type: the wasm refuses
// those, so a config holding one never matches a config that does not.
const MEMBERS = ["clientId", "redirectUri", "issuer", "authorizationEndpoint", "tokenEndpoint", "scope", "audience", "resource", "extraParams", "tokenStorage", "httpTimeoutMs", "responseMode", "clockSkewSeconds", "clientSecret", "metadataUrl", "issuerTemplate", "tenants", "pushedAuthorizationRequests", "dpop", "apiOrigins", "transactionStorage", "silentLogin", "expiringNoticeSeconds", "idleTimeoutSeconds", "idleWarningSeconds", "idleLogout"];
const plain = (v) =>
  v === undefined || v === null || typeof v === "string" || typeof v === "boolean" || Number.isFinite(v)
    ? v ?? null
    : "\u0000" + typeof v + String(typeof v === "number" ? v : "");
// extraParams and idleLogout (and idleLogout's extraParams): their own enumerable members,
// as the wasm's Object.entries reads them; tenants: its elements.
const shape = (v, deep) =>
  deep && v !== null && typeof v === "object" && !Array.isArray(v)
    ? Object.entries(v).map(([n, x]) => [n, shape(x, true)])
    : Array.isArray(v) ? v.map(plain) : plain(v);
const fingerprint = (config) => {
  if (config === null || typeof config !== "object") throw new TypeError();
  return JSON.stringify(MEMBERS.map((k) => shape(own(config, k), k === "extraParams" || k === "idleLogout")));
};

function remembered(config, options) {
  try {
    const m = memo;
    if (!m || Date.now() >= m.until) return;
    // Read as the wasm reads it: an inherited forceRefresh means nothing there either.
    const force = own(options, "forceRefresh");
    if (force != null && force !== false) return;
    if (glue.sessionWrites() !== m.writes || fingerprint(config) !== m.config) return;
    if (m.storage && m.storage.getItem(m.key) !== m.text) return;
    return m.token;
  } catch {
    // A config or options that cannot be read this way: the wasm reads them and reports.
  }
}

/** `seen`: the config's fingerprint when the wasm read it; `undefined` leaves no memo. */
function remember(seen, [token, until, where, key, text, writes]) {
  memo = undefined;
  if (until === undefined || seen === undefined) return;
  try {
    const storage = where === "local" ? localStorage : where === "session" ? sessionStorage : null;
    memo = { token, until, storage, key, text, writes, config: seen };
  } catch {
    // No memo: every call goes to the wasm.
  }
}

/** An access token valid for at least 30 more seconds, refreshed when needed (a token the
 * refresh just received is returned as the server issued it). */
export async function getAccessToken(config, options) {
  const token = remembered(config, options);
  if (token !== undefined) return token;
  return call(async (config, options) => {
    // The config as the wasm reads it, now: the app may change the object during the await.
    let seen;
    try {
      seen = fingerprint(config);
    } catch {
      // Not serialisable: no memo.
    }
    const answer = await glue.getAccessToken(config, options);
    remember(seen, answer);
    return answer[0];
  }, [config, options]);
}

/**
 * `fetch(input, init)` with the access token: `Authorization: Bearer <token>`, or for a DPoP
 * session `Authorization: DPoP <token>` with a proof of this request. The token is refreshed
 * first when it expires within 30 seconds. It is sent only to this page's origin and to
 * `apiOrigins` (else an AuthError, `invalid_config`, and no request); redirects are not
 * followed (`redirect: "manual"`: the token never travels to where a redirect points). A
 * DPoP resource server's `use_dpop_nonce` answer is retried once with its nonce. Resolves to
 * the server's Response, whatever its status. `init` is read by its own enumerable members
 * only (an object literal, as apps pass it); inherited members are ignored.
 */
export async function fetchWithAuth(config, input, init) {
  let request;
  try {
    request = new Request(input, dict(init));
  } catch (e) {
    // What fetch itself refuses (a URL with credentials, a GET with a body): the app's call.
    throw new AuthError("invalid_config", "fetchWithAuth cannot send this request: " + e.message);
  }
  let previous = null, response;
  for (;;) {
    // The wasm decides: whether the token may go there, which token, which headers, and
    // after an answer, whether to try again.
    const headers = await call(glue.authorizeRequest, [config, request.method, request.url, previous]);
    if (!headers) return response;
    const attempt = new Request(request.clone(), dict({ redirect: "manual" }));
    attempt.headers.set("authorization", headers[0]);
    if (headers[1]) attempt.headers.set("dpop", headers[1]);
    response = await fetch(attempt);
    if (previous || !(response.status === 401 || response.headers.has("dpop-nonce"))) return response;
    previous = [response.status, response.headers.get("www-authenticate"), response.headers.get("dpop-nonce")];
  }
}

/** `{ expiresAt, scope, refreshable, refreshTokenWithheld }` of the stored session (no tokens), or null when logged out. */
export function getSessionInfo(config) {
  return call(glue.getSessionInfo, [config]);
}

/** The validated ID-token claims (merged with userinfo's when asked), or null when logged out. */
export function getUser(config, options) {
  return call(glue.getUser, [config, options]);
}

/** Whether there is a usable session (a valid access token or a refresh token). No request. */
export function isAuthenticated(config) {
  return call(glue.isAuthenticated, [config]);
}

/**
 * Calls `callback({ type, external, storage })` on login, refresh, logout and expiry (and, with
 * tokenStorage "local", on changes made by other tabs). Returns the unsubscribe function at
 * once; the subscription starts when the WebAssembly module is loaded.
 */
export function onSessionChange(config, callback) {
  if (typeof callback !== "function") {
    throw new AuthError("invalid_config", "onSessionChange needs a callback function.");
  }
  let unsubscribe;
  let stopped = false;
  const ready = load().then(() => {
    if (!stopped) unsubscribe = glue.onSessionChange(config, callback);
  });
  // A bad config is reported, not left as an unhandled rejection.
  ready.catch(async (e) => console.error(toAuthError(e, await loadTexts())));
  return () => {
    stopped = true;
    if (unsubscribe) unsubscribe();
  };
}

/**
 * Ends the session: revokes the tokens (unless `revoke: false`), clears the stored session,
 * and navigates to the server's logout page when it has one.
 */
export async function logout(config, options) {
  // The result may report a failed revocation; the texts load meanwhile, so that it is
  // described without waiting once the browser is on its way to the server's logout page.
  loadTexts();
  const r = await call(glue.logout, [config, options]);
  const error = own(r, "error"), serverLogout = own(r, "serverLogout");
  // When the page is leaving (serverLogout), no await: the answer comes before it unloads.
  const list = error ? (serverLogout ? loaded ?? [] : await loadTexts()) : [];
  return { revoked: own(r, "revoked"), serverLogout, error: error ? toAuthError(error, list) : null };
}
