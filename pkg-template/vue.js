// spa-oauth/vue: a plugin (`app.use(createAuth(config))`) and the `useAuth()` composable.
// Vue is a peer dependency.
import { inject, readonly, shallowRef } from "vue";
import * as auth from "./index.js";
import { isCallbackUrl } from "./callback-url.js";

const KEY = Symbol("spa-oauth");

/**
 * The plugin for `config`. On install it completes a login when the page is the redirect
 * URI, then calls `onRedirect(returnTo)` (default: history.replaceState; with Vue Router,
 * pass `(path) => router.replace(path)`).
 */
export function createAuth(config, { onRedirect } = {}) {
  const isLoading = shallowRef(true);
  const isAuthenticated = shallowRef(false);
  const user = shallowRef(null);
  const error = shallowRef(null);
  const load = async () => {
    const [authenticated, claims] = await Promise.all([auth.isAuthenticated(config), auth.getUser(config)]);
    isAuthenticated.value = authenticated;
    user.value = claims;
    isLoading.value = false;
  };
  const fail = (e) => {
    error.value = e;
    isLoading.value = false;
  };
  const failed = (e) => {
    error.value = e;
    throw e;
  };
  const api = {
    isLoading: readonly(isLoading),
    isAuthenticated: readonly(isAuthenticated),
    user: readonly(user),
    error: readonly(error),
    login: (options) => auth.startLogin(config, options).catch(failed),
    logout: (options) => auth.logout(config, options).catch(failed),
    getAccessToken: (options) => auth.getAccessToken(config, options),
    getUser: (options) => auth.getUser(config, options),
    clearError: () => {
      error.value = null;
    },
  };
  let started = false;
  return {
    ...api,
    install(app) {
      app.provide(KEY, api);
      app.config.globalProperties.$auth = api;
      if (started) return; // one plugin, installed in several apps: one start
      started = true;
      auth.onSessionChange(config, () => load().catch(fail));
      (async () => {
        // A failed callback is reported, and the session (if any) still loaded.
        let callbackError = null;
        if (isCallbackUrl(config, window.location.href)) {
          try {
            const { returnTo } = await auth.handleCallback(config);
            if (returnTo) {
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
    },
  };
}

/** The session and its actions, from the plugin installed with `app.use(createAuth(config))`. */
export function useAuth() {
  const value = inject(KEY, null);
  if (!value) throw new auth.AuthError("invalid_config", "useAuth() needs the plugin: app.use(createAuth(config)).");
  return value;
}
