// {% raw %}  (Jinja2 copies this file verbatim into report.html)
// The report's script: gallery, filters, photo pages and, when served by `vision review`,
// verdicts. Every element is built with textContent / properties, never innerHTML, so text
// from file names and metadata can never become markup.
(function () {
  "use strict";

  // The gallery's index is parsed at once; the photo pages' data (cues with measurements,
  // provenance) only when the first photo page is opened.
  const DATA = JSON.parse(document.getElementById("vision-data").textContent);
  const PHOTOS = DATA.photos;
  let DETAILS = null;
  const detailOf = (p) => {
    if (DETAILS === null) DETAILS = JSON.parse(document.getElementById("vision-details").textContent);
    return DETAILS[p.i];
  };
  const PAGE = 120;
  const VERDICTS = ["confirm", "reject", "unsure"];
  const S = { list: [], shown: 0, review: null, verdicts: {}, scroll: 0, view: "both" };

  const DATA_TITLE = document.title;
  const $ = (id) => document.getElementById(id);

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null) continue;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k === "attrs") for (const [a, av] of Object.entries(v)) node.setAttribute(a, av);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node[k] = v;
    }
    for (const c of children || []) {
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined) return "\u2013";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 3 : digits);
    if (Array.isArray(v)) return "[" + v.map((x) => fmt(x, digits)).join(", ") + "]";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function signed(v) {
    return v === null || v === undefined ? "\u2013" : (v >= 0 ? "+" : "") + v.toFixed(2);
  }

  // Nested measurements become "a.b" rows of one definition list.
  function flatten(obj, prefix, out) {
    for (const [k, v] of Object.entries(obj || {})) {
      const key = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
      else out.push([key, v]);
    }
    return out;
  }

  function dl(pairs) {
    const list = el("dl");
    for (const [k, v] of pairs) {
      list.appendChild(el("dt", { text: k }));
      list.appendChild(el("dd", { text: fmt(v) }));
    }
    return list;
  }

  function photoVerdict(p) {
    const v = S.verdicts[p.path];
    return v && v[""] ? v[""].verdict : null;
  }

  // ---------------------------------------------------------------- gallery and filters
  function readFilters() {
    const num = (id, dflt) => {
      const x = parseFloat($(id).value);
      return Number.isFinite(x) ? x : dflt;
    };
    return {
      label: $("f-label").value,
      cue: $("f-cue").value,
      state: $("f-state").value,
      min: num("f-min", 0),
      max: num("f-max", 1),
      verdict: $("f-verdict").value,
      text: $("f-text").value.trim().toLowerCase(),
      sort: $("f-sort").value,
    };
  }

  function matches(p, f) {
    if (f.label && p.label !== f.label) return false;
    if (f.state) {
      if (f.cue ? p.states[DATA.cues.indexOf(f.cue)] !== f.state : !p.states.includes(f.state)) return false;
    } else if (f.cue && !p.states[DATA.cues.indexOf(f.cue)]) return false;
    if (p.confidence === null || p.confidence === undefined) {
      if (f.min > 0 || f.max < 1) return false;
    } else if (p.confidence < f.min || p.confidence > f.max) return false;
    if (f.verdict) {
      const v = photoVerdict(p);
      if (f.verdict === "none" ? v : v !== f.verdict) return false;
    }
    if (f.text && !p.name.toLowerCase().includes(f.text)) return false;
    return true;
  }

  function compare(sort) {
    const conf = (p) => (p.confidence === null || p.confidence === undefined ? -1 : p.confidence);
    const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i);
    if (sort === "name") return byName;
    if (sort === "group") {
      const key = (p) => (p.group ? "0" + p.group : "1");  // grouped photos first, each group together
      return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : byName(a, b));
    }
    const sign = sort === "conf-asc" ? 1 : -1;
    return (a, b) => sign * (conf(a) - conf(b)) || byName(a, b);
  }

  function applyFilters() {
    const f = readFilters();
    S.list = PHOTOS.filter((p) => matches(p, f)).sort(compare(f.sort));
    $("grid").replaceChildren();
    S.shown = 0;
    showMore();
  }

  function showMore() {
    const grid = $("grid");
    const end = Math.min(S.shown + PAGE, S.list.length);
    const frag = document.createDocumentFragment();
    for (let k = S.shown; k < end; k++) frag.appendChild(card(S.list[k]));
    grid.appendChild(frag);
    S.shown = end;
    $("count").textContent = "showing " + S.shown + " of " + S.list.length + " matching (" + PHOTOS.length + " photos)";
    $("more-sentinel").hidden = S.shown >= S.list.length;
  }

  function card(p) {
    const picture = p.thumb || p.overlay
      ? el("img", { class: "thumb", src: p.thumb || p.overlay, alt: "overlay of " + p.name, loading: "lazy", decoding: "async", width: 320, height: 240 })
      : el("div", { class: "nothumb", text: p.status === "error" ? p.error || "error" : "no overlay" });
    const chips = DATA.cues.map((name, k) => (p.states[k] ? el("span", { class: "chip " + p.states[k], title: name + ": " + p.states[k] }) : null));
    const bar = el("span", { class: "confbar" }, [el("span")]);
    bar.firstChild.style.width = ((p.confidence || 0) * 100).toFixed(1) + "%";
    const v = photoVerdict(p);
    return el("a", { class: "card", href: "#photo/" + p.i, attrs: { "data-i": p.i } }, [
      picture,
      el("div", { class: "meta" }, [
        el("div", { class: "name", text: p.name, dir: "auto" }),
        el("div", { class: "line" }, [
          el("span", { class: "badge label-" + p.label, text: p.label }),
          el("span", { class: "conf", text: p.confidence === null || p.confidence === undefined ? "" : p.confidence.toFixed(3) }),
          bar,
        ]),
        el("div", { class: "line" }, chips.concat(v ? [el("span", { class: "badge verdict", text: "verdict: " + v })] : [])),
        p.group ? el("div", { class: "line" }, [el("span", { class: "badge group", text: "near-duplicate group " + p.group, title: p.duplicate_of ? "same file as " + p.duplicate_of : "" })]) : null,
      ]),
    ]);
  }

  // ---------------------------------------------------------------- photo page
  function showDetail(i) {
    const p = PHOTOS[i];
    if (!p) return showGallery();
    if (!$("gallery-view").hidden) S.scroll = window.scrollY;
    $("gallery-view").hidden = true;
    const view = $("detail-view");
    view.hidden = false;
    view.replaceChildren(...detail(p));
    document.title = p.name + " \u2013 " + DATA_TITLE;
    window.scrollTo(0, 0);
  }

  function showGallery() {
    $("detail-view").hidden = true;
    $("detail-view").replaceChildren();
    $("gallery-view").hidden = false;
    document.title = DATA_TITLE;
    window.scrollTo(0, S.scroll);
  }

  function neighbour(p, step) {
    const pos = S.list.indexOf(p);
    const list = pos >= 0 ? S.list : PHOTOS;
    const at = pos >= 0 ? pos : PHOTOS.indexOf(p);
    return list[(at + step + list.length) % list.length];
  }

  function detail(p) {
    const pos = S.list.indexOf(p);
    const nav = el("div", { class: "nav" }, [
      el("button", { type: "button", id: "back", text: "\u2190 gallery", onclick: () => (location.hash = "") }),
      el("button", { type: "button", id: "prev", text: "previous", onclick: () => (location.hash = "photo/" + neighbour(p, -1).i) }),
      el("button", { type: "button", id: "next", text: "next", onclick: () => (location.hash = "photo/" + neighbour(p, 1).i) }),
      el("span", { class: "pos", text: pos >= 0 ? pos + 1 + " of " + S.list.length : "" }),
      el("span", { class: "title", id: "photo-title", text: p.name, dir: "auto" }),
    ]);
    const ident = el("div", { class: "ident" }, p.status === "error"
      ? [el("div", { class: "error-text", id: "error-text", text: p.error || "error" }), el("div", { class: "path", text: p.path })]
      : [
          el("div", { class: "big" }, [
            el("span", { class: "badge label-" + p.label, text: p.label }),
            " confidence " + fmt(p.confidence, 3) + ", combined log10 LR " + signed(p.log_lr),
          ]),
          el("div", { text: detailOf(p).verbal || "" }),
        ]);
    const parts = [nav, ident];
    if (S.review && p.status === "ok") {
      parts.push(el("div", { class: "photo-verdict" }, [
        el("strong", { text: "Your verdict on the identification \u201c" + p.label + "\u201d: " }),
        verdictBox(p, ""),
      ]));
    }
    if (p.status === "ok") {
      parts.push(viewToggle(), images(p), cueTable(p));
    }
    parts.push(el("h2", { text: "Provenance" }), provenance(p));
    return parts;
  }

  function viewToggle() {
    const modes = [["both", "side by side"], ["overlay", "overlay"], ["original", "original"]];
    const box = el("div", { class: "nav view-toggle", attrs: { role: "group", "aria-label": "image view" } });
    for (const [mode, text] of modes) {
      box.appendChild(el("button", {
        type: "button", text, attrs: { "data-view": mode, "aria-pressed": String(S.view === mode) },
        onclick: () => { S.view = mode; setView(); },
      }));
    }
    return box;
  }

  function setView() {
    const box = document.querySelector(".images");
    if (!box) return;
    box.classList.toggle("single", S.view !== "both");
    box.querySelector(".original").hidden = S.view === "overlay";
    box.querySelector(".overlay").hidden = S.view === "original";
    for (const b of document.querySelectorAll(".view-toggle button")) b.setAttribute("aria-pressed", String(b.dataset.view === S.view));
  }

  function figure(kind, src, caption, missing) {
    const fig = el("figure", { class: kind });
    if (src) {
      const img = el("img", { src, alt: caption, id: kind + "-image" });
      img.addEventListener("error", () => img.replaceWith(el("div", { class: "missing", text: missing })));
      fig.appendChild(img);
    } else fig.appendChild(el("div", { class: "missing", text: missing }));
    fig.appendChild(el("figcaption", { text: caption }));
    return fig;
  }

  function images(p) {
    const original = S.review ? "originals/" + p.i : p.original;
    const box = el("div", { class: "images" }, [
      figure("original", original, "original: " + p.path, "original photo not found: " + p.path),
      figure("overlay", p.overlay, "overlay", "no overlay for this photo"),
    ]);
    box.classList.toggle("single", S.view !== "both");
    box.firstChild.hidden = S.view === "overlay";
    box.lastChild.hidden = S.view === "original";
    return box;
  }

  function cueTable(p) {
    const head = ["cue", "state", "score", "log10 LR", "finding", "regions [x, y, w, h] score", "measurements"];
    if (S.review) head.push("your verdict on this finding");
    const table = el("table", { class: "cues", id: "cue-table" }, [
      el("thead", {}, [el("tr", {}, head.map((h) => el("th", { text: h, attrs: { scope: "col" } })))]),
    ]);
    const body = el("tbody");
    for (const c of detailOf(p).cues) {
      const finding = [];
      if (c.reason) finding.push(["reason", c.reason]);
      for (const [k, v] of Object.entries(c.fields)) finding.push([k, v]);
      const regions = el("div", {}, c.regions.map((r) => el("div", { text: fmt(r.bbox, 0) + " " + fmt(r.score, 2) + (r.label ? " " + r.label : "") })));
      const row = el("tr", { attrs: { "data-cue": c.name } }, [
        el("th", { text: c.name, attrs: { scope: "row" } }),
        el("td", {}, [el("span", { class: "chip " + c.state }), " " + c.state]),
        el("td", { class: "num", text: fmt(c.score, 3) }),
        el("td", { class: "num", text: signed(c.log_lr) }),
        el("td", { class: "finding" }, [dl(finding)]),
        el("td", {}, [regions]),
        el("td", {}, [dl(flatten(c.measurements, "", []))]),
      ]);
      if (S.review) row.appendChild(el("td", {}, [verdictBox(p, c.name)]));
      body.appendChild(row);
    }
    table.appendChild(body);
    return table;
  }

  function provenance(p) {
    const pv = detailOf(p).provenance || {};
    const prof = pv.profile || {};
    const norm = pv.normalisation || {};
    const src = pv.source || {};
    const pairs = [
      ["file", p.path],
      ["SHA-256", pv.sha256],
      ["size", p.width && p.height ? p.width + " \u00d7 " + p.height + " px" : null],
      ["tool version", pv.tool_version],
      ["schema version", pv.schema_version],
      ["profile", prof.name ? prof.name + " (" + prof.source + ")" : null],
      ["profile SHA-256", prof.sha256],
      ["illuminant gains", norm.illuminant_gains],
      ["working size", norm.working_size],
      ["scale", norm.scale],
      ["stored colour mode", src.mode],
      ["input notes", src.notes && src.notes.length ? src.notes.join("; ") : null],
    ];
    for (const [k, v] of Object.entries(pv.timings || {})) pairs.push(["time: " + k + " (s)", v]);
    const list = dl(pairs.filter(([, v]) => v !== null && v !== undefined));
    list.className = "prov";
    list.id = "provenance";
    return list;
  }

  // ---------------------------------------------------------------- verdicts (vision review)
  function verdictBox(p, cue) {
    const current = (S.verdicts[p.path] || {})[cue] || {};
    const status = el("span", { class: "saved", text: current.updated ? "saved " + current.updated : "" });
    const note = el("textarea", { value: current.note || "", placeholder: "note", attrs: { "aria-label": "note" + (cue ? " on " + cue : "") } });
    const buttons = el("div", { class: "verdict-buttons" });
    // Saves run one after another and each sends the box's state at that moment, so a note
    // saved on blur and the click that caused the blur cannot overtake each other.
    const want = { verdict: current.verdict || null };
    let queue = Promise.resolve();
    const push = () => { queue = queue.then(() => save(p, cue, want.verdict, note.value, status)); };
    for (const v of VERDICTS) {
      buttons.appendChild(el("button", {
        type: "button", class: v, text: v, attrs: { "data-verdict": v, "aria-pressed": String(current.verdict === v) },
        onclick: () => {
          want.verdict = want.verdict === v ? null : v;
          for (const b of buttons.children) b.setAttribute("aria-pressed", String(b.dataset.verdict === want.verdict));
          push();
        },
      }));
    }
    note.addEventListener("change", push);
    return el("div", { class: "verdict-box", attrs: { "data-cue": cue } }, [buttons, note, status]);
  }

  async function save(p, cue, verdict, note, status) {
    status.textContent = "saving\u2026";
    try {
      const response = await fetch("api/verdict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: S.review.token, image: p.path, cue, verdict, note }),
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || response.statusText);
      const slot = (S.verdicts[p.path] = S.verdicts[p.path] || {});
      if (answer.verdict) slot[cue] = answer.verdict;
      else delete slot[cue];
      status.textContent = answer.verdict ? "saved " + answer.verdict.updated : "cleared";
    } catch (err) {
      status.textContent = "not saved: " + err.message;
    }
  }

  async function startReview() {
    if (location.protocol !== "http:" && location.protocol !== "https:") return;
    const response = await fetch("api/session", { cache: "no-store" });
    if (!response.ok) return;
    const session = await response.json();
    S.review = session;
    S.verdicts = session.verdicts || {};
    document.body.classList.add("reviewing");
    const mode = $("mode");
    mode.textContent = "Reviewing: verdicts are saved in " + session.database;
    mode.classList.add("review");
  }

  // ---------------------------------------------------------------- wiring

  function route() {
    const m = /^#photo\/(\d+)$/.exec(location.hash);
    if (m) showDetail(Number(m[1]));
    else showGallery();
  }

  let timer = 0;
  for (const id of ["f-label", "f-cue", "f-state", "f-min", "f-max", "f-verdict", "f-sort", "f-text"]) {
    $(id).addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(applyFilters, id === "f-text" ? 150 : 0);
    });
  }
  $("more").addEventListener("click", showMore);
  $("home").addEventListener("click", (e) => { e.preventDefault(); location.hash = ""; });
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !$("gallery-view").hidden) showMore();
    }, { rootMargin: "600px" }).observe($("more-sentinel"));
  }
  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", (e) => {
    if ($("detail-view").hidden || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) return;
    const p = PHOTOS[Number((/^#photo\/(\d+)$/.exec(location.hash) || [])[1])];
    if (!p) return;
    if (e.key === "ArrowRight") location.hash = "photo/" + neighbour(p, 1).i;
    else if (e.key === "ArrowLeft") location.hash = "photo/" + neighbour(p, -1).i;
    else if (e.key === "Escape") location.hash = "";
  });

  async function start() {
    try {
      await startReview();
    } catch (err) {
      $("mode").textContent = "Could not start reviewing (" + err.message + "); showing the static report.";
    } finally {
      applyFilters();
      route();
      document.body.dataset.ready = "true";
    }
  }
  start();
})();
// {% endraw %}
