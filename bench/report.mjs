// Writes the benchmark's results into docs/: the generated part of PERFORMANCE.md (between
// its bench markers; the prose around them is kept) and an SVG chart of the timings.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** [key in results, label, unit] of each timing. */
export const METRICS = [
  ["readyMs", "page start → ready", "ms"],
  ["startLoginMs", "startLogin", "ms"],
  ["callbackMs", "handleCallback (total)", "ms"],
  ["callbackNetworkMs", "handleCallback (network)", "ms"],
  ["callbackBeforeMs", "handleCallback (before its first request)", "ms"],
  ["callbackAfterMs", "handleCallback (after its last answer)", "ms"],
  ["getAccessTokenUs", "getAccessToken (valid token)", "µs"],
  ["refreshMs", "refresh (total)", "ms"],
  ["refreshNetworkMs", "refresh (network)", "ms"],
  ["refreshBeforeMs", "refresh (before its request)", "ms"],
  ["refreshAfterMs", "refresh (after its answer)", "ms"],
];
const COLORS = { "spa-oauth": "#2f6fdf", "oidc-client-ts": "#c8742b" };
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** One row per metric, one bar per library, each row on its own scale, medians with min–max whiskers. */
export function chart(results) {
  const libs = Object.keys(results.timings);
  const rowH = 56, left = 230, width = 760, barW = width - left - 130, top = 48;
  const height = top + METRICS.length * rowH + 16;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="20" font-size="15" font-weight="600">spa-oauth vs oidc-client-ts: median of ${results.runs} runs (whiskers: min–max), lower is better</text>`,
  ];
  libs.forEach((lib, i) => {
    out.push(`<rect x="${12 + i * 150}" y="30" width="12" height="12" fill="${COLORS[lib]}"/>`,
      `<text x="${30 + i * 150}" y="40">${esc(lib)}</text>`);
  });
  METRICS.forEach(([key, label, unit], r) => {
    const y = top + r * rowH;
    const max = Math.max(...libs.map((l) => results.timings[l][key].max)) || 1;
    out.push(`<text x="12" y="${y + 26}">${esc(label)}</text>`);
    libs.forEach((lib, i) => {
      const m = results.timings[lib][key];
      const by = y + 6 + i * 20;
      const w = (m.median / max) * barW;
      out.push(
        `<rect x="${left}" y="${by}" width="${w.toFixed(1)}" height="14" fill="${COLORS[lib]}"/>`,
        `<line x1="${(left + (m.min / max) * barW).toFixed(1)}" x2="${(left + (m.max / max) * barW).toFixed(1)}" y1="${by + 7}" y2="${by + 7}" stroke="#333" stroke-width="1"/>`,
        `<text x="${(left + (m.max / max) * barW + 6).toFixed(1)}" y="${by + 11}">${m.median.toFixed(2)} ${unit}</text>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** The generated Markdown: timings, round trips, sizes. */
export function tables(results) {
  const t = results.timings;
  const cell = (m) => `${m.median.toFixed(2)} (${m.min.toFixed(2)}–${m.max.toFixed(2)})`;
  const lines = [
    `Measured ${results.date} on ${results.machine.cpu} (${results.machine.cores} cores, ${results.machine.memoryGiB} GiB), ` +
      `Node ${results.machine.node}, Chromium ${results.machine.chromium} headless; ${results.runs} runs, each in a fresh ` +
      `browser context; ${results.libraries["spa-oauth"]} against ${results.libraries["oidc-client-ts"]}.`,
    "",
    "| median (min–max) | spa-oauth | oidc-client-ts |",
    "|---|---|---|",
    ...METRICS.map(([k, label, unit]) => `| ${label} (${unit}) | ${cell(t["spa-oauth"][k])} | ${cell(t["oidc-client-ts"][k])} |`),
    "",
    "| round trips to the server | spa-oauth | oidc-client-ts |",
    "|---|---|---|",
    ...[["startLogin", "startLogin, first"], ["startLoginCached", "startLogin, metadata cached"], ["handleCallback", "handleCallback"], ["refresh", "refresh"]]
      .map(([k, label]) => `| ${label} | ${t["spa-oauth"].roundTrips[k]} | ${t["oidc-client-ts"].roundTrips[k]} |`),
    "",
    "| shipped size (bytes) | what | raw | gzip -9 | brotli |",
    "|---|---|---|---|---|",
    ...results.sizes.map((s) => `| ${s.library} | ${s.what} | ${s.raw.toLocaleString("en")} | ${s.gzip.toLocaleString("en")} | ${s.brotli.toLocaleString("en")} |`),
    "",
    "![timings](bench-timings.svg)",
  ];
  return lines.join("\n");
}

export function renderDocs(results, root) {
  writeFileSync(join(root, "docs/bench-timings.svg"), chart(results));
  const path = join(root, "docs/PERFORMANCE.md");
  const start = "<!-- bench:start (written by npm run bench) -->";
  const end = "<!-- bench:end -->";
  const doc = existsSync(path) ? readFileSync(path, "utf8") : `# Performance\n\n${start}\n${end}\n`;
  const i = doc.indexOf(start), j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error("docs/PERFORMANCE.md lost its bench markers");
  writeFileSync(path, doc.slice(0, i + start.length) + "\n" + tables(results) + "\n" + doc.slice(j));
}
