// The npm package as published: what `npm pack` puts in the tarball, its exports map, and
// its TypeScript types (checked by tsc, negative cases included). Runs after the build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = join(root, "pkg");

const SHIPPED = [
  "LICENSE", "README.md", "dpop.js", "index.d.ts", "index.js", "login-window.js", "package.json",
  "react.d.ts", "react.js", "session-state.js", "spa_oauth_bg.wasm", "texts.js", "vue.d.ts", "vue.js",
];

test("the tarball holds the wasm, the JS, the types, README and LICENSE, and nothing else", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: pkg, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const [packed] = JSON.parse(out);
  assert.equal(packed.name, "spa-oauth");
  assert.deepEqual(packed.files.map((f) => f.path).sort(), SHIPPED);
});

test("package.json: exports map, types, sideEffects, license, optional peer dependencies", () => {
  const meta = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
  assert.equal(meta.type, "module");
  assert.equal(meta.sideEffects, false);
  assert.equal(meta.license, "MIT");
  assert.equal(meta.types, "./index.d.ts");
  for (const [entry, name] of [[".", "index"], ["./react", "react"], ["./vue", "vue"]]) {
    assert.deepEqual(meta.exports[entry], { types: `./${name}.d.ts`, default: `./${name}.js` }, entry);
    assert.ok(SHIPPED.includes(`${name}.js`) && SHIPPED.includes(`${name}.d.ts`));
  }
  assert.deepEqual(Object.keys(meta.peerDependencies).sort(), ["react", "vue"]);
  assert.equal(meta.peerDependenciesMeta.react.optional, true);
  assert.equal(meta.peerDependenciesMeta.vue.optional, true);
  assert.deepEqual(meta.dependencies ?? {}, {}, "no runtime dependencies");
});

test("the public types have no any and pass tsc, including the cases that must not compile", () => {
  for (const f of SHIPPED.filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(join(pkg, f), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(text, /\bany\b/, f);
  }
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", "tests/package/types"], { cwd: root, stdio: "inherit" });
});

test("the shipped size stays within the recorded budget (a ratchet towards 15 KB gzip)", () => {
  const budget = JSON.parse(readFileSync(join(root, "bench/size-budget.json"), "utf8"));
  const { total } = JSON.parse(readFileSync(join(pkg, "sizes.json"), "utf8"));
  assert.ok(total.gzip <= budget.gzip, `shipped ${total.gzip} B gzip, budget ${budget.gzip} B`);
});

test("error texts: none in the wasm or the entry, all in texts.js, which the entry loads on the first error", () => {
  const wasm = readFileSync(join(pkg, "spa_oauth_bg.wasm"));
  const entry = readFileSync(join(pkg, "index.js"), "utf8");
  const texts = readFileSync(join(pkg, "texts.js"), "utf8");
  for (const sentence of [
    "The callback's state matches no login started in this tab",
    "The ID token's signature does not verify with the issuer's key.",
    "clientId is required and must be a non-empty string.",
  ]) {
    assert.equal(wasm.includes(sentence), false, sentence);
    assert.equal(entry.includes(sentence), false, sentence);
    assert.ok(texts.includes(sentence), sentence);
  }
  assert.ok(entry.includes('import("./texts.js")'), "the entry loads texts.js itself");
});
