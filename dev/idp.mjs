// The development authorization server: panva's oidc-provider (a certified OpenID Provider),
// configured for one public SPA client. Used by `npm run demo`, the end-to-end tests and the
// benchmark. Run alone: `node dev/idp.mjs` (IDP_PORT, APP_ORIGIN, ACCESS_TOKEN_TTL).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:net";

/** The demo client's id. */
export const CLIENT_ID = "spa-demo";

/**
 * More public clients, one per ID-token signature algorithm beyond the default RS256, so
 * the end-to-end tests verify each algorithm spa-oauth supports against a real provider.
 */
/** A client that must send a client_secret (the Google profile). */
export const SECRET_CLIENT = { id: "spa-with-secret", secret: "not-a-secret-in-a-browser" };

/** A client registered for signed userinfo answers (application/jwt, OIDC Core 5.3.2). */
export const JWT_USERINFO_CLIENT = "spa-jwt-userinfo";

export const ALG_CLIENTS = {
  "spa-ps256": "PS256", "spa-es256": "ES256", "spa-eddsa": "EdDSA",
  // What Keycloak and Authentik sign with when configured to (issue 16.7).
  "spa-rs384": "RS384", "spa-rs512": "RS512", "spa-ps384": "PS384", "spa-ps512": "PS512",
  "spa-es384": "ES384", "spa-es512": "ES512",
};

/**
 * Starts the provider on 127.0.0.1. Resolves to
 * `{ issuer, close(), requests, clearRequests() }`: `requests` lists each request the
 * provider received ({ method, path, grantType, origin, and for /token the tokens issued }), for tests to assert on.
 */
