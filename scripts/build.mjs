// Builds the npm package into pkg/: the release wasm, wasm-bindgen's glue for ES modules,
// wasm-opt -Oz (npm's binaryen: Debian's writes wasm that fails in browsers), the
// hand-written entry and types from pkg-template/. Prints the shipped size.
//
// The shipped wasm is built with the pinned nightly (fuzz/rust-toolchain.toml): std rebuilt
// with `panic = "immediate-abort"` drops the panic and formatting machinery (docs/PERFORMANCE.md),
// and `--cfg spa_oauth_npm` gives this wasm its own small allocator (src/npm_alloc.rs). `node scripts/build.mjs --stable` (or SPA_OAUTH_STABLE=1) builds
// with the stable toolchain instead; the browser tests always build with stable.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });

// The features rustc's output uses (its target_features section, which the last step strips:
// browsers do not read it): binaryen must know them to write the module back unchanged.
const FEATURES = ["mutable-globals", "nontrapping-float-to-int", "bulk-memory", "bulk-memory-opt", "sign-ext",
  "reference-types", "multivalue", "call-indirect-overlong"].map((f) => "--enable-" + f);

const stable = process.argv.includes("--stable") || process.env.SPA_OAUTH_STABLE === "1";
const nightly = /^channel\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, "fuzz/rust-toolchain.toml"), "utf8"))[1];
let built;
if (stable) {
  run("cargo", ["build", "--release", "--lib", "--target", "wasm32-unknown-unknown"], {
    env: { ...process.env, RUSTFLAGS: "--cfg spa_oauth_npm" },
  });
  built = join(root, "target/wasm32-unknown-unknown/release/spa_oauth.wasm");
} else {
  run("cargo", [
    "+" + nightly, "build", "--release", "--lib", "--target", "wasm32-unknown-unknown",
    "-Zbuild-std=std,panic_abort", "--target-dir", join(root, "target/nightly"),
  ], {
    env: {
      ...process.env,
      RUSTFLAGS: '--cfg spa_oauth_npm -Cpanic=immediate-abort -Zunstable-options -Zlocation-detail=none -Zfmt-debug=none',
    },
  });
  built = join(root, "target/nightly/wasm32-unknown-unknown/release/spa_oauth.wasm");
}
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", pkg, "--out-name", "spa_oauth", built]);
const wasm = join(pkg, "spa_oauth_bg.wasm");
run(join(root, "node_modules/.bin/wasm-opt"), ["-Oz", "--one-caller-inline-max-function-size", "25",
  // Both hold for rustc's wasm: its data and stack sit above the first KB, and its memory is
  // its own (zero-filled at instantiation), so binaryen may fold offsets and zero stores.
  "--low-memory-unused", "--zero-filled-memory", "--converge", "--strip-debug", "--strip-producers", wasm, "-o", wasm]);
shortenNames(wasm, join(pkg, "spa_oauth.js"));
for (const f of readdirSync(join(root, "pkg-template"))) copyFileSync(join(root, "pkg-template", f), join(pkg, f));
fillTexts(join(pkg, "texts.js"));
// The entry and wasm-bindgen's glue ship as one minified module: one request, and the
// glue's unused exports (initSync) dropped. Its documentation is index.d.ts and the README;
// the readable source is pkg-template/index.js.
buildSync({
  entryPoints: [join(pkg, "index.js")], outfile: join(pkg, "index.js"), allowOverwrite: true,
  bundle: true, format: "esm", target: "es2022", minify: true, logLevel: "warning",
  // Loaded on the first error, and for a DPoP config only, not with the entry.
  external: ["./texts.js", "./dpop.js", "./login-window.js"],
});
// The DPoP key store and the login windows, each loaded only by the apps that use it:
// minified on their own.
for (const lazy of ["dpop.js", "login-window.js"]) {
  buildSync({
    entryPoints: [join(pkg, lazy)], outfile: join(pkg, lazy), allowOverwrite: true,
    format: "esm", target: "es2022", minify: true, logLevel: "warning",
  });
}
rmSync(join(pkg, "spa_oauth.js"));
copyFileSync(join(root, "README.md"), join(pkg, "README.md"));
copyFileSync(join(root, "LICENSE"), join(pkg, "LICENSE"));

