// The demo app: plain ES modules, no bundler. It uses the package exactly as an app would.
import {
  startLogin, handleCallback, getAccessToken, getSessionInfo, getUser, logout, onSessionChange, AuthError,
} from "spa-oauth";
import { issuer, clientId } from "/demo-config.js";

const config = {
  clientId,
  issuer,
  redirectUri: location.origin + "/",
  scope: "openid profile offline_access",
};

const $ = (id) => document.getElementById(id);

function showError(e) {
  const err = e instanceof AuthError ? e : new AuthError("internal_error", String(e));
  $("error").hidden = false;
  $("error").dataset.code = err.code;
  $("error-code").textContent = err.code;
  $("error-description").textContent = err.description + (err.status ? ` (HTTP ${err.status})` : "");
}

async function userinfo() {
  const token = await getAccessToken(config);
  const r = await fetch(issuer + "/me", { headers: { authorization: "Bearer " + token } });
  const body = await r.json().catch(() => null);
  return { status: r.status, body };
}

async function render() {
  const info = await getSessionInfo(config);
  $("logged-out").hidden = !!info;
  $("logged-in").hidden = !info;
  if (!info) {
    $("status").textContent = "Not logged in.";
    return;
  }
  $("status").textContent = "Logged in.";
  $("expiry").textContent = info.expiresAt ? new Date(info.expiresAt).toLocaleTimeString() : "unknown";
  $("expiry").dataset.expiresAt = info.expiresAt ?? "";
  $("scope").textContent = info.scope ?? "";
  // The validated ID token's claims, with the userinfo endpoint's merged in.
  const user = await getUser(config, { userinfo: true });
  $("user").textContent = user?.sub ?? "";
  $("claims").textContent = JSON.stringify(user, null, 2);
}

async function action(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    showError(e);
  } finally {
    button.disabled = false;
  }
}

$("login").addEventListener("click", (ev) =>
  action(ev.currentTarget, () => startLogin(config, { returnTo: location.pathname + location.search })));
$("call-api").addEventListener("click", (ev) =>
  action(ev.currentTarget, async () => {
    const r = await userinfo();
    $("api-result").textContent = `HTTP ${r.status}\n` + JSON.stringify(r.body, null, 2);
    $("api-result").dataset.status = r.status;
  }));
$("refresh").addEventListener("click", (ev) =>
  action(ev.currentTarget, async () => {
    await getAccessToken(config, { forceRefresh: true });
    await render();
  }));
$("logout").addEventListener("click", (ev) =>
  action(ev.currentTarget, async () => {
    try {
      await logout(config, { postLogoutRedirectUri: location.origin + "/" });
    } finally {
      await render(); // reached when the server has no logout page, or revocation failed
    }
  }));
$("dismiss").addEventListener("click", () => ($("error").hidden = true));
// The session ended by itself (expiry, a refused refresh) or changed in another tab.
onSessionChange(config, (event) => {
  if (event.external || event.type === "expired") render().catch(showError);
});

// The redirect URI is this page: an authorization response carries `state`.
const params = new URLSearchParams(location.search);
try {
  if (params.has("state") || params.has("error")) {
    const { returnTo } = await handleCallback(config);
    if (returnTo && returnTo !== location.pathname + location.search) history.replaceState(history.state, "", returnTo);
  }
} catch (e) {
  showError(e);
}
try {
  await render();
} catch (e) {
  showError(e);
}
document.body.dataset.ready = "true";
