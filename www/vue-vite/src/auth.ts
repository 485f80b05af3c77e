import type { AuthConfig } from "spa-oauth";

// The demo server of `npm run demo`; set VITE_ISSUER and VITE_CLIENT_ID for yours.
const issuer = import.meta.env.VITE_ISSUER ?? "http://localhost:4400";

export const config: AuthConfig = {
  issuer,
  clientId: import.meta.env.VITE_CLIENT_ID ?? "spa-demo",
  redirectUri: window.location.origin + "/",
  scope: "openid profile email offline_access",
};

/** The API this example calls with the access token: the server's userinfo endpoint. */
export const apiUrl: string = import.meta.env.VITE_API_URL ?? issuer + "/me";