/**
 * wasm-bindgen names each import and export after its Rust path and a hash (88 imports and
 * 26 exports, 5.7 KB of names in the wasm and again in the glue). Binaryen renames them to
 * one or two letters and prints the map; the same map is applied to the glue. Every old name
 * must be gone from the glue, or the build fails: a wasm-bindgen that writes its glue
 * differently is caught here, not in a user's browser.
 */
function shortenNames(wasmFile, glueFile) {
  const map = JSON.parse(execFileSync(join(root, "node_modules/.bin/wasm-opt"),
    ["--minify-imports-and-exports-and-modules", "--strip-target-features", ...FEATURES, wasmFile, "-o", wasmFile], { cwd: root, encoding: "utf8" }));
  let glue = readFileSync(glueFile, "utf8");
  const replace = (pattern, to) => {
    const before = glue;
    glue = glue.replace(pattern, to);
    if (glue === before) throw new Error(`build: ${pattern} is not in the glue`);
  };
  for (const [, name, to] of map.imports) {
    // Imports are the members of the object __wbg_get_imports builds: `name: function(`.
    replace(new RegExp(`^(\\s+)${name}:`, "m"), (_, space) => `${space}${to}:`);
  }
  // Binaryen puts every import in module "a".
  for (const module of new Set(map.imports.map(([m]) => m))) replace(`"${module}": import0`, `"a": import0`);
  // Exports: `wasm.name` (some, like __wbindgen_free, the glue never uses).
  for (const [name, to] of map.exports) glue = glue.replace(new RegExp(`\\bwasm\\.${name}\\b`, "g"), () => `wasm.${to}`);
  for (const [, name] of map.imports) if (glue.includes(name + ":")) throw new Error(`build: import ${name} left in the glue`);
  for (const [name] of map.exports) if (new RegExp(`\\bwasm\\.${name}\\b`).test(glue)) throw new Error(`build: export ${name} left in the glue`);
  writeFileSync(glueFile, glue);
}

export function sizes(dir = pkg, files = ["spa_oauth_bg.wasm", "index.js"]) {
  return files.map((f) => {
    const b = readFileSync(join(dir, f));
    return {
      file: f,
      raw: b.length,
      gzip: gzipSync(b, { level: 9 }).length,
      brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
}

const rows = sizes();
const total = rows.reduce((t, r) => ({ file: "total", raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
console.log("\nshipped size (bytes)");
console.log("file".padEnd(20) + "raw".padStart(10) + "gzip -9".padStart(10) + "brotli".padStart(10));
// texts.js is fetched only when an error is reported (an app that never fails never loads it).
const [onError] = sizes(pkg, ["texts.js"]);
for (const r of [...rows, total, onError]) console.log(r.file.padEnd(20) + String(r.raw).padStart(10) + String(r.gzip).padStart(10) + String(r.brotli).padStart(10) + (r === onError ? "  (on the first error)" : ""));
writeFileSync(join(pkg, "sizes.json"), JSON.stringify({ files: rows, total, onError }, null, 2) + "\n");

/**
 * The npm wasm carries each error description as a key (src/texts.rs); texts.js gets the
 * texts, which the entry loads on the first error, in the order build.rs numbers them: every `t!("...")` literal in src/, as written,
 * sorted and unique (ASCII, escapes only \" and \\, which build.rs enforces).
 */
function fillTexts(file) {
  const texts = new Set();
  const scan = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) scan(path);
      else if (e.name.endsWith(".rs")) {
        for (const m of readFileSync(path, "utf8").matchAll(/(?<![\w])t!\(\s*"((?:[^"\\]|\\.)*)"/g)) texts.add(m[1]);
      }
    }
  };
  scan(join(root, "src"));
  const sorted = [...texts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const list = JSON.stringify(sorted.map((t) => t.replace(/\\(["\\])/g, "$1")));
  writeFileSync(file, "export default " + list + ";\n");
}
