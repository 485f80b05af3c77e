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
  | "id_token_invalid"
  | "storage_unavailable"
  | "popup_closed"
  | "popup_blocked"
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
  /**
   * A sentence for people: the server's error_description when it sent one. Untrusted text
   * when it came from a server: render it as text, never as HTML.
   */
  readonly description: string;
  /** The server's `error` string, verbatim, when the error came from a server. Untrusted. */
  readonly error?: string;
  /** The server's `error_description`, when it sent one. Untrusted text: never render it as HTML. */
  readonly errorDescription?: string;
  /** The server's `error_uri`, only when it is an absolute https URL (http on loopback). */
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
  /**
   * More parameters for the authorization request. One spa-oauth owns (state, scope,
   * prompt, max_age, response_mode, ...) is refused with invalid_config naming it.
   */
  extraParams?: Record<string, string | undefined>;
  /**
   * Only for servers that insist on a client_secret from a browser app (Google's "Web
   * application" clients). It is not a secret: anyone can read it from the app. Sent only
   * in the code and refresh grants, never stored.
   */
  clientSecret?: string;
  /**
   * Where tokens are kept. Default "session". An object is your own store (encrypted,
   * IndexedDB, a Capacitor or Electron bridge): its methods may return promises. Pass the
   * same object on every call.
   */
  tokenStorage?: "session" | "local" | "memory" | StorageAdapter;
  /**
   * Where the login transaction (PKCE verifier, state, nonce) waits for the callback.
   * Default: this tab's sessionStorage. An adapter here is read and cleared under a
   * cross-tab lock, so a code is redeemed once even when two tabs handle the same callback.
   */
  transactionStorage?: StorageAdapter;
  /**
   * getAccessToken's last resort: when the session cannot give a token (none, or its refresh
   * token is missing or refused), a silent login (prompt=none in a hidden iframe) is tried
   * before login_required. For servers that give browser apps no refresh tokens; needs the
   * server's cookie in a third-party iframe. Default false.
   */
  silentLogin?: boolean;
  /** Timeout of every request, in milliseconds. Default 10000. */
  httpTimeoutMs?: number;
  /** Where the server puts the authorization response. Default "query". */
  responseMode?: "query" | "fragment";
  /** Tolerated clock difference for ID-token times (exp, iat, nbf, auth_time), in seconds. Default 60. */
  clockSkewSeconds?: number;
  /**
   * How long before the session's end (getSessionInfo's `sessionExpiresAt`) onSessionChange
   * reports `"expiring"`, in seconds. Default 60, at most 86400.
   */
  expiringNoticeSeconds?: number;
  /**
   * Opt-in idle timeout, in seconds (10 to 604800): after this long without the user's
   * activity (a key, a click, a touch, the wheel, the pointer moving) in any tab of the
   * origin, the session ends with a logout (revocation, and the server's logout page), after
   * an `"idle"` event `idleWarningSeconds` before. Needs a listener (onSessionChange, React's
   * AuthProvider, Vue's plugin) in the page.
   */
  idleTimeoutSeconds?: number;
  /** How long before the idle logout the `"idle"` event comes, in seconds. Default 60. */
  idleWarningSeconds?: number;
  /**
   * The options of the idle logout, as logout's (checked the same way): for example
   * `{ postLogoutRedirectUri: location.origin + "/signed-out" }` to come back from the
   * server's logout page. Default: logout's defaults.
   */
  idleLogout?: LogoutOptions;
  /**
   * Where the discovery document is, when it is not at the issuer's well-known locations
   * (Azure AD B2C: `https://<t>.b2clogin.com/<t>.onmicrosoft.com/v2.0/.well-known/openid-configuration?p=<policy>`).
   * The document's `issuer` must still equal `issuer`. Needs `issuer`.
   */
  metadataUrl?: string;
  /**
   * Opt-in for a multi-tenant server whose document names an issuer template (Entra ID's
   * `common` and `organizations`: `"https://login.microsoftonline.com/{tenantid}/v2.0"`).
   * The document must name exactly this; an ID token's `iss` must be it with a tenant id
   * (a GUID) in place of `{tenantid}`, and that tenant must be the token's `tid`. Needs `issuer`.
   */
  issuerTemplate?: string;
  /** With `issuerTemplate`: the only tenants (lower-case GUIDs) whose users may log in. */
  tenants?: string[];
  /**
   * Pushed Authorization Requests (RFC 9126): startLogin POSTs the authorization parameters
   * to the server's `pushed_authorization_request_endpoint`, and the browser goes to the
   * authorization endpoint with only `client_id` and `request_uri`. A refusal is an
   * AuthError from startLogin, before the browser leaves. Done without this option too when
   * the server's metadata says `require_pushed_authorization_requests`. Needs `issuer`.
   */
  pushedAuthorizationRequests?: boolean;
  /**
   * DPoP (RFC 9449): the tokens are bound to a key pair of this browser (ECDSA P-256, made
   * with WebCrypto as non-extractable at each login, kept in IndexedDB, deleted at logout);
   * every token request and every `fetchWithAuth` request carries a proof of it, so a token
   * copied out of storage is refused by the server. The server must support DPoP (its
   * answers must be `token_type: "DPoP"`). Default false.
   */
  dpop?: boolean;
  /**
   * The origins besides the page's own (`"https://api.example"`: scheme, host and port, no
   * path) that `fetchWithAuth` may send the access token to. Default: the page's origin only.
   */
  apiOrigins?: string[];
}

