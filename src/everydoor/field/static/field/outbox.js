/* The outbox: visits recorded on this phone wait in IndexedDB, each with the UUID made when it was
   recorded, until the server answers. Sent one after another in the order recorded:
   - 2xx naming this visit's UUID: arrived (201 new, 200 the server already had it: a retry) -> removed;
   - 401 or a redirect: signed out, the server looked at nothing -> kept, "sign in again" shown;
   - 4xx: refused (household reassigned, resident deceased, same UUID with other content = 409)
          -> kept as "needs attention", never sent again, and the next visit goes on;
   - 5xx or no network: stop here and retry later, so no visit overtakes an earlier one.
   The same UUID is sent on every retry: the server records a visit once, however often it arrives. */
"use strict";

window.Outbox = (function () {
  const DB_NAME = "everydoor-field";
  const STORE = "visits";
  const WAITING = "waiting";
  const ATTENTION = "attention";
  let flushing = null;

  function openDb() {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "uuid" });
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
  }

  function withStore(mode, work) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : undefined); };
      tx.onerror = () => { db.close(); reject(tx.error); };
      tx.onabort = () => { db.close(); reject(tx.error); };
    }));
  }

  function all() {
    return withStore("readonly", (store) => store.getAll())
      .then((items) => items.sort((a, b) => a.seq - b.seq));
  }

  function put(item) { return withStore("readwrite", (store) => store.put(item)); }
  function remove(uuid) { return withStore("readwrite", (store) => store.delete(uuid)); }

  function changed() { window.dispatchEvent(new CustomEvent("outbox-change")); }

  async function add(visit, label) {
    const last = (await all()).reduce((m, i) => Math.max(m, i.seq), 0);
    const item = { uuid: visit.uuid, seq: Math.max(Date.now(), last + 1), user: document.body.dataset.user,
      state: WAITING, visit: visit, label: label, recordedAt: new Date().toISOString() };
    await put(item);
    changed();
    return item;
  }

  async function dismiss(uuid) { await remove(uuid); changed(); }

  async function session() {
    // a fresh token each round: a page kept in the cache for days carries none that still works
    const answer = await fetch(document.body.dataset.session, { cache: "no-store", credentials: "same-origin" });
    if (answer.status === 401) return { signedIn: false };
    if (!answer.ok) throw new Error("session " + answer.status);
    const body = await answer.json();
    return { signedIn: true, user: body.user, csrf: body.csrf };
  }

  async function sendOne(item, csrf) {
    const answer = await fetch(document.body.dataset.send, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(item.visit),
      redirect: "manual", // a redirect (to the sign-in page) is no answer to the visit
    });
    if (answer.type === "opaqueredirect" || answer.status === 401) return "signin";
    if (answer.status >= 200 && answer.status < 300) {
      let arrived = {};
      try { arrived = await answer.json(); } catch (notJson) { return "later"; }
      if (arrived.uuid !== item.uuid) return "later"; // not the server's answer to this visit
      await remove(item.uuid);
      return "sent";
    }
    if (answer.status >= 400 && answer.status < 500) {
      let message = "";
      try { message = (await answer.json()).message || ""; } catch (notJson) { message = answer.statusText; }
      item.state = ATTENTION;
      item.status = answer.status;
      item.message = message;
      item.refusedAt = new Date().toISOString();
      await put(item);
      return "refused";
    }
    return "later"; // 5xx: the server could not answer; the visit waits its turn
  }

  async function flushNow() {
    const user = document.body.dataset.user;
    const waiting = (await all()).filter((i) => i.state === WAITING && i.user === user);
    if (!waiting.length) return { sent: 0, refused: 0 };
    let who;
    try { who = await session(); } catch (offline) { return { sent: 0, refused: 0, offline: true }; }
    if (!who.signedIn || who.user !== user) {
      window.dispatchEvent(new CustomEvent("outbox-signin"));
      return { sent: 0, refused: 0, signin: true };
    }
    const done = { sent: 0, refused: 0 };
    for (const item of waiting) {
      let outcome;
      try { outcome = await sendOne(item, who.csrf); } catch (offline) { outcome = "later"; }
      if (outcome === "signin") window.dispatchEvent(new CustomEvent("outbox-signin"));
      if (outcome === "later" || outcome === "signin") break;
      done[outcome] += 1;
      changed();
    }
    return done;
  }

  function flush() {
    // one round at a time on this page, and one at a time across tabs where the browser can lock
    if (flushing) return flushing;
    const run = navigator.locks ? () => navigator.locks.request("everydoor-outbox", flushNow) : flushNow;
    flushing = run().finally(() => { flushing = null; changed(); });
    return flushing;
  }

  return { add: add, all: all, flush: flush, dismiss: dismiss, WAITING: WAITING, ATTENTION: ATTENTION };
})();
