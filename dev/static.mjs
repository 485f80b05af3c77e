// A static file server for www/ (the demo and examples) with the built package under
// /pkg/, on 127.0.0.1. `/demo-config.js` tells the page where the authorization server is.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { assertPortFree } from "./idp.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm", // lets the browser compile while downloading
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * Serves `roots` ({ "/": dir, "/pkg/": dir }) on 127.0.0.1:port. `intercept(url)`, if given,
 * may return an HTML string to answer a request with instead (tests use it to hold a
 * callback URL back from the app). `headers(path)`, if given, adds response headers.
 */
export async function startStatic({ port, roots, issuer, clientId, intercept, headers }) {
  await assertPortFree(port);
  const server = createServer(async (req, res) => {
    const held = intercept?.(new URL(req.url, `http://localhost:${port}`));
    if (typeof held === "string") {
      res.writeHead(200, { "content-type": TYPES[".html"], "cache-control": "no-store" });
      return res.end(held);
    }
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/demo-config.js") {
      res.writeHead(200, { "content-type": TYPES[".js"], "cache-control": "no-store" });
      return res.end(`export const issuer = ${JSON.stringify(issuer)};\nexport const clientId = ${JSON.stringify(clientId)};\n`);
    }
    const prefix = Object.keys(roots).sort((a, b) => b.length - a.length).find((p) => path.startsWith(p));
    if (!prefix) return notFound(res);
    const base = roots[prefix];
    let file = normalize(join(base, path.slice(prefix.length)));
    if (!file.startsWith(normalize(base + sep)) && file !== normalize(base)) return notFound(res);
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] || "application/octet-stream",
        "cache-control": "no-cache",
        ...headers?.(path),
      });
      res.end(body);
    } catch {
      notFound(res);
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://localhost:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

function notFound(res) {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
}
