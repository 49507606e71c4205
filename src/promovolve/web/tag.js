/* Promovolve ad tag: one serve call per page view, ads rendered in shadow DOM, the
   impression beacon only once an ad is viewable (MRC: half its pixels on screen for one
   continuous second, tab visible). No cookies, no storage, no identifiers. */
(() => {
  "use strict";
  const d = document, w = window;
  const me = d.currentScript;
  if (!me || !me.dataset.site) return;
  const server = new URL(me.src).origin;
  const SLOT = "data-promovolve-slot", TIMEOUT = 3000, VIEW_MS = 1000;
  const slots = new Map(); // element -> its state
  const watched = new Map(); // the observed ad link -> its slot state

  const terms = (text) => (text || "").split(",").map((t) => t.trim()).filter(Boolean).slice(0, 50);
  const meta = (name) => (d.querySelector(`meta[name="${name}"]`) || {}).content || "";

  const ping = (url) =>
    fetch(url, { mode: "no-cors", credentials: "omit", keepalive: true }).catch(() => {});

  const viewable = (s) => s.ratio >= 0.5 && d.visibilityState === "visible";
  const check = (s) => {
    if (s.done || !s.url) return;
    if (!viewable(s)) return clearTimeout(s.timer), (s.timer = 0);
    if (!s.timer)
      s.timer = setTimeout(() => {
        if (!viewable(s)) return (s.timer = 0);
        s.done = true;
        ping(s.url);
      }, VIEW_MS);
  };
  const io =
    "IntersectionObserver" in w &&
    new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const s = watched.get(e.target);
          if (s) (s.ratio = e.isIntersecting ? e.intersectionRatio : 0), check(s);
        }
      },
      { threshold: [0, 0.5, 1] }
    );
  d.addEventListener("visibilitychange", () => watched.forEach(check));

  const empty = (el) => {
    if (!el.textContent.trim() && !el.children.length) el.style.display = "none";
  };

  const show = (s, answer) => {
    const c = answer.creative, el = s.el;
    const root = s.root || (s.root = el.attachShadow({ mode: "open" }));
    const style = d.createElement("style");
    style.textContent = ":host{all:initial;display:block}a,img{display:block;border:0}";
    const a = d.createElement("a");
    a.href = answer.clickUrl;
    a.target = "_blank";
    a.rel = "sponsored noopener";
    const img = d.createElement("img");
    img.src = c.assetUrl;
    img.width = c.width;
    img.height = c.height;
    img.alt = "Advertisement: " + new URL(c.landingUrl).hostname;
    a.append(img);
    root.replaceChildren(style, a);
    el.style.display = "";
    if (s.link) watched.delete(s.link), io && io.unobserve(s.link);
    clearTimeout(s.timer); // a refresh: the old ad's second is not the new one's
    Object.assign(s, { link: a, url: answer.impressionUrl, ratio: 0, done: false, timer: 0 });
    watched.set(a, s);
    if (io) io.observe(a);
  };

  const request = (batch) => {
    if (!batch.length) return;
    if (batch.length > 16) request(batch.slice(16)), (batch = batch.slice(0, 16)); // the most per call
    const ids = new Map();
    const body = {
      siteId: me.dataset.site,
      url: location.href,
      title: d.title,
      description: meta("description"),
      keywords: terms((me.dataset.keywords || "") + "," + meta("keywords")),
      categories: terms(me.dataset.categories),
      slots: batch.map((s, i) => {
        let id = s.el.getAttribute(SLOT) || "slot";
        if (ids.has(id)) id += "-" + i;
        ids.set(id, s);
        return { id, width: +s.el.dataset.width, height: +s.el.dataset.height };
      }),
    };
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), TIMEOUT);
    // text/plain keeps it a simple CORS request (no preflight); the server reads JSON.
    fetch(server + "/v1/serve", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "text/plain" },
      credentials: "omit",
      signal: stop.signal,
    })
      .then((r) => (r.ok ? r.json() : { slots: [] }))
      .then((answer) => {
        for (const a of answer.slots || []) {
          const s = ids.get(a.id);
          if (s && a.creative && (a.outcome === "selected" || a.outcome === "house")) show(s, a), ids.delete(a.id);
        }
      })
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        // No ad: the publisher's fallback markup shows (through a slot), or the slot collapses.
        ids.forEach((s) => {
          if (s.root) s.root.replaceChildren(d.createElement("slot")), (s.url = ""), clearTimeout(s.timer);
          empty(s.el);
        });
      });
  };

  const scan = (root) => {
    const found = [];
    const scope = root && root.querySelectorAll ? root : d;
    const els = [...scope.querySelectorAll(`[${SLOT}]`)];
    if (scope.hasAttribute && scope.hasAttribute(SLOT)) els.push(scope);
    for (const el of els)
      if (!slots.has(el) && el.dataset.width > 0 && el.dataset.height > 0) {
        const s = { el };
        slots.set(el, s);
        found.push(s);
      }
    request(found);
  };

  // Single-page apps: ask again for every slot still on the page (a new view).
  const refresh = () => {
    for (const [el, s] of slots) if (!el.isConnected) slots.delete(el), watched.delete(s.link);
    request([...slots.values()]);
  };

  const queued = Array.isArray(w.promovolve) ? w.promovolve : [];
  w.promovolve = { push: (el) => scan(el), scan, refresh };
  const start = () => {
    scan();
    queued.forEach((el) => scan(el));
  };
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})();
