// spa-oauth/vue: a plugin (`app.use(createAuth(config))`) and the `useAuth()` composable.
// Vue is a peer dependency.
import { inject, readonly, shallowRef } from "vue";
import { AuthError } from "./index.js";
import { actions, watchSession } from "./session-state.js";

const KEY = Symbol("spa-oauth");

/**
 * The plugin for `config`. On install it completes a login when the page is the redirect
 * URI, then calls `onRedirect(returnTo)` (default: history.replaceState; with Vue Router,
 * pass `(path) => router.replace(path)`).
 */
export function createAuth(config, { onRedirect } = {}) {
  const refs = {
    isLoading: shallowRef(true),
    isAuthenticated: shallowRef(false),
    user: shallowRef(null),
    sessionExpiresAt: shallowRef(null),
    expiring: shallowRef(false),
    idle: shallowRef(false),
    error: shallowRef(null),
  };
  const api = {
    isLoading: readonly(refs.isLoading),
    isAuthenticated: readonly(refs.isAuthenticated),
    user: readonly(refs.user),
    sessionExpiresAt: readonly(refs.sessionExpiresAt),
    expiring: readonly(refs.expiring),
    idle: readonly(refs.idle),
    error: readonly(refs.error),
    ...actions(config, (error) => (refs.error.value = error)),
  };
  let started = false;
  return {
    ...api,
    install(app) {
      app.provide(KEY, api);
      app.config.globalProperties.$auth = api;
      if (started) return; // one plugin, installed in several apps: one start
      started = true;
      watchSession(config, onRedirect, (patch) => {
        for (const [name, value] of Object.entries(patch)) refs[name].value = value;
      });
    },
  };
}

/** The session and its actions, from the plugin installed with `app.use(createAuth(config))`. */
export function useAuth() {
  const value = inject(KEY, null);
  if (!value) throw new AuthError("invalid_config", "useAuth() needs the plugin: app.use(createAuth(config)).");
  return value;
}
