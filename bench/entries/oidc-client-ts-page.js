// The oidc-client-ts side of the benchmark, used as its docs show: a UserManager with the
// user in sessionStorage, signinRedirect, signinRedirectCallback, getUser, signinSilent
// (which uses the refresh token when there is one).
import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import { issuer, clientId } from "/demo-config.js";

const mgr = new UserManager({
  authority: issuer,
  client_id: clientId,
  redirect_uri: location.origin + "/bench/oidc-client-ts.html",
  scope: "openid profile",
  response_type: "code",
  userStore: new WebStorageStateStore({ store: window.sessionStorage }),
});

window.bench = {
  ready: performance.now(),
  startLogin: () => mgr.signinRedirect(),
  handleCallback: () => mgr.signinRedirectCallback(),
  getAccessToken: async () => (await mgr.getUser()).access_token,
  refresh: async () => (await mgr.signinSilent()).access_token,
};
document.body.dataset.ready = "true";
