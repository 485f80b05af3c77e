// A virtual X display for WebKitGTK's MiniBrowser, which has no headless mode (the WebKit
// engine of the browser and end-to-end tests). Xvfb picks a free display number itself
// (-displayfd), listens on no TCP port, and is stopped by whoever started it.
import { spawn } from "node:child_process";

/** Starts Xvfb: `{ display: ":N", close() }`. Fails when it cannot start. */
export function startDisplay() {
  return new Promise((resolve, reject) => {
    const x = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    let log = "", number = "";
    x.stderr.on("data", (d) => (log += d));
    x.stdio[3].on("data", (d) => {
      number += d;
      if (number.includes("\n")) {
        resolve({ display: ":" + number.trim(), close: () => new Promise((r) => (x.exitCode !== null ? r() : (x.once("exit", r), x.kill()))) });
      }
    });
    x.on("error", reject);
    x.on("exit", (code) => reject(new Error(`Xvfb exited (${code}) before it was ready:\n${log}`)));
  });
}
