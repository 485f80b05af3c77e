// spa-oauth/react: <AuthProvider config> and useAuth(). React is a peer dependency; this
// file is plain JavaScript (no JSX) so it needs no build step.
import { createContext, createElement, useContext, useEffect, useMemo, useState } from "react";
import * as auth from "./index.js";
import { isCallbackUrl } from "./callback-url.js";

const AuthContext = createContext(null);

const initial = { isLoading: true, isAuthenticated: false, user: null, error: null };

/**
 * Provides the session of `config` to the components below. On the redirect URI it completes
 * the login itself (safe under StrictMode, which runs the effect twice: both runs share one
 * token request), then calls `onRedirect(returnTo)` (default: history.replaceState).
 */
export function AuthProvider({ config, onRedirect, children }) {
  const [state, setState] = useState(initial);
  // The effect depends on the config's content, not on its identity: apps often write the
  // config object inline.
  const key = JSON.stringify(config);
  useEffect(() => {
    let live = true;
    const update = (patch) => live && setState((s) => ({ ...s, ...patch }));
    const load = async () => {
      const [isAuthenticated, user] = await Promise.all([auth.isAuthenticated(config), auth.getUser(config)]);
      update({ isLoading: false, isAuthenticated, user });
    };
    const fail = (error) => update({ isLoading: false, error });
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
    const unsubscribe = auth.onSessionChange(config, () => load().catch(fail));
    return () => {
      live = false;
      unsubscribe();
    };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps

  const value = useMemo(() => {
    const failed = (e) => {
      setState((s) => ({ ...s, error: e }));
      throw e;
    };
    return {
      ...state,
      login: (options) => auth.startLogin(config, options).catch(failed),
      logout: (options) => auth.logout(config, options).catch(failed),
      getAccessToken: (options) => auth.getAccessToken(config, options),
      getUser: (options) => auth.getUser(config, options),
      clearError: () => setState((s) => ({ ...s, error: null })),
    };
  }, [state, key]); // eslint-disable-line react-hooks/exhaustive-deps
  return createElement(AuthContext.Provider, { value }, children);
}

/** The session and its actions; inside an <AuthProvider>. */
export function useAuth() {
  const value = useContext(AuthContext);
  if (!value) throw new auth.AuthError("invalid_config", "useAuth() must be called inside <AuthProvider>.");
  return value;
}
