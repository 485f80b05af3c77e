import type { App, Ref } from "vue";
import type {
  AccessTokenOptions, AuthConfig, AuthError, CallbackResult, GetUserOptions, LoginOptions, LogoutOptions, LogoutResult, PopupLoginOptions, UserClaims,
} from "./index.js";

export interface Auth {
  /** True until the session (and a callback on the redirect URI) has been read. */
  readonly isLoading: Readonly<Ref<boolean>>;
  readonly isAuthenticated: Readonly<Ref<boolean>>;
  /** The validated ID-token claims, or null. */
  readonly user: Readonly<Ref<UserClaims | null>>;
  /** getSessionInfo's `sessionExpiresAt`: when the session can no longer be refreshed (ms since the epoch), or null. */
  readonly sessionExpiresAt: Readonly<Ref<number | null>>;
  /**
   * True once the `"expiring"` event came (`expiringNoticeSeconds` before `sessionExpiresAt`)
   * and until the session changes: show a warning, save the user's work, or sign in again.
   */
  readonly expiring: Readonly<Ref<boolean>>;
  /** True once the `"idle"` event came (with `idleTimeoutSeconds`) and until the session changes. */
  readonly idle: Readonly<Ref<boolean>>;
  /** The last failure (callback, login, logout), or null. */
  readonly error: Readonly<Ref<AuthError | null>>;
  /** startLogin with this config. */
  login(options?: LoginOptions): Promise<void>;
  /** loginWithPopup with this config (call it from a click handler); the page never leaves. */
  loginWithPopup(options?: PopupLoginOptions): Promise<CallbackResult>;
  /** logout with this config. */
  logout(options?: LogoutOptions): Promise<LogoutResult>;
  /** getAccessToken with this config. */
  getAccessToken(options?: AccessTokenOptions): Promise<string>;
  /** fetchWithAuth with this config: fetch() with the access token (and DPoP proof). */
  fetchWithAuth(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** getUser with this config (for example `{ userinfo: true }`). */
  getUser(options?: GetUserOptions): Promise<UserClaims | null>;
  clearError(): void;
}

export interface AuthPlugin extends Auth {
  install(app: App): void;
}

export interface CreateAuthOptions {
  /** Called with the login's `returnTo` after the callback, e.g. `(path) => router.replace(path)`. Default: history.replaceState. */
  onRedirect?: (returnTo: string) => void;
}

/** The plugin: `app.use(createAuth(config))`. */
export declare function createAuth(config: AuthConfig, options?: CreateAuthOptions): AuthPlugin;

/** The session and its actions, from the installed plugin. */
export declare function useAuth(): Auth;

declare module "vue" {
  interface ComponentCustomProperties {
    $auth: Auth;
  }
}
