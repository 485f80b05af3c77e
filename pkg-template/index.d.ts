/** Codes spa-oauth raises itself. */
export type ClientErrorCode =
  | "invalid_config"
  | "state_mismatch"
  | "transaction_expired"
  | "invalid_callback"
  | "invalid_response"
  | "network_error"
  | "timeout"
  | "issuer_mismatch"
  | "storage_unavailable"
  | "invalid_return_to"
  | "internal_error";

/** Codes a server sends (RFC 6749 4.1.2.1 and 5.2, OpenID Connect Core 3.1.2.6, RFC 8707). */
export type ServerErrorCode =
  | "invalid_request"
  | "unauthorized_client"
  | "access_denied"
  | "unsupported_response_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable"
  | "invalid_client"
  | "invalid_grant"
  | "unsupported_grant_type"
  | "interaction_required"
  | "login_required"
  | "account_selection_required"
  | "consent_required"
  | "invalid_request_uri"
  | "invalid_request_object"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "registration_not_supported"
  | "invalid_target"
  /** A server's code that no spec registers; the server's string is in `error`. */
  | "oauth_error";

export type AuthErrorCode = ClientErrorCode | ServerErrorCode;

/** Every failure of spa-oauth rejects with an AuthError. */
export declare class AuthError extends Error {
  readonly name: "AuthError";
  /** Stable code to switch on. */
  readonly code: AuthErrorCode;
  /** A sentence for people: the server's error_description when it sent one. */
  readonly description: string;
  /** The server's `error` string, verbatim, when the error came from a server. */
  readonly error?: string;
  /** The server's `error_description`, when it sent one. */
  readonly errorDescription?: string;
  /** The server's `error_uri`, when it sent one. */
  readonly errorUri?: string;
  /** The HTTP status, for errors that came from an HTTP response. */
  readonly status?: number;
}

export interface AuthConfig {
  /** The client's `client_id` at the authorization server. */
  clientId: string;
  /** Absolute redirect URI, registered at the server, sent verbatim. https, or http on localhost. */
  redirectUri: string;
  /** The issuer: endpoints come from its discovery document. */
  issuer?: string;
  /** With tokenEndpoint, replaces discovery. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** Space-separated scopes. Default "openid". */
  scope?: string;
  /** Sent as `audience` (Auth0 and others). */
  audience?: string;
  /** Sent as `resource` (RFC 8707). */
  resource?: string;
  /** More parameters for the authorization request. */
  extraParams?: Record<string, string | undefined>;
  /** Where tokens are kept. Default "session". */
  tokenStorage?: "session" | "local" | "memory";
  /** Timeout of every request, in milliseconds. Default 10000. */
  httpTimeoutMs?: number;
}

export interface LoginOptions {
  /** A path on this origin that handleCallback hands back after the login. */
  returnTo?: string;
  /** OpenID Connect `prompt`: "login", "consent", "none", "select_account". */
  prompt?: string;
  /** OpenID Connect `login_hint`. */
  loginHint?: string;
  /** More parameters for this request; they override the config's. */
  extraParams?: Record<string, string | undefined>;
}

export interface CallbackOptions {
  /** The callback URL. Default: location.href. */
  url?: string;
}

export interface CallbackResult {
  /** The returnTo given to startLogin, or null. */
  returnTo: string | null;
  /** The scope the server granted, when it said; it may be narrower than the one asked. */
  scope: string | null;
}

export interface AccessTokenOptions {
  /** Refresh even if the stored token is still valid. */
  forceRefresh?: boolean;
}

/** Loads the WebAssembly module now instead of on first use. */
export declare function init(): Promise<void>;

/** Stores the login transaction and navigates to the authorization server. */
export declare function startLogin(config: AuthConfig, options?: LoginOptions): Promise<void>;

/** Completes the login on the redirect URI. */
export declare function handleCallback(config: AuthConfig, options?: CallbackOptions): Promise<CallbackResult>;

/** An access token valid for at least 30 more seconds, refreshed when needed. */
export declare function getAccessToken(config: AuthConfig, options?: AccessTokenOptions): Promise<string>;

export interface SessionInfo {
  /** When the access token expires, in milliseconds since the epoch (as Date.now()), or null when the server gave no lifetime. */
  expiresAt: number | null;
  /** The granted scope, when the server said. */
  scope: string | null;
  /** Whether a refresh token is held. */
  refreshable: boolean;
}

/** The stored session's expiry and scope (never the tokens), or null when logged out. Makes no request. */
export declare function getSessionInfo(config: AuthConfig): Promise<SessionInfo | null>;

export interface LogoutOptions {
  /** Where the server sends the browser after its logout page; must be registered there. */
  postLogoutRedirectUri?: string;
  /** Revoke the refresh and access tokens first (RFC 7009). Default true. */
  revoke?: boolean;
}

/**
 * Revokes the tokens, clears the stored session, and navigates to the server's
 * end_session_endpoint when it has one (otherwise resolves). A failed revocation still
 * clears the session and rejects with the error, without navigating.
 */
export declare function logout(config: AuthConfig, options?: LogoutOptions): Promise<void>;
