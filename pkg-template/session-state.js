// The session state the React and Vue bindings expose, kept up to date in one place: on the
// redirect URI the login (or the way back from logout) is completed first, then the session
// is read, and read again on every session event. The bindings only store the patches.
import * as auth from "./index.js";

/** Whether `href` is an authorization response (or a logout's return) for `config`. */
export function isCallbackUrl(config, href) {
  let url, redirect;
  // Own members only, as the wasm reads the config: an inherited redirectUri (a polluted
  // Object.prototype) must not make some other page look like the callback.
  const own = (k) => (config !== null && typeof config === "object" && Object.hasOwn(config, k) ? config[k] : undefined);
  try {
    url = new URL(href);
    redirect = new URL(own("redirectUri"));
  } catch {
    return false;
  }
  if (url.origin !== redirect.origin || url.pathname !== redirect.pathname) return false;
  const params = new URLSearchParams(own("responseMode") === "fragment" ? url.hash.slice(1) : url.search);
  return params.has("state");
}

/**
 * Starts watching the session of `config`: `update(patch)` receives
 * `{ isLoading, isAuthenticated, user, sessionExpiresAt, expiring, idle }` and `{ error }`
 * changes (`expiring`, `idle`: the session's `"expiring"` or `"idle"` event came, and nothing
 * changed it since). After a callback,
 * `onRedirect(returnTo)` is called (default: history.replaceState). Returns the function
 * that stops watching; nothing is reported after it.
 */
export function watchSession(config, onRedirect, update) {
  let live = true;
  const report = (patch) => live && update(patch);
  const load = async (type) => {
    const [isAuthenticated, user, info] = await Promise.all([
      auth.isAuthenticated(config), auth.getUser(config), auth.getSessionInfo(config),
    ]);
    const sessionExpiresAt = info ? info.sessionExpiresAt : null;
    report({ isLoading: false, isAuthenticated, user, sessionExpiresAt, expiring: type === "expiring", idle: type === "idle" });
  };
  const fail = (error) => report({ isLoading: false, error });
  (async () => {
    // A failed callback is reported, and the session (if any) still loaded.
    let callbackError = null;
    if (isCallbackUrl(config, window.location.href)) {
      try {
        const { returnTo } = await auth.handleCallback(config);
        if (live && returnTo) {
          if (onRedirect) onRedirect(returnTo);
          else window.history.replaceState(window.history.state, "", returnTo);
        }
      } catch (e) {
        callbackError = e;
      }
    }
    await load();
    if (callbackError) fail(callbackError);
  })().catch(fail);
  const unsubscribe = auth.onSessionChange(config, (e) => load(e.type).catch(fail));
  return () => {
    live = false;
    unsubscribe();
  };
}

/**
 * The actions of the bindings, bound to `config`. A failed login or logout is also handed
 * to `setError` (the UI shows it) before the promise rejects; so is what a logout reports
 * in its result (a failed revocation), while the logout resolves.
 */
export function actions(config, setError) {
  const failed = (e) => {
    setError(e);
    throw e;
  };
  return {
    login: (options) => auth.startLogin(config, options).catch(failed),
    // Synchronous up to window.open: called from a click, the popup is allowed.
    loginWithPopup: (options) => auth.loginWithPopup(config, options).catch(failed),
    logout: (options) => auth.logout(config, options).then((r) => {
      if (r.error) setError(r.error);
      return r;
    }, failed),
    getAccessToken: (options) => auth.getAccessToken(config, options),
    fetchWithAuth: (input, init) => auth.fetchWithAuth(config, input, init),
    getUser: (options) => auth.getUser(config, options),
    clearError: () => setError(null),
  };
}
