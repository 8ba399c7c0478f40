/* The field pages' behaviour: the service worker, the network state, the outbox on screen, the visit
   form (validated here before it is saved; the server validates again) and village downloads. */
"use strict";

(function () {
  const body = document.body;
  const words = document.getElementById("strings").dataset;
  const outcomes = JSON.parse(document.getElementById("outcome-words").textContent);
  const CACHE = "everydoor-field-pages"; // the service worker's (sw.js)
  const RETRY_MS = 30000;
  const DAY_MS = 86400000;
  const offsetDays = Number(body.dataset.clockOffsetDays || 0);

  // The working day's clock: the calendar's, but in the demo (whose clock is its own, see core.dates.today)
  function workingNow() { return new Date(Date.now() + offsetDays * DAY_MS); }
  function localDate(moment) {
    return new Date(moment.getTime() - moment.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {});
  }

  function text(el, value) { if (el) el.textContent = value; }
  function show(el, visible) { if (el) el.hidden = !visible; }

  function showNetwork() {
    const net = document.getElementById("net");
    text(net, navigator.onLine ? words.online : words.offline);
    if (net) net.classList.toggle("off", !navigator.onLine);
  }

  function itemLine(item) {
    const li = document.createElement("li");
    li.dataset.uuid = item.uuid;
    const visit = item.visit;
    const when = new Date(visit.visited_at).toLocaleString();  // on the working day (the demo runs its own clock)
    li.textContent = (item.label || visit.household) + " · " + (outcomes[visit.outcome] || visit.outcome) + " · " + when;
    if (item.state === Outbox.ATTENTION) {
      const why = document.createElement("div");
      why.className = "why";
      why.textContent = item.status + ": " + (item.status === 409 ? words.conflict + " — " : "") + (item.message || "");
      li.appendChild(why);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dismiss";
      button.textContent = words.dismiss;
      button.addEventListener("click", () => Outbox.dismiss(item.uuid));
      li.appendChild(button);
    }
    return li;
  }

  async function render() {
    const items = await Outbox.all();
    const waiting = items.filter((i) => i.state === Outbox.WAITING);
    const refused = items.filter((i) => i.state === Outbox.ATTENTION);
    text(document.getElementById("outbox-count"), String(waiting.length));
    text(document.getElementById("attention-count"), String(refused.length));
    text(document.getElementById("progress-waiting"), String(waiting.length));
    text(document.getElementById("progress-refused"), String(refused.length));
    show(document.getElementById("attention-banner"), refused.length > 0);
    document.getElementById("outbox").classList.toggle("has", waiting.length > 0);
    const waitingList = document.getElementById("waiting-list");
    const attentionList = document.getElementById("attention-list");
    waitingList.replaceChildren(...waiting.map(itemLine));
    attentionList.replaceChildren(...refused.map(itemLine));
    show(document.getElementById("waiting-none"), !waiting.length);
    show(document.getElementById("attention-none"), !refused.length);
    const pendingHouseholds = new Set(waiting.map((i) => i.visit.household));
    document.querySelectorAll("[data-household]").forEach((el) => {
      const mark = el.classList.contains("pending") ? el : el.querySelector(".pending");
      show(mark, pendingHouseholds.has(el.dataset.household));
    });
  }

  function flushSoon() { if (navigator.onLine) Outbox.flush(); }

  // --- the visit form -------------------------------------------------------------------------
  const form = document.getElementById("visit-form");
  if (form) {
    const reasonBox = form.querySelector("fieldset.reason");
    const membersBox = form.querySelector("fieldset.members");
    const errors = document.getElementById("visit-errors");
    const saved = document.getElementById("visit-saved");
    const chosen = (name) => { const el = form.querySelector("input[name=" + name + "]:checked"); return el ? el.value : ""; };
    const cardBox = form.querySelector(".card-number");
    // who the outcome concerns: those enrolled or promising, those not found (the manager reviews them)
    const MEMBER_OUTCOMES = ["enrolled", "promised", "moved_away", "deceased", "never_lived_here"];
    const needsMembers = (outcome) => MEMBER_OUTCOMES.includes(outcome);

    form.addEventListener("change", () => {
      const outcome = chosen("outcome");
      show(reasonBox, outcome === "refused");
      show(membersBox, needsMembers(outcome) && membersBox.querySelector("input"));
      show(cardBox, outcome === "insured_elsewhere");
    });

    function problems(visit) {
      const found = [];
      if (!visit.outcome) found.push(words.needOutcome);
      if (visit.outcome === "refused" && !visit.reason) found.push(words.needReason);
      if (needsMembers(visit.outcome) && membersBox.querySelector("input") && !visit.members.length) {
        found.push(words.needMembers);
      }
      if (visit.outcome === "promised" && !visit.follow_up) found.push(words.needFollowUp);
      if (visit.follow_up) {
        const today = localDate(workingNow());
        const limit = new Date(today); limit.setFullYear(limit.getFullYear() + 1);
        if (visit.follow_up < today || visit.follow_up > limit.toISOString().slice(0, 10)) found.push(words.badFollowUp);
      }
      return found;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const outcome = chosen("outcome");
      const visit = {
        uuid: crypto.randomUUID(),
        household: form.dataset.household,
        visited_at: workingNow().toISOString(),
        outcome: outcome,
        reason: outcome === "refused" ? chosen("reason") : "",
        members: needsMembers(outcome)
          ? Array.from(form.querySelectorAll("input[name=members]:checked")).map((el) => Number(el.value)) : [],
        card_number: outcome === "insured_elsewhere" ? form.elements.card_number.value.trim().toUpperCase() : "",
        note: form.elements.note.value.trim(),
        follow_up: form.elements.follow_up.value || null,
      };
      const found = problems(visit);
      errors.replaceChildren(...found.map((p) => { const li = document.createElement("li"); li.textContent = p; return li; }));
      if (found.length) { show(saved, false); return; }
      await Outbox.add(visit, form.dataset.household);
      form.reset();
      show(reasonBox, false);
      show(membersBox, false);
      show(cardBox, false);
      text(saved, words.saved);
      show(saved, true);
      flushSoon();
    });
  }

  // --- downloading a village for offline use ----------------------------------------------------
  function downloadState(village) {
    return document.querySelector(".download-state[data-village='" + village + "']");
  }

  function showDownloaded(village) {
    const kept = localStorage.getItem("everydoor-offline-" + village);
    if (!kept) return;
    const info = JSON.parse(kept);
    text(downloadState(village), words.downloaded + ": " + info.pages + " " + words.pages + ", " +
      Math.round(info.bytes / 1024) + " KB (" + Math.round((info.sent || info.bytes) / 1024) + " KB " + words.sent + ") · " +
      new Date(info.at).toLocaleString());
  }

  document.querySelectorAll("button.download").forEach((button) => {
    const village = button.dataset.village;
    showDownloaded(village);
    button.addEventListener("click", async () => {
      text(downloadState(village), words.downloading);
      button.disabled = true;
      try {
        const list = await fetch(button.dataset.offline, { cache: "no-store", credentials: "same-origin" });
        if (!list.ok) throw new Error(String(list.status));
        const manifest = await list.json();
        const cache = await caches.open(CACHE);
        let bytes = 0;
        let sent = 0; // what crossed the network (the pages come gzip-compressed)
        for (const path of manifest.paths) {
          const page = await fetch(path, { cache: "no-store", credentials: "same-origin",
            headers: { "X-Field-Download": village } });
          if (!page.ok || page.redirected) throw new Error(path + " " + page.status);
          const size = (await page.clone().arrayBuffer()).byteLength;
          bytes += size;
          sent += Number(page.headers.get("Content-Length")) || size;
          await cache.put(new URL(path, location.href).href, page);
        }
        localStorage.setItem("everydoor-offline-" + village,
          JSON.stringify({ pages: manifest.paths.length, bytes: bytes, sent: sent, at: new Date().toISOString() }));
        showDownloaded(village);
        button.classList.add("done");
      } catch (failed) {
        text(downloadState(village), words.downloadFailed);
      } finally {
        button.disabled = false;
      }
    });
  });

  // --- signing out: the downloaded pages hold residents' personal data; the unsent visits stay -----
  const signOut = document.getElementById("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async () => {
      await caches.delete(CACHE);
      Object.keys(localStorage).filter((k) => k.startsWith("everydoor-offline-"))
        .forEach((k) => localStorage.removeItem(k));
      try {
        const who = await (await fetch(body.dataset.session, { cache: "no-store", credentials: "same-origin" })).json();
        const form = new FormData();
        form.append("csrfmiddlewaretoken", who.csrf || "");
        await fetch(signOut.dataset.logout, { method: "POST", body: form, credentials: "same-origin" });
      } catch (offline) { /* the session ends on the server by itself; the phone is cleared already */ }
      location.href = signOut.dataset.login;
    });
  }

  window.addEventListener("outbox-change", render);
  window.addEventListener("outbox-signin", () => show(document.getElementById("signin-banner"), true));
  window.addEventListener("online", () => { showNetwork(); flushSoon(); });
  window.addEventListener("offline", showNetwork);
  setInterval(flushSoon, RETRY_MS);
  showNetwork();
  render().then(flushSoon);
})();
