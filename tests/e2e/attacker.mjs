// A malicious authorization server for the security tests, on 127.0.0.1: it publishes its
// own metadata, and its authorization endpoint sends the browser on to the honest server
// with the app's request rewritten for the honest client (the mix-up attack of RFC 9700
// 4.4.1). It records every request it receives: the tests prove it receives no code, no
// verifier and no token.
import { createServer } from "node:http";

/**
 * `honest()`: `{ authorizationEndpoint, clientId, redirectUri }` to forward to, read at
 * request time. Resolves to `{ origin, requests, close() }`.
 */
export async function startAttacker({ port, honest }) {
  const origin = `http://localhost:${port}`;
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, origin);
    let body = "";
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method, path: url.pathname, query: url.search, body });
    const cors = { "access-control-allow-origin": req.headers.origin || "*", "access-control-allow-headers": "content-type, accept, authorization, dpop" };
    if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
    if (url.pathname === "/.well-known/openid-configuration") {
      res.writeHead(200, { ...cors, "content-type": "application/json" });
      return res.end(JSON.stringify({
        issuer: origin,
        authorization_endpoint: origin + "/authorize",
        token_endpoint: origin + "/token",
        jwks_uri: origin + "/jwks",
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
      }));
    }
    if (url.pathname === "/authorize") {
      const h = honest();
      const to = new URL(h.authorizationEndpoint);
      for (const [k, v] of url.searchParams) to.searchParams.set(k, v);
      to.searchParams.set("client_id", h.clientId);
      to.searchParams.set("redirect_uri", h.redirectUri);
      return res.writeHead(302, { location: to.href }).end();
    }
    res.writeHead(400, { ...cors, "content-type": "application/json" });
    res.end(JSON.stringify({ error: "invalid_request" }));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    origin,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
