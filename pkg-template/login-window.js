// spa-oauth's login windows: the authorization request in a popup (loginWithPopup) or in a
// hidden iframe (silent login, prompt=none), and the wait for the response that the redirect
// page there hands back (handleCallback on that page posts it). The package entry loads this
// module only for those logins; the wasm calls `show` and decides what its answer means.

const CHANNEL = "spa-oauth";

/**
 * Shows `url` in `popup` (a window opened at the user's click) or in a new hidden iframe,
 * and resolves, never rejects, to ["response", url], ["closed"], ["timeout"] or ["blocked"].
 * Only a message from this origin, for this login's `state`, is a response. The iframe is
 * removed and the popup closed whatever happens.
 */
export function show(url, kind, state, timeoutMs, popup) {
  return new Promise((resolve) => {
    let frame, timer, poll, channel, over = false;
    const done = (answer) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      clearInterval(poll);
      removeEventListener("message", onMessage);
      try { channel && channel.close(); } catch {}
      if (frame) frame.remove();
      try { if (popup && !popup.closed) popup.close(); } catch {}
      resolve(answer);
    };
    const take = (d) => {
      if (d !== null && typeof d === "object" && d.type === "spa-oauth:response" && d.state === state && typeof d.url === "string") {
        done(["response", d.url]);
      }
    };
    // postMessage from the window this login showed (the popup, or the iframe), of this
    // origin: not from another window of the origin (review round 2, I7).
    const onMessage = (e) => {
      if (e.origin === location.origin && e.source && (e.source === popup || e.source === frame?.contentWindow)) take(e.data);
    };
    addEventListener("message", onMessage);
    // A popup that lost its link to this page (the server's Cross-Origin-Opener-Policy) can
    // still reach it here.
    try {
      channel = new BroadcastChannel(CHANNEL);
      channel.onmessage = (e) => take(e.data);
    } catch {}
    timer = setTimeout(() => done(["timeout"]), timeoutMs);
    if (kind === "iframe") {
      frame = document.createElement("iframe");
      frame.setAttribute("aria-hidden", "true");
      frame.setAttribute("tabindex", "-1");
      frame.title = "spa-oauth silent login";
      frame.style.cssText = "position:absolute;width:0;height:0;border:0;visibility:hidden";
      frame.src = url;
      (document.body || document.documentElement).appendChild(frame);
      return;
    }
    try {
      if (!popup || popup.closed) return done(["blocked"]);
      popup.location.href = url;
    } catch {
      return done(["blocked"]);
    }
    // Closed by the user, or cut off: a message posted just before closing may still be on
    // its way, so a closed popup is reported a moment later.
    poll = setInterval(() => {
      let closed = true;
      try { closed = popup.closed; } catch {}
      if (closed) {
        clearInterval(poll);
        setTimeout(() => done(["closed"]), 1000);
      }
    }, 250);
  });
}
