// spa-oauth: the package entry. It loads the WebAssembly module on first use (or on init()),
// and turns every failure into an AuthError with a stable `code`.

// wasm-bindgen's glue. The build bundles it into this file (one module to load; what the
// entry does not use is dropped); the WebAssembly module itself is fetched on first use.
import initWasm, * as glue from "./spa_oauth.js";

/** Every error spa-oauth reports. `code` is stable; `description` is for people. */
export class AuthError extends Error {
  constructor(code, description, details) {
    super(description + " (" + code + ")");
    this.name = "AuthError";
    this.code = code;
    this.description = description;
    const d = details || {};
    this.error = d.error;
    this.errorDescription = d.errorDescription;
    this.errorUri = d.errorUri;
    this.status = d.status;
  }
}

let loading;

function load() {
  if (!loading) {
    // Bundlers see this URL as an asset.
    const wasm = fetch(new URL("./spa_oauth_bg.wasm", import.meta.url));
    loading = initWasm({ module_or_path: wasm })
      .then(() => undefined)
      .catch((e) => {
        loading = undefined; // a later call may try again (the network may be back)
        throw new AuthError("network_error", "The spa-oauth WebAssembly module could not be loaded: " + String(e && e.message || e));
      });
  }
  return loading;
}

/**
 * Loads and instantiates the WebAssembly module. Optional: every function does it on first
 * use; call it early (for example when the login button renders) to have it ready.
 */
export function init() {
  return load();
}

function toAuthError(e) {
  if (e instanceof AuthError) return e;
  if (e && typeof e === "object" && typeof e.code === "string" && typeof e.description === "string") {
    return new AuthError(e.code, e.description, e);
  }
  // Not one of spa-oauth's own errors: a bug, or the wasm trapped. Never swallow it silently.
  const err = new AuthError("internal_error", "spa-oauth failed unexpectedly: " + String(e && e.message || e));
  err.cause = e;
  return err;
}

async function call(f, args) {
  await load();
  try {
    return await f(...args);
  } catch (e) {
    throw toAuthError(e);
  }
}

/** Starts a login: stores the transaction and navigates to the authorization server. */
export function startLogin(config, options) {
  return call(glue.startLogin, [config, options]);
}

/**
 * Completes the login on the redirect URI. Resolves to `{ returnTo, scope, loggedOut }`
 * (`loggedOut` is true on the way back from the server's logout page).
 */
export function handleCallback(config, options) {
  return call(glue.handleCallback, [config, options]);
}

/** An access token valid for at least 30 more seconds, refreshed when needed. */
export function getAccessToken(config, options) {
  return call(glue.getAccessToken, [config, options]);
}

/** `{ expiresAt, scope, refreshable }` of the stored session (no tokens), or null when logged out. */
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
  ready.catch((e) => console.error(toAuthError(e)));
  return () => {
    stopped = true;
    if (unsubscribe) unsubscribe();
  };
}

/**
 * Ends the session: revokes the tokens (unless `revoke: false`), clears the stored session,
 * and navigates to the server's logout page when it has one.
 */
export function logout(config, options) {
  return call(glue.logout, [config, options]);
}
