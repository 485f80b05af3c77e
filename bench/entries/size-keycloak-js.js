// keycloak-js is one class.
export { default } from "keycloak-js";