export async function startIdp({
  port = Number(process.env.IDP_PORT || 4400),
  appOrigin = process.env.APP_ORIGIN || "http://localhost:5173",
  accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL || 3600),
  // A path after the origin in the issuer (the routes stay at the root): Entra ID's issuers
  // are `https://login.microsoftonline.com/<tenant>/v2.0`.
  issuerPath = "",
  // The host in the issuer: "127.0.0.1" puts the server on another site than an app on
  // "localhost" (its cookies are third-party in the app's iframes). It listens on 127.0.0.1
  // either way.
  host = "localhost",
} = {}) {
  // oidc-provider 9 asks for Node 22; it works on 20 and says so once. Keep the output clean.
  const warn = console.warn;
  console.warn = (...args) => (String(args[0]).includes("Unsupported runtime") ? undefined : warn(...args));
  const { default: Provider } = await import("oidc-provider");
  console.warn = warn;

  const origin = `http://${host}:${port}`;
  const issuer = origin + issuerPath;
  const signing = [
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }),
    generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }),
    generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ format: "jwk" }),
    generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey.export({ format: "jwk" }),
    generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }),
  ];
  // The demo page, the end-to-end test page and the benchmark pages are the redirect URIs.
  const uris = [
    appOrigin + "/", appOrigin + "/e2e/oidc.html", appOrigin + "/e2e/two-servers.html",
    appOrigin + "/e2e/double.html", appOrigin + "/e2e/callback.html",
    appOrigin + "/bench/spa-oauth.html", appOrigin + "/bench/oidc-client-ts.html",
  ];
  const client = (client_id, alg) => ({
    client_id,
    token_endpoint_auth_method: "none", // a public client: no secret (RFC 6749 2.1)
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: uris,
    post_logout_redirect_uris: uris,
    ...(alg ? { id_token_signed_response_alg: alg } : {}),
  });
  // What a test may change while the server runs: `delays` ({ path: ms }, or a function
  // (ctx) => ms) holds answers back, as a slow server does; `omitIss` answers as a server
  // without RFC 9207 (no `iss` in the authorization response, none announced).
  // `metadata(doc)` rewrites the discovery document (a server that lacks an endpoint);
  // `after(ctx)` may rewrite any answer once the provider has made it (a server's quirk);
  // `before(ctx)` sees each request first, and may answer it itself (set ctx.body) or route
  // it elsewhere (set ctx.path): a server's own URLs. `tenant` puts an Entra `tid` claim
  // into ID tokens. `dpopNonce`: DPoP proofs must carry the server's nonce (RFC 9449 8, 9),
  // at the token endpoint and at userinfo.
  const behaviour = { delays: {}, omitIss: false, metadata: null, stockRefreshTokens: false, after: null, before: null, tenant: null, dpopNonce: false };
  const provider = new Provider(issuer, {
    clients: [
      client(CLIENT_ID), ...Object.entries(ALG_CLIENTS).map(([id, alg]) => client(id, alg)),
      // Google's "Web application" clients: a secret required at the token endpoint even
      // with PKCE (the secret is no secret in a browser app; spa-oauth's clientSecret).
      { ...client(SECRET_CLIENT.id), token_endpoint_auth_method: "client_secret_post", client_secret: SECRET_CLIENT.secret },
      { ...client(JWT_USERINFO_CLIENT), userinfo_signed_response_alg: "RS256" },
    ],
    jwks: { keys: signing },
    enabledJWA: {
      idTokenSigningAlgValues: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
    },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 accepts
    clientBasedCORS: (ctx, origin) => origin === appOrigin,
    // By default refresh tokens need offline_access with prompt=consent; the demo client
    // gets them on every code grant, unless a test asks for the stock behaviour
    // (`behaviour.stockRefreshTokens`), as Authentik and oidc-provider ship.
    issueRefreshToken: async (ctx, client, source) =>
      client.grantTypeAllowed("refresh_token") && (!behaviour.stockRefreshTokens || source.scopes.has("offline_access")),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    claims: { openid: ["sub", "tid"], profile: ["name", "preferred_username"], email: ["email"] },
    findAccount: (ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, name: sub, preferred_username: sub, email: `${sub}@example.test`, tid: behaviour.tenant ?? undefined }),
    }),
    features: {
      devInteractions: { enabled: true }, // its own login and consent pages: any login works
      revocation: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      // DPoP (RFC 9449) and PAR (RFC 9126) are on by default in oidc-provider 9; nonces
      // need a secret, and are demanded when a test asks.
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => behaviour.dpopNonce },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html><title>Log out</title><h1>Log out?</h1>${form}
            <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, log out</button>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = "<!doctype html><title>Logged out</title><h1>You are logged out.</h1>";
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!doctype html><title>Error</title><h1>${escape(out.error)}</h1><p>${escape(out.error_description || "")}</p>`;
    },
  });
  provider.proxy = false;

  const requests = [];
  provider.use(async (ctx, next) => {
    const entry = { method: ctx.method, path: ctx.path, query: ctx.querystring, origin: ctx.get("origin") || null, grantType: null, start: Date.now(), end: null };
    requests.push(entry);
    if (behaviour.before) {
      await behaviour.before(ctx);
      if (ctx.body !== undefined) return;
    }
    const delay = typeof behaviour.delays === "function" ? behaviour.delays(ctx) : behaviour.delays[ctx.path];
    if (delay) await new Promise((r) => setTimeout(r, delay));
    await next();
    if (behaviour.omitIss) withoutIss(ctx);
    if (behaviour.metadata && ctx.path === "/.well-known/openid-configuration" && ctx.body && typeof ctx.body === "object") {
      ctx.body = behaviour.metadata({ ...ctx.body });
    }
    if (ctx.path === "/token") {
      entry.grantType = ctx.oidc?.params?.grant_type ?? null;
      entry.scope = ctx.oidc?.params?.scope ?? null;
      // What the client sent, for tests that prove no secret leaks (the same in every engine:
      // not every browser driver shows request bodies).
      entry.sent = ["code", "code_verifier", "refresh_token"].map((k) => ctx.oidc?.params?.[k]).filter((v) => typeof v === "string");
      // What was issued, for tests that prove no token leaks (read here, not from the
      // browser's devtools protocol, which may have dropped a streamed body).
      const b = ctx.body && typeof ctx.body === "object" ? ctx.body : {};
      entry.issued = [b.access_token, b.refresh_token, b.id_token].filter((t) => typeof t === "string");
    }
    if (behaviour.after) await behaviour.after(ctx);
    entry.end = Date.now();
    // The built-in pages import a web font from Google; nothing may leave this machine.
    if (typeof ctx.body === "string" && ctx.type === "text/html") {
      ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);/g, "");
    }
  });

  await assertPortFree(port);
  const server = provider.listen(port, "127.0.0.1");
  await new Promise((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return {
    issuer,
    origin,
    provider,
    requests,
    behaviour,
    clearRequests: () => requests.splice(0),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** Removes RFC 9207's `iss` from an authorization response and from the metadata. */
function withoutIss(ctx) {
  if (ctx.path === "/.well-known/openid-configuration" && ctx.body && typeof ctx.body === "object") {
    ctx.body = { ...ctx.body };
    delete ctx.body.authorization_response_iss_parameter_supported;
  }
  const location = ctx.response.get("location");
  if (!location || !/[?#&](code|error)=/.test(location)) return;
  const url = new URL(location);
  url.searchParams.delete("iss");
  if (url.hash) {
    const fragment = new URLSearchParams(url.hash.slice(1));
    fragment.delete("iss");
    url.hash = fragment.toString();
  }
  ctx.response.set("location", url.href);
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Fails with a clear message when the port is taken. */
export function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e) =>
      reject(new Error(e.code === "EADDRINUSE" ? `Port ${port} on 127.0.0.1 is already in use: stop what runs there or set another port (IDP_PORT / DEMO_PORT).` : e.message)));
    probe.listen(port, "127.0.0.1", () => probe.close(resolve));
  });
}

/** The ports `freePort` gave this process: never given twice. */
const given = new Set();

/**
 * A port that is free now on 127.0.0.1 (for tests that start their own servers), and that
 * this process was not given before: the kernel may hand a port just closed out again, and
 * two servers of one test, each given "a free port" before either listens, then get the same
 * one ("already in use", seen once in CI).
 */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address();
        probe.close(() => resolve(port));
      });
    });
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const idp = await startIdp();
  console.log(`authorization server: ${idp.issuer} (client_id ${CLIENT_ID})`);
  process.on("SIGINT", () => idp.close().then(() => process.exit(0)));
}
