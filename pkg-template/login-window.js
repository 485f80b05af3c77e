// spa-oauth's login windows: the authorization request in a popup (loginWithPopup) or in a
// hidden iframe (silent login, prompt=none), and the wait for the response that the redirect
// page there hands back (handleCallback on that page posts it). The package entry loads this
// module only for those logins; the wasm calls `show` and decides what its answer means.

/**
 * Shows `url` in `popup` (a window opened at the user's click, still at about:blank, of this
 * origin) or in a new hidden iframe, and resolves, never rejects, to ["response", url],
 * ["closed"], ["timeout"] or ["blocked"]. Only a message of this origin, for this login's
 * `state`, is a response. The iframe is removed and the popup closed whatever happens.
 *
 * The popup is this page's bridge to the server: before it leaves about:blank, it is cut off
 * from this page (`opener = null`: no page it shows, the server's, an IdP it federates to or
 * a malicious server's, can navigate this tab) and its copy of this tab's sessionStorage is
 * emptied (its pages start with none of this tab's tokens). Its redirect page answers on the
 * login's own BroadcastChannel. This page keeps its handle, to tell when the popup reads
 * closed: with `abortOnClose`, that ends the login; without, the login waits for the channel
 * (a server's Cross-Origin-Opener-Policy: same-origin makes an open popup read closed). A
 * `noopener` window would give no handle at all: neither a blocked popup nor a closed one
 * could be told (review round 2, L14).
 */
export function show(url, kind, state, timeoutMs, popup, abortOnClose) {
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
    // The iframe's redirect page posts to its parent: only a message from that frame, of
    // this origin (review round 2, I7).
    const onMessage = (e) => {
      if (e.origin === location.origin && frame && e.source === frame.contentWindow) take(e.data);
    };
    timer = setTimeout(() => done(["timeout"]), timeoutMs);
    if (kind === "iframe") {
      addEventListener("message", onMessage);
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
      channel = new BroadcastChannel("spa-oauth:" + state);
      channel.onmessage = (e) => take(e.data);
    } catch {
      // No BroadcastChannel (a very old browser): the response cannot come back.
      return done(["blocked"]);
    }
    try {
      if (!popup || popup.closed) return done(["blocked"]);
      try { popup.sessionStorage.clear(); } catch {}
      popup.opener = null;
      popup.location.href = url;
    } catch {
      return done(["blocked"]);
    }
    if (!abortOnClose) return;
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
