// Whether a URL is an authorization response (or the way back from a logout) for a config:
// the redirect URI's origin and path, with `state` in the query (or the fragment).
export function isCallbackUrl(config, href) {
  let url, redirect;
  try {
    url = new URL(href);
    redirect = new URL(config.redirectUri);
  } catch {
    return false;
  }
  if (url.origin !== redirect.origin || url.pathname !== redirect.pathname) return false;
  const params = new URLSearchParams(config.responseMode === "fragment" ? url.hash.slice(1) : url.search);
  return params.has("state");
}
