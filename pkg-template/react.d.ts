import type { ReactNode, ReactElement } from "react";
import type {
  AccessTokenOptions, AuthConfig, AuthError, CallbackResult, GetUserOptions, LoginOptions, LogoutOptions, LogoutResult, PopupLoginOptions, UserClaims,
} from "./index.js";

export interface AuthProviderProps {
  config: AuthConfig;
  /** Called with the login's `returnTo` after the callback (for example a router's navigate). Default: history.replaceState. */
  onRedirect?: (returnTo: string) => void;
  children?: ReactNode;
}

/** Provides the session of `config`; completes the login itself on the redirect URI. */
export declare function AuthProvider(props: AuthProviderProps): ReactElement;

export interface AuthState {
  /** True until the session (and a callback on the redirect URI) has been read. */
  isLoading: boolean;
  isAuthenticated: boolean;
  /** The validated ID-token claims, or null. */
  user: UserClaims | null;
  /** getSessionInfo's `sessionExpiresAt`: when the session can no longer be refreshed (ms since the epoch), or null. */
  sessionExpiresAt: number | null;
  /**
   * True once the `"expiring"` event came (`expiringNoticeSeconds` before `sessionExpiresAt`)
   * and until the session changes: show a warning, save the user's work, or sign in again
   * with `loginWithPopup`.
   */
  expiring: boolean;
  /** True once the `"idle"` event came (with `idleTimeoutSeconds`) and until the session changes: show a countdown to getSessionInfo's `idleLogoutAt`. */
  idle: boolean;
  /** The last failure (callback, login, logout), or null. */
  error: AuthError | null;
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

/** The session and its actions; inside an <AuthProvider>. */
export declare function useAuth(): AuthState;
