// `npm test`: the three layers, in order, stopping at the first that fails.
//   1. native tests (cargo test): the sans-IO core's units, and whole flows against an
//      in-process authorization server on a virtual clock (src/flow/sim.rs); then a
//      30-second fuzz smoke:
//      each cargo-fuzz target (fuzz/) for 7 s from the committed corpus
//   2. browser tests of the shell in headless Chromium and Firefox, and in WebKit (WebKitGTK's
//      MiniBrowser under Xvfb) (wasm-pack test), against tests/browser/token-server.mjs
//   3. end-to-end tests, in Debian's Chromium (playwright-core), Firefox ESR (puppeteer-core
//      over WebDriver BiDi) and WebKitGTK's MiniBrowser (classic WebDriver, tests/e2e/webkit.mjs),
//      the same tests through tests/e2e/driver.mjs, against oidc-provider (and
//      django-oauth-toolkit, an independent second server: tests/e2e/dot.test.mjs), the
//      examples in www/ built with their own toolchains (their `npm ci` installs the
//      just-built package), and the package itself (npm pack contents, tsc over the types)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTokenServer } from "../tests/browser/token-server.mjs";
import { startDisplay } from "../tests/display.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv[2]; // "native" | "fuzz" | "browser" | "e2e" to run one layer

function run(cmd, args, env = {}, cwd = root) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed (${signal || "exit " + code})`)));
  });
}

async function native() {
  // With the `serde` feature (typed claims for Rust apps): it only adds.
  await run("cargo", ["test", "--lib", "--features", "serde"]);
  await run("cargo", ["test", "--doc", "--features", "serde"]);
}

const FUZZ_TARGETS = ["callback", "token_response", "discovery", "id_token"];

/** Each fuzz target for 7 s, starting from the committed corpus (read only: new inputs go to
 * a temporary folder, so a test run leaves the tree as it was). A crash fails the layer. */
async function fuzz() {
  const dir = join(root, "fuzz"); // its rust-toolchain.toml picks the pinned nightly
  await run("cargo", ["fuzz", "build", "-O"], {}, dir);
  for (const t of FUZZ_TARGETS) {
    const scratch = mkdtempSync(join(tmpdir(), "spa-oauth-fuzz-"));
    try {
      await run("cargo", ["fuzz", "run", "-O", t, scratch, join("corpus", t), "--",
        "-max_total_time=7", "-max_len=4096", "-print_final_stats=1"], {}, dir);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** geckodriver, as scripts/setup.sh installs it (cargo install: ~/.cargo/bin). */
function geckodriver() {
  const home = process.env.CARGO_HOME || join(process.env.HOME || "/root", ".cargo");
  return join(home, "bin", "geckodriver");
}

async function browser() {
  const { server, url } = await startTokenServer();
  try {
    const cache = join(root, "target", "wasm-pack-cache");
    mkdirSync(cache, { recursive: true });
    // The three engines, the same tests (webdriver.json has Chromium's and Firefox's
    // options). One driver variable per run: wasm-bindgen's test runner takes the first it
    // finds (GECKODRIVER before CHROMEDRIVER), whatever wasm-pack's --chrome or --firefox
    // says. WebKit (WebKitGTK's MiniBrowser, Safari's engine) runs on a virtual display.
    const engines = [
      ["--chrome", { CHROMEDRIVER: "/usr/bin/chromedriver" }],
      ["--firefox", { GECKODRIVER: geckodriver() }],
      ["--safari", {}, ["--safaridriver", "/usr/bin/WebKitWebDriver"]],
    ];
    for (const [engine, driver, more = []] of engines) {
      await fetch(url + "/reset", { method: "POST" }); // each engine starts from no requests seen
      // The runner gives the whole run 20 s and a driver 5 s to start by default: limits of
      // wall-clock time that a busy machine can pass with every test correct.
      const env = { ...driver, WASM_PACK_CACHE: cache, SPA_OAUTH_TEST_SERVER: url,
        WASM_BINDGEN_TEST_TIMEOUT: "600", WASM_BINDGEN_TEST_DRIVER_TIMEOUT: "120" };
      const display = engine === "--safari" ? await startDisplay() : null;
      try {
        if (display) env.DISPLAY = display.display;
        await run("wasm-pack", ["test", "--headless", engine, ...more, "--mode", "no-install", "--lib", "--features", "serde"], env);
      } finally {
        await display?.close();
      }
    }
  } finally {
    server.close();
  }
}

async function e2e() {
  await run("node", ["scripts/build.mjs"]);
  // The three engines, the same tests through one driver layer (tests/e2e/driver.mjs):
  // Debian's Chromium by playwright-core, Firefox ESR by puppeteer-core over WebDriver BiDi,
  // and WebKitGTK's MiniBrowser (Safari's engine, with its tracking prevention) over classic
  // WebDriver (tests/e2e/webkit.mjs), which starts its own virtual display.
  for (const engine of ["chromium", "firefox", "webkit"]) {
    console.log(`\n--- end-to-end tests in ${engine} ---`);
    // Each test has its own timeout (tests/e2e/harness.mjs), none a file: a slow machine
    // runs a file of many tests to the end. A test that times out leaves its browser
    // behind; --test-force-exit ends its file's process anyway.
    await run("node", ["--test", "--test-concurrency=1", "--test-force-exit", "tests/e2e/"], { E2E_ENGINE: engine });
  }
  await run("node", ["--test", "tests/package/"]);
}

const layers = { native, fuzz, browser, e2e };
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
