// The token endpoint the browser tests talk to: a real HTTP server on 127.0.0.1 whose
// answers are chosen by the test through the code it sends, so each failure a real server
// can produce (HTML error pages, 5xx, malformed JSON, slowness, refused grants) is
// reproducible. It counts requests so tests can assert that a code was redeemed once and
// that concurrent refreshes made one request. The full flow against a certified provider
// is in tests/e2e.
import { createServer } from "node:http";

export function startTokenServer(port = 0) {
  const counts = new Map(); // code or refresh_token -> requests seen
  const refreshChains = new Map(); // current refresh token -> chain id
  let issued = 0;
  const bump = (k) => counts.set(k, (counts.get(k) || 0) + 1);

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const cors = {
      "access-control-allow-origin": req.headers.origin || "*",
      "access-control-allow-headers": "content-type, accept",
      "access-control-allow-methods": "GET, POST",
    };
    const send = (status, body, type = "application/json") => {
      res.writeHead(status, { ...cors, "content-type": type, "cache-control": "no-store" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (req.method === "OPTIONS") return send(204, "");
    if (url.pathname === "/reset" && req.method === "POST") {
      counts.clear();
      refreshChains.clear();
      return send(204, "");
    }
    if (url.pathname === "/count") return send(200, { count: counts.get(url.searchParams.get("key")) || 0 });
    // Metadata documents of the test servers (`more` adds or replaces members).
    const origin = "http://" + req.headers.host;
    const metadata = (issuerPath, more) => send(200, {
      issuer: origin + issuerPath,
      authorization_endpoint: origin + "/authorize",
      token_endpoint: origin + "/token",
      code_challenge_methods_supported: ["S256"],
      ...more,
    });
    if (url.pathname === "/.well-known/openid-configuration") return metadata("");
    // A plain OAuth 2.0 server whose issuer has a path: no OpenID Connect document at
    // /plain/.well-known/openid-configuration, its RFC 8414 document at the inserted path.
    if (url.pathname === "/.well-known/oauth-authorization-server/plain") {
      return metadata("/plain", { authorization_endpoint: origin + "/plain-authorize", code_challenge_methods_supported: undefined });
    }
    // A server with a revocation endpoint, answering as real servers do, by token.
    if (url.pathname === "/revoking/.well-known/openid-configuration") {
      return metadata("/revoking", { revocation_endpoint: origin + "/revoke" });
    }
    if (url.pathname === "/revoke" && req.method === "POST") {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const token = new URLSearchParams(raw).get("token");
      bump("revoke:" + token);
      if (token === "rt-204") return send(204, "");
      if (token === "rt-invalid-token") return send(400, { error: "invalid_token" });
      if (token === "rt-unsupported") return send(400, { error: "unsupported_token_type" });
      if (token === "rt-refused") return send(401, { error: "invalid_client" });
      return send(200, "");
    }
    // Bodies over the client's 1 MB limit: one of 8 MB (a valid token response, were it read
    // whole), and one whose Content-Length says 50 MB and then stalls after a few bytes (the
    // connection dropped after 3 s: a read that waited would end as network_error). The
    // client must refuse both at the limit. Both end: WebKit's network stack reads on what
    // the page cancelled, to reuse the connection, and a body that never ended held its
    // connections and stalled the next requests (a CI run, issue 28's session).
    if (url.pathname === "/endless") {
      res.writeHead(Number(url.searchParams.get("status") || 200), { ...cors, "content-type": "application/json" });
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      const more = () => {
        if (res.destroyed) return;
        sent += 1;
        if (sent > 128) return res.end('","token_type":"Bearer"}');
        res.write(sent === 1 ? '{"access_token":"' + chunk : chunk, () => setImmediate(more));
      };
      res.on("close", () => bump("endless-closed"));
      return more();
    }
    if (url.pathname === "/declared-huge") {
      res.writeHead(200, { ...cors, "content-type": "application/json", "content-length": String(50 * 1024 * 1024) });
      res.write('{"access_token":"');
      res.on("close", () => bump("declared-closed"));
      setTimeout(() => res.destroy(), 3000);
      return; // and nothing more
    }
    // Where a redirected token request would land: the tests prove it never does.
    if (url.pathname === "/token-elsewhere") {
      bump("elsewhere");
      return send(200, { access_token: "at-elsewhere", token_type: "Bearer" });
    }
    if (url.pathname !== "/token" || req.method !== "POST") return send(404, "not found", "text/plain");

    let raw = "";
    for await (const chunk of req) raw += chunk;
    const form = new URLSearchParams(raw);
    if (req.headers["content-type"] !== "application/x-www-form-urlencoded") {
      return send(400, { error: "invalid_request", error_description: "content-type" });
    }
    const tokens = (expiresIn, chain) => {
      issued += 1;
      const rt = "rt-" + issued;
      refreshChains.set(rt, chain);
      return { access_token: "at-" + issued, token_type: "Bearer", expires_in: expiresIn, refresh_token: rt, scope: "openid" };
    };

    if (form.get("grant_type") === "refresh_token") {
      const rt = form.get("refresh_token");
      bump(rt);
      const chain = refreshChains.get(rt);
      if (chain === undefined) return send(400, { error: "invalid_grant", error_description: "refresh token revoked" });
      refreshChains.delete(rt); // rotation: each refresh token works once
      bump("refresh:" + chain);
      await new Promise((r) => setTimeout(r, 50)); // let concurrent callers overlap
      return send(200, tokens(3600, chain));
    }
    if (form.get("grant_type") !== "authorization_code") return send(400, { error: "unsupported_grant_type" });
    const code = form.get("code");
    bump(code);
    if (!form.get("code_verifier") || !form.get("redirect_uri") || !form.get("client_id")) {
      return send(400, { error: "invalid_request", error_description: "missing parameter" });
    }
    const scenario = code.split("-")[0];
    switch (scenario) {
      case "ok": return send(200, tokens(3600, code));
      case "short": return send(200, tokens(10, code));
      case "noexp": return send(200, { access_token: "at-noexp", token_type: "bearer" });
      case "html": return send(502, "<!doctype html><title>Bad Gateway</title><h1>502</h1>", "text/html");
      case "grant": return send(400, { error: "invalid_grant", error_description: "code expired" });
      case "badjson": return send(200, "{not json", "application/json");
      case "mac": return send(200, { access_token: "x", token_type: "mac" });
      case "redirect": // a 307 keeps the method and body (RFC 9110 15.4.8)
        res.writeHead(307, { ...cors, location: "/token-elsewhere" });
        return res.end();
      case "slow": await new Promise((r) => setTimeout(r, 3000)); return send(200, tokens(3600, code));
      default: return send(400, { error: "invalid_grant", error_description: "unknown code" });
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({ server, url: "http://127.0.0.1:" + server.address().port }));
  });
}
