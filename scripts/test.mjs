// `npm test`: the three layers, in order, stopping at the first that fails.
//   1. native unit tests of the sans-IO core (cargo test)
//   2. browser tests of the shell in headless Chromium (wasm-pack test), against
//      tests/browser/token-server.mjs
//   3. end-to-end tests: playwright-core and Debian's Chromium against oidc-provider, the
//      examples in www/ built with their own toolchains (their `npm ci` installs the
//      just-built package), and the package itself (npm pack contents, tsc over the types)
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTokenServer } from "../tests/browser/token-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv[2]; // "native" | "browser" | "e2e" to run one layer

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed (${signal || "exit " + code})`)));
  });
}

async function native() {
  await run("cargo", ["test", "--lib"]);
  await run("cargo", ["test", "--doc"]);
}

async function browser() {
  const { server, url } = await startTokenServer();
  try {
    const cache = join(root, "target", "wasm-pack-cache");
    mkdirSync(cache, { recursive: true });
    await run("wasm-pack", ["test", "--headless", "--chrome", "--mode", "no-install", "--lib"], {
      CHROMEDRIVER: "/usr/bin/chromedriver",
      WASM_PACK_CACHE: cache,
      SPA_OAUTH_TEST_SERVER: url,
    });
  } finally {
    server.close();
  }
}

async function e2e() {
  await run("node", ["scripts/build.mjs"]);
  await run("node", ["--test", "--test-concurrency=1", "tests/e2e/", "tests/package/"]);
}

const layers = { native, browser, e2e };
try {
  for (const [name, layer] of Object.entries(layers)) {
    if (only && only !== name) continue;
    console.log(`\n=== ${name} tests ===`);
    await layer();
  }
} catch (e) {
  console.error("\n" + e.message);
  process.exit(1);
}
