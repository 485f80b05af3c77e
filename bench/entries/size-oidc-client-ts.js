// What an app that follows oidc-client-ts's docs imports.
export { UserManager, WebStorageStateStore } from "oidc-client-ts";