export interface LoginOptions {
  /** A path on this origin that handleCallback hands back after the login. */
  returnTo?: string;
  /** OpenID Connect `prompt`: "login", "consent", "none", "select_account". */
  prompt?: string;
  /** OpenID Connect `login_hint`. */
  loginHint?: string;
  /** OpenID Connect `max_age` in seconds: the ID token's `auth_time` must be this recent. */
  maxAge?: number;
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
  /** True when the page was reached back from the server's logout page (no new session). */
  loggedOut: boolean;
  /**
   * True on the redirect page inside a login popup or a silent login's iframe: the response
   * went to the page that started the login, which completes it. Nothing to do here.
   */
  handedOver: boolean;
}

export interface PopupLoginOptions extends LoginOptions {
  /** How long to wait for the user, in milliseconds. Default 300000 (5 minutes), at most
   * 600000 (a login transaction lives 10 minutes). */
  timeoutMs?: number;
  /**
   * Whether a popup that reads closed ends the login with popup_closed (within about a
   * second). Default true. A server whose login pages send
   * `Cross-Origin-Opener-Policy: same-origin` (Entra ID, Amazon Cognito) makes the popup read
   * closed while the user is still logging in, and this page cannot tell the difference: pass
   * false for such a server. The login then waits for the popup's answer until `timeoutMs`,
   * also when the user really closed it.
   */
  abortOnClose?: boolean;
}

export interface SilentLoginOptions {
  /** How long to wait for the server, in milliseconds. Default 10000, at most 600000. */
  timeoutMs?: number;
}

/**
 * Logs in through a popup; this page never leaves. Call it from a click handler (the popup is
 * opened before anything is awaited). The popup's redirect page calls handleCallback, which
 * hands the response back. Rejects with popup_closed, popup_blocked or timeout.
 */
export declare function loginWithPopup(config: AuthConfig, options?: PopupLoginOptions): Promise<CallbackResult>;

/**
 * A silent login: prompt=none in a hidden iframe, answered from the server's own session.
 * Rejects with login_required, interaction_required or consent_required when the user must act.
 */
export declare function loginSilently(config: AuthConfig, options?: SilentLoginOptions): Promise<CallbackResult>;

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

/** An access token valid for at least 30 more seconds, refreshed when needed (a token the
 * refresh just received is returned as the server issued it). */
export declare function getAccessToken(config: AuthConfig, options?: AccessTokenOptions): Promise<string>;

/**
 * `fetch(input, init)` with the access token: `Authorization: Bearer <token>`, or for a
 * `dpop: true` session `Authorization: DPoP <token>` plus a `DPoP` proof of this request
 * (RFC 9449). The token is refreshed first when it expires within 30 seconds. It is sent only
 * to this page's origin and the config's `apiOrigins` (anything else rejects with
 * `invalid_config` before any request). Redirects are not followed (`redirect: "manual"`:
 * a redirect resolves to a Response of type `"opaqueredirect"`), so the token never goes
 * where a redirect points. A `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"` is
 * retried once with the server's `DPoP-Nonce`. Resolves to the Response whatever its status.
 */
export declare function fetchWithAuth(config: AuthConfig, input: RequestInfo | URL, init?: RequestInit): Promise<Response>;

export interface SessionInfo {
  /** When the access token expires, in milliseconds since the epoch (as Date.now()), or null when the server gave no lifetime. */
  expiresAt: number | null;
  /** The granted scope, when the server said. */
  scope: string | null;
  /** Whether a refresh token is held. */
  refreshable: boolean;
  /**
   * The login asked for `offline_access` and the server issued no refresh token: many
   * servers (oidc-provider, Authentik) issue one only with the user's consent, so log in
   * with `prompt: "consent"`. Until then the session ends with the access token.
   */
  refreshTokenWithheld: boolean;
  /**
   * When the session can no longer be refreshed, in milliseconds since the epoch: the end the
   * server gave its refresh token (Keycloak's `refresh_expires_in`, Entra ID's
   * `refresh_token_expires_in`: 24 hours after the login for a single-page app), or without a
   * refresh token, the access token's expiry. Null when the server did not say. The
   * `"expiring"` event of onSessionChange comes `expiringNoticeSeconds` before it.
   */
  sessionExpiresAt: number | null;
  /**
   * The servers' clock minus this device's, in seconds, as learned from a server's `Date`
   * header (where CORS exposes it) or a login's ID token: every ID-token time and DPoP proof
   * is checked and made on server time, so a device whose clock is hours off still works.
   * 0 until learned.
   */
  clockOffsetSeconds: number;
  /** With `idleTimeoutSeconds`: when the idle logout comes (ms since the epoch), counted from the last activity in any tab; else null. For a countdown. */
  idleLogoutAt: number | null;
}

