// spa-oauth/react: <AuthProvider config> and useAuth(). React is a peer dependency; this
// file is plain JavaScript (no JSX) so it needs no build step.
import { createContext, createElement, useContext, useEffect, useMemo, useState } from "react";
import { AuthError } from "./index.js";
import { actions, watchSession } from "./session-state.js";

const AuthContext = createContext(null);

const initial = { isLoading: true, isAuthenticated: false, user: null, sessionExpiresAt: null, expiring: false, idle: false, error: null };

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
  useEffect(
    () => watchSession(config, onRedirect, (patch) => setState((s) => ({ ...s, ...patch }))),
    [key], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const bound = useMemo(
    () => actions(config, (error) => setState((s) => ({ ...s, error }))),
    [key], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const value = useMemo(() => ({ ...state, ...bound }), [state, bound]);
  return createElement(AuthContext.Provider, { value }, children);
}

/** The session and its actions; inside an <AuthProvider>. */
export function useAuth() {
  const value = useContext(AuthContext);
  if (!value) throw new AuthError("invalid_config", "useAuth() must be called inside <AuthProvider>.");
  return value;
}
