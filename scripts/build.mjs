// Builds the npm package into pkg/: the release wasm, wasm-bindgen's glue for ES modules,
// wasm-opt -Oz (npm's binaryen: Debian's writes wasm that fails in browsers), the
// hand-written entry and types from pkg-template/. Prints the shipped size.
//
// The shipped wasm is built with the pinned nightly (fuzz/rust-toolchain.toml): std rebuilt
// with `panic = "immediate-abort"` drops the panic and formatting machinery, and sha2's
// compact SHA-256 drops 7 KB of unrolled rounds; 70.0 -> 60.2 KB gzip when measured
// (docs/PERFORMANCE.md). `node scripts/build.mjs --stable` (or SPA_OAUTH_STABLE=1) builds
// with the stable toolchain instead; the browser tests always build with stable.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });

const stable = process.argv.includes("--stable") || process.env.SPA_OAUTH_STABLE === "1";
const nightly = /^channel\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, "fuzz/rust-toolchain.toml"), "utf8"))[1];
let built;
if (stable) {
  run("cargo", ["build", "--release", "--lib", "--target", "wasm32-unknown-unknown"]);
  built = join(root, "target/wasm32-unknown-unknown/release/spa_oauth.wasm");
} else {
  run("cargo", [
    "+" + nightly, "build", "--release", "--lib", "--target", "wasm32-unknown-unknown",
    "-Zbuild-std=std,panic_abort", "--target-dir", join(root, "target/nightly"),
  ], {
    env: {
      ...process.env,
      RUSTFLAGS: '-Cpanic=immediate-abort -Zunstable-options --cfg sha2_backend_soft="compact"',
    },
  });
  built = join(root, "target/nightly/wasm32-unknown-unknown/release/spa_oauth.wasm");
}
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", pkg, "--out-name", "spa_oauth", built]);
const wasm = join(pkg, "spa_oauth_bg.wasm");
run(join(root, "node_modules/.bin/wasm-opt"), ["-Oz", "--strip-debug", "--strip-producers", wasm, "-o", wasm]);
for (const f of readdirSync(join(root, "pkg-template"))) copyFileSync(join(root, "pkg-template", f), join(pkg, f));
copyFileSync(join(root, "README.md"), join(pkg, "README.md"));
copyFileSync(join(root, "LICENSE"), join(pkg, "LICENSE"));

export function sizes(dir = pkg) {
  const files = ["spa_oauth_bg.wasm", "spa_oauth.js", "index.js"];
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
for (const r of [...rows, total]) console.log(r.file.padEnd(20) + String(r.raw).padStart(10) + String(r.gzip).padStart(10) + String(r.brotli).padStart(10));
writeFileSync(join(pkg, "sizes.json"), JSON.stringify({ files: rows, total }, null, 2) + "\n");
