// Type tests of the public API: what must compile does, and what must not is marked with
// the expect-error directive (tsc fails if such a line compiles). Run by
// tests/package/package.test.mjs.
import {
  AuthError, getAccessToken, getSessionInfo, getUser, handleCallback, init, isAuthenticated, logout,
  onSessionChange, startLogin, type AuthConfig, type AuthErrorCode, type SessionChangeEvent, type UserClaims,
} from "spa-oauth";
import { AuthProvider, useAuth, type AuthState } from "spa-oauth/react";
import { createAuth, useAuth as useVueAuth, type Auth } from "spa-oauth/vue";

const config: AuthConfig = {
  clientId: "spa",
  issuer: "https://id.example",
  redirectUri: "https://app.example/cb",
  responseMode: "fragment",
  clockSkewSeconds: 30,
  tokenStorage: "local",
};

// @ts-expect-error clientId is required
const noClient: AuthConfig = { redirectUri: "https://app.example/cb" };
// @ts-expect-error only the three storages exist
const badStorage: AuthConfig = { ...config, tokenStorage: "cookie" };
// @ts-expect-error responseMode is query or fragment
const badMode: AuthConfig = { ...config, responseMode: "form_post" };

async function flows(): Promise<void> {
  await init();
  await startLogin(config, { returnTo: "/orders", prompt: "login", maxAge: 300, extraParams: { ui_locales: "de" } });
  const { returnTo, scope, loggedOut } = await handleCallback(config, { url: "https://app.example/cb?code=x&state=y" });
  const path: string | null = returnTo;
  const granted: string | null = scope;
  const back: boolean = loggedOut;
  const token: string = await getAccessToken(config, { forceRefresh: true });
  const info = await getSessionInfo(config);
  const expires: number | null = info ? info.expiresAt : null;
  const ends: number | null = info ? info.sessionExpiresAt : null;
  const offset: number = info ? info.clockOffsetSeconds : 0;
  const idleAt: number | null = info ? info.idleLogoutAt : null;
  void ends, offset, idleAt;
  const user: UserClaims | null = await getUser(config, { userinfo: true });
  const sub: string | undefined = user?.sub;
  const email: string | undefined = user?.email;
  const custom: unknown = user?.["https://example.com/roles"];
  const authed: boolean = await isAuthenticated(config);
  await logout(config, { postLogoutRedirectUri: "https://app.example/", revoke: false });
  const stop: () => void = onSessionChange(config, (e: SessionChangeEvent) => {
    const t: "login" | "refresh" | "logout" | "expired" | "expiring" | "idle" = e.type;
    const other: boolean = e.external;
    void t, other;
  });
  stop();
  // @ts-expect-error the callback gets an event, not a string
  onSessionChange(config, (e: string) => e);
  // @ts-expect-error returnTo is a string
  await startLogin(config, { returnTo: 42 });
  void path, granted, back, token, expires, sub, email, custom, authed;
}

function errors(e: unknown): string {
  if (e instanceof AuthError) {
    const code: AuthErrorCode = e.code;
    switch (e.code) {
      case "login_required":
      case "state_mismatch":
      case "id_token_invalid":
      case "issuer_mismatch":
        return e.description;
      // @ts-expect-error not a code spa-oauth has
      case "no_such_code":
        return "";
    }
    const status: number | undefined = e.status;
    return code + String(status) + (e.error ?? "");
  }
  return "";
}

function react(): void {
  const element = AuthProvider({ config, onRedirect: (to: string) => void to, children: null });
  const auth: AuthState = useAuth();
  const loading: boolean = auth.isLoading;
  const user: UserClaims | null = auth.user;
  const code: AuthErrorCode | undefined = auth.error?.code;
  const ends: number | null = auth.sessionExpiresAt;
  const expiring: boolean = auth.expiring;
  void auth.loginWithPopup({ abortOnClose: false, timeoutMs: 600_000 });
  void ends, expiring;
  void auth.login({ returnTo: "/" });
  void auth.getAccessToken();
  // @ts-expect-error the provider needs a config
  AuthProvider({ children: null });
  void element, loading, user, code;
}

function vue(): void {
  const plugin = createAuth(config, { onRedirect: (to: string) => void to });
  const auth: Auth = useVueAuth();
  const authed: boolean = auth.isAuthenticated.value;
  const sub: string | undefined = auth.user.value?.sub;
  const ends: number | null = auth.sessionExpiresAt.value;
  const expiring: boolean = auth.expiring.value;
  void ends, expiring;
  // @ts-expect-error the state is read-only
  auth.isAuthenticated.value = true;
  void auth.logout();
  void plugin.install, authed, sub;
}

void flows, errors, react, vue, noClient, badStorage, badMode;
