// spa-oauth's DPoP key store (RFC 9449): one ECDSA P-256 key pair per session, made with
// WebCrypto as non-extractable (the private key can sign, and can never be read: not by
// spa-oauth, not by script injected into the page), kept in IndexedDB so that it lives as
// long as the session. The package entry loads this module only for a config with
// `dpop: true`; the wasm calls these three functions and nothing else.

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

async function pair(name) {
  if (!pairs.has(name)) {
    const stored = await request("readonly", (s) => s.get(name));
    if (stored) pairs.set(name, stored);
  }
  return pairs.get(name);
}

/** The public key [x, y] of the pair `name`, made anew when `fresh`; null when there is none. */
export async function key(name, fresh) {
  let p;
  if (fresh) {
    p = await crypto.subtle.generateKey(dict({ name: "ECDSA", namedCurve: "P-256" }), false, ["sign", "verify"]);
    await request("readwrite", (s) => s.put(p, name));
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

/** Deletes the pair `name`. */
export function forget(name) {
  pairs.delete(name);
  return request("readwrite", (s) => s.delete(name)).catch(() => {});
}
