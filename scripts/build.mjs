// Builds the npm package into pkg/: the release wasm, wasm-bindgen's glue for ES modules,
// wasm-opt -Oz (npm's binaryen: Debian's writes wasm that fails in browsers), the
// hand-written entry and types from pkg-template/. Prints the shipped size.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });

run("cargo", ["build", "--release", "--lib", "--target", "wasm32-unknown-unknown"]);
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
run("wasm-bindgen", [
  "--target", "web", "--no-typescript", "--out-dir", pkg, "--out-name", "spa_oauth",
  join(root, "target/wasm32-unknown-unknown/release/spa_oauth.wasm"),
]);
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