/** The stored session's expiry, scope and refreshability (never the tokens), or null when logged out. Makes no request. */
export declare function getSessionInfo(config: AuthConfig): Promise<SessionInfo | null>;

export interface LogoutOptions {
  /** Where the server sends the browser after its logout page; must be registered there. */
  postLogoutRedirectUri?: string;
  /**
   * Revoke the refresh token first (RFC 7009), or the access token when there is no refresh
   * token: one request. Default true.
   */
  revoke?: boolean;
  /**
   * Send the ID token as `id_token_hint` in the logout URL (default true). That URL is the
   * one place a token goes into a URL, where server logs and browser history may keep it.
   * `false` leaves it out; the server may then ask the user to confirm the logout.
   */
  idTokenHint?: boolean;
  /**
   * The server's logout page, for servers whose metadata names none (Auth0's `/v2/logout`,
   * Cognito's `/logout`, Dex, Google): used instead of `end_session_endpoint`.
   */
  endSessionEndpoint?: string;
  /**
   * More parameters for the logout URL (Cognito's `logout_uri`, Auth0's `returnTo`). The
   * ones spa-oauth sets (id_token_hint, client_id, post_logout_redirect_uri, state) are refused.
   */
  extraParams?: Record<string, string | undefined>;
}

/** What `logout` did at the server. The local session is gone whatever it says. */
export interface LogoutResult {
  /** The server confirmed the revocation (or said the token was already unusable). */
  revoked: boolean;
  /**
   * The browser is on its way to the server's logout page. `false`: the server has no
   * logout page spa-oauth knows of (see `endSessionEndpoint`), and its own session may
   * still be alive: the next login may not ask for a password.
   */
  serverLogout: boolean;
  /** What stopped the revocation or the server's logout (an unreachable server, a refusal), or null. */
  error: AuthError | null;
}

/**
 * Clears the stored session, revokes the refresh token (or the access token), and navigates
 * to the server's logout page when there is one. A failed revocation is reported in the
 * result and never stops the navigation. Rejects only for invalid options.
 */
export declare function logout(config: AuthConfig, options?: LogoutOptions): Promise<LogoutResult>;

/** The claims of the validated ID token (OpenID Connect Core 2 and 5.1), and any others the server adds. */
export interface UserClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  auth_time?: number;
  nonce?: string;
  acr?: string;
  amr?: string[];
  azp?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  preferred_username?: string;
  profile?: string;
  picture?: string;
  website?: string;
  email?: string;
  email_verified?: boolean;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  address?: {
    formatted?: string;
    street_address?: string;
    locality?: string;
    region?: string;
    postal_code?: string;
    country?: string;
  };
  updated_at?: number;
  [claim: string]: unknown;
}

export interface GetUserOptions {
  /** Also fetch the userinfo endpoint (one request) and merge its claims; its `sub` must match. */
  userinfo?: boolean;
}

/**
 * The validated ID-token claims, or null when logged out (or when the login was not OpenID
 * Connect). No request unless `userinfo` is true.
 */
export declare function getUser(config: AuthConfig, options?: GetUserOptions): Promise<UserClaims | null>;

/**
 * Your own store for `tokenStorage` or `transactionStorage`. Each method may return a
 * promise. `getItem` gives the string stored under `key`, or null (or undefined) when there is
 * none. A method that throws or rejects is `storage_unavailable`: a session then stays in the
 * page's memory, and a login whose transaction cannot be stored fails before leaving the page.
 */
export interface StorageAdapter {
  getItem(key: string): string | null | undefined | PromiseLike<string | null | undefined>;
  setItem(key: string, value: string): unknown;
  removeItem(key: string): unknown;
}

/** Whether there is a session that yields an access token without the user (valid token or refresh token). No request. */
export declare function isAuthenticated(config: AuthConfig): Promise<boolean>;

export interface SessionChangeEvent {
  /**
   * login, refresh, logout, expired (the session ended without a logout: expiry or a refused
   * refresh), or expiring (the session ends `expiringNoticeSeconds` from now, at
   * getSessionInfo's `sessionExpiresAt`: save the user's work, or sign in again with
   * loginWithPopup or loginSilently without leaving the page), or idle (no activity for
   * `idleTimeoutSeconds` minus `idleWarningSeconds`: the logout comes at getSessionInfo's
   * `idleLogoutAt` unless the user acts).
   */
  type: "login" | "refresh" | "logout" | "expired" | "expiring" | "idle";
  /** True when another tab made the change (tokenStorage "local"; never for an adapter). */
  external: boolean;
  /**
   * Where the session is kept now: the configured tokenStorage, or "memory" when that storage
   * threw (blocked storage, a sandboxed iframe, a full quota). The session then lasts as long
   * as the page; the next successful write moves it back.
   */
  storage: "session" | "local" | "memory" | "custom";
}

/** Calls `callback` on every change of the session of `config`. Returns the function that unsubscribes. */
export declare function onSessionChange(config: AuthConfig, callback: (event: SessionChangeEvent) => void): () => void;
