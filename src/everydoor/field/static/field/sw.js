/* everydoor field service worker: pages and downloaded villages from the network when it answers,
   from the cache when it does not. Served from /field/sw.js (views.service_worker) so that its scope
   covers every /field/ page. Visits are NOT sent from here: the pages' outbox (outbox.js) sends them,
   so that what is waiting is always on screen. */
"use strict";

const CACHE = "everydoor-field-pages";
const NETWORK_WAIT_MS = 8000; // a mountain signal that hangs counts as none
const NEVER_CACHED = /\/(session|offline)\.json$|\/sw\.js$|\/visits$/;
const NOT_DOWNLOADED = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
  "<title>everydoor</title><p>Trang này chưa được tải để dùng khi không có mạng.</p>" +
  "<p>This page was not downloaded for offline use.</p><p><a href='/field/'>Ngày làm việc / My day</a></p>";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || NEVER_CACHED.test(url.pathname)) {
    return; // the browser's own handling: posts and the queue's calls must meet the real network
  }
  event.respondWith(networkThenCache(request));
});

async function networkThenCache(request) {
  const cache = await caches.open(CACHE);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), NETWORK_WAIT_MS);
  try {
    const response = await fetch(request, { signal: abort.signal });
    // keep only complete pages of our own: never a redirect to the sign-in page, never an error
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(request.url, response.clone());
    }
    return response;
  } catch (offline) {
    const kept = await cache.match(request.url, { ignoreVary: true });
    if (kept) return kept;
    if (request.mode === "navigate") {
      return new Response(NOT_DOWNLOADED, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    }
    return Response.error();
  } finally {
    clearTimeout(timer);
  }
}
