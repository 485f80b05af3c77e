// spa-oauth's DPoP key store (RFC 9449): one ECDSA P-256 key pair per login, made with
// WebCrypto as non-extractable (the private key can sign, and can never be read: not by
// spa-oauth, not by script injected into the page), kept in IndexedDB so that it lives as
// long as the session the login makes. Each record says whether a session took the pair
// yet (`pending` until then) and when it was last made or taken (`used`, ms): what to sweep
// is the wasm's decision, passed as two moments. The package entry loads this module only
// for a config with `dpop: true`; the wasm calls these functions and nothing else.

const DB = "spa-oauth-dpop", STORE = "keys";
const pairs = new Map(); // this page's copy: IndexedDB is read once per key
// WebCrypto's algorithm dictionaries without a prototype: WebIDL reads their members through
// the prototype chain, and the app's Object.prototype is not ours to trust.
const dict = (members) => Object.assign(Object.create(null), members);

function request(mode, f) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(STORE, mode);
      const r = f(tx.objectStore(STORE));
      tx.oncomplete = () => (db.close(), resolve(r.result));
      tx.onerror = tx.onabort = () => (db.close(), reject(tx.error));
    };
  });
}

// A record of an earlier version is the bare pair, taken by a session.
const record = (stored) => (stored && stored.privateKey ? { pair: stored, pending: false, used: Date.now() } : stored);

async function pair(name) {
  if (!pairs.has(name)) {
    const stored = record(await request("readonly", (s) => s.get(name)));
    if (stored) pairs.set(name, stored.pair);
  }
  return pairs.get(name);
}

/** The public key [x, y] of the pair `name`, made anew when `fresh`; null when there is none. */
export async function key(name, fresh) {
  let p;
  if (fresh) {
    p = await crypto.subtle.generateKey(dict({ name: "ECDSA", namedCurve: "P-256" }), false, ["sign", "verify"]);
    await request("readwrite", (s) => s.put({ pair: p, pending: true, used: Date.now() }, name));
    pairs.set(name, p);
  } else {
    p = await pair(name);
  }
  if (!p) return null;
  const jwk = await crypto.subtle.exportKey("jwk", p.publicKey);
  return [jwk.x, jwk.y];
}

/** The ES256 signature (r and s) of the text `input` with the pair `name`; null when there is none. */
export async function sign(name, input) {
  const p = await pair(name);
  if (!p) return null;
  const sig = await crypto.subtle.sign(dict({ name: "ECDSA", hash: "SHA-256" }), p.privateKey, new TextEncoder().encode(input));
  return new Uint8Array(sig);
}

/** A session took the pair `name` (a login completed, or its refresh did). */
export function adopt(name) {
  return request("readwrite", (s) => {
    const r = s.get(name);
    r.onsuccess = () => {
      const stored = record(r.result);
      if (stored) s.put({ pair: stored.pair, pending: false, used: Date.now() }, name);
    };
    return r;
  }).catch(() => {});
}

/** Deletes the pairs no session took that were made before `pendingBefore` (ms), and the
 * ones sessions took that were last used before `idleBefore`. */
export function sweep(pendingBefore, idleBefore) {
  return request("readwrite", (s) => {
    const c = s.openCursor();
    c.onsuccess = () => {
      const cursor = c.result;
      if (!cursor) return;
      const r = record(cursor.value);
      if (!r || r.used < (r.pending ? pendingBefore : idleBefore)) {
        pairs.delete(cursor.key);
        cursor.delete();
      }
      cursor.continue();
    };
    return c;
  }).catch(() => {});
}

/** Deletes the pair `name`. */
export function forget(name) {
  pairs.delete(name);
  return request("readwrite", (s) => s.delete(name)).catch(() => {});
}
