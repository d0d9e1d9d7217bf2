/* Moderation page: the staff token lives in sessionStorage only; texts shown as text.
   Filters by status, quartier and event; the map shows the quartier's streets (offline,
   from this server) and its boundary under the contributions; a moderator may edit the
   public text before approving (redaction; the original stays in the private audit log).
   Staff type in contributions written on paper (by the grid square of the printed map,
   drawn over the map, or by a click on the map) and add translations of contributions. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var session = GQ.staffSession("geoquartier.moderationToken", "queue-section");
  var request = session.request, token = session.token;
  var showSignedIn = session.show, signedOut = session.signOut;
  var message = document.getElementById("message");
  var queue = document.getElementById("queue");
  var statusSelect = document.getElementById("status");
  var quartierSelect = document.getElementById("quartier");
  var eventSelect = document.getElementById("event");
  var reportButton = document.getElementById("report");
  var countNode = document.getElementById("count");
  var say = GQ.statusLine(message);
  var failed = GQ.failedWith(say);
  var map = null, layer = null, total = 0;
  var quartiers = {}, events = {}, drawnQuartiers = {};
  (cfg.quartiers || []).forEach(function (q) { quartiers[q.id] = q; });

  function statusLabel(status) { return t(status.charAt(0).toUpperCase() + status.slice(1)); }


  function refusal(status, data) {
    if (status === 401) {
      signedOut();
      return t("The token was not accepted.");
    }
    if (status === 403) {
      signedOut();
      return t("This account may not moderate.");
    }
    return t("Action failed: {message}", {message: (data && data.detail) || status});
  }

  // ---- map: streets and boundary of the quartiers shown, then the contributions ----------
  function ensureMap() {
    if (map) return;
    map = GQ.baseMap("map");
    map.setView([51.2, 10.4], 6);
    map.on("click", onMapClick);
  }

  function drawQuartier(id) {
    var q = quartiers[id];
    if (!q) return null;
    if (!drawnQuartiers[id]) {
      drawnQuartiers[id] = GQ.boundaryOutline(map, q.boundary);
      GQ.streetMap(map, q.streetsUrl);
    }
    return drawnQuartiers[id];
  }

  function fitMap(features) {
    var shown = quartierSelect.value ? [quartierSelect.value] : [];
    features.forEach(function (f) {
      if (shown.indexOf(f.properties.quartier) < 0) shown.push(f.properties.quartier);
    });
    var bounds = L.latLngBounds([]);
    shown.forEach(function (id) {
      var outline = drawQuartier(id);
      if (outline) bounds.extend(outline.getBounds());
    });
    if (layer && features.length) bounds.extend(layer.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds, {maxZoom: 17, padding: [20, 20]});
    map.invalidateSize();
  }

  // ---- events: names in the cards, the filter and the report link ---------------------------
  function eventLabel(id) {
    var e = events[id];
    if (!e) return id;
    return e.properties.title + " (" + GQ.formatTimestamp(e.properties.start) + ")";
  }

  function fillEvents() {
    var chosen = eventSelect.value;
    while (eventSelect.options.length > 1) eventSelect.remove(1);
    Object.keys(events).forEach(function (id) {
      var p = events[id].properties;
      if (quartierSelect.value && p.quartier !== quartierSelect.value) return;
      var option = el("option", null, eventLabel(id));
      option.value = id;
      eventSelect.appendChild(option);
    });
    eventSelect.value = events[chosen] && (!quartierSelect.value || events[chosen].properties.quartier === quartierSelect.value) ? chosen : "";
    reportButton.hidden = !eventSelect.value;
  }

  function loadEvents() {
    return fetch(cfg.eventsUrl, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {features: []}; })
      .then(function (data) {
        events = {};
        (data.features || []).forEach(function (f) { events[f.id] = f; });
        fillEvents();
        fillPaperEvents();
      })
      .catch(function () { /* the queue still works without event names */ });
  }

  function openReport() {
    var id = eventSelect.value;
    if (!id) return;
    request("GET", "/events/" + encodeURIComponent(id) + "/report-link?lang=" + encodeURIComponent(cfg.lang)).then(function (result) {
      if (result.status !== 200) { say(refusal(result.status, result.data), true); return; }
      var opened = window.open(result.data.url, "_blank", "noopener");
      if (!opened) {
        say("");
        var link = el("a", null, t("Open event report"));
        link.href = result.data.url;
        link.target = "_blank";
        link.rel = "noopener";
        message.appendChild(link);
      }
      document.body.setAttribute("data-report-url", result.data.url);
    });
  }

  // ---- the cards ---------------------------------------------------------------------------
  function field(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(el("dt", null, label));
    list.appendChild(el("dd", null, value));
  }

  var cardCount = 0;
  function card(feature) {
    var p = feature.properties;
    var n = ++cardCount;
    var item = el("li", "annotation");
    item.setAttribute("data-id", p.id);
    var head = el("div", "head");
    head.appendChild(el("strong", "kind", GQ.kindLabel(p.kind)));
    head.appendChild(el("span", "geometry", GQ.geometryLabel(feature.geometry.type)));
    item.appendChild(head);
    item.appendChild(el("p", "text", p.text));
    var facts = el("dl");
    field(facts, t("Quartier"), quartiers[p.quartier] ? quartiers[p.quartier].name : p.quartier);
    field(facts, t("Language"), p.language);
    field(facts, t("Event"), p.event_id && eventLabel(p.event_id));
    field(facts, t("Submitted"), GQ.formatTimestamp(p.created_at));
    field(facts, t("Status"), statusLabel(p.status));
    field(facts, t("Decided"), p.decided_at && GQ.formatTimestamp(p.decided_at));
    field(facts, t("Reason"), p.reason);
    field(facts, t("Edited by moderation"), p.redacted_at && GQ.formatTimestamp(p.redacted_at));
    field(facts, t("Source"), GQ.sourceLabel(p));
    field(facts, t("Entered by"), p.entered_by_name);
    (p.translations || []).forEach(function (tl) { showTranslation(facts, tl); });
    item.appendChild(facts);
    item.appendChild(actions(p, item, n));
    if (p.language && p.language !== "de") item.appendChild(translateBox(p, facts, n));
    item.addEventListener("mouseenter", function () { highlight(p.id); });
    return item;
  }

  function actions(p, item, n) {
    var box = el("div", "actions");
    var edit = null;
    if (p.status !== "approved") {
      var editLabel = el("label", "edit", t("Public text (remove personal details before approving)"));
      editLabel.htmlFor = "edit-" + n;
      edit = el("textarea", "public-text");
      edit.id = "edit-" + n;
      edit.rows = 3;
      edit.maxLength = cfg.maxTextChars || 2000;
      edit.value = p.text;
      box.appendChild(editLabel);
      box.appendChild(edit);
      var approve = el("button", "approve", t("Approve"));
      approve.type = "button";
      approve.addEventListener("click", function () {
        var text = edit.value.trim();
        if (!text) { say(t("Please write a text."), true); edit.focus(); return; }
        var body = {expected_status: p.status};  // decided meanwhile by someone else: 409
        if (text !== p.text) body.text = text;
        decide(p.id, "approve", body, item);
      });
      box.appendChild(approve);
    }
    if (p.status !== "rejected") {
      var reasonLabel = el("label", null, t("Reason for rejection"));
      var reason = el("input", "reason");
      reason.type = "text";
      reason.maxLength = 1000;
      reasonLabel.appendChild(reason);
      var reject = el("button", "reject", t("Reject"));
      reject.type = "button";
      reject.addEventListener("click", function () {
        var why = reason.value.trim();
        if (!why) { say(t("Please give a reason for the rejection."), true); reason.focus(); return; }
        decide(p.id, "reject", {reason: why, expected_status: p.status}, item);
      });
      var row = el("div", "reject-row");
      row.appendChild(reasonLabel);
      row.appendChild(reject);
      box.appendChild(row);
    }
    return box;
  }

  // ---- sources and translations on the cards ----------------------------------------------
  function languageName(code) { return (cfg.textLanguages || {})[code] || code; }

  function showTranslation(facts, tl) {
    field(facts, t("Translation ({language})", {language: languageName(tl.language)}), tl.text);
  }

  function translateBox(p, facts, n) {
    var box = el("div", "translate");
    var langLabel = el("label", null, t("Language of the translation"));
    langLabel.htmlFor = "translate-lang-" + n;
    var langSelect = el("select");
    langSelect.id = "translate-lang-" + n;
    Object.keys(cfg.textLanguages || {}).forEach(function (code) {
      if (code === p.language) return;
      var option = el("option", null, languageName(code));
      option.value = code;
      langSelect.appendChild(option);
    });
    langSelect.value = "de";
    var textLabel = el("label", null, t("Translation"));
    textLabel.htmlFor = "translate-" + n;
    var text = el("textarea", "translation");
    text.id = "translate-" + n;
    text.rows = 2;
    text.maxLength = cfg.maxTextChars || 2000;
    var save = el("button", "save-translation", t("Save translation"));
    save.type = "button";
    save.addEventListener("click", function () {
      var value = text.value.trim();
      if (!value) { say(t("Please write a text."), true); text.focus(); return; }
      var url = cfg.queueUrl + "/" + encodeURIComponent(p.id) + "/translations/" + encodeURIComponent(langSelect.value);
      request("PUT", url, {text: value}).then(function (result) {
        if (result.status !== 200) { say(refusal(result.status, result.data), true); return; }
        showTranslation(facts, result.data);
        text.value = "";
        say(t("Translation saved."));
        document.body.setAttribute("data-translated", p.id);
      }).catch(failed);
    });
    box.appendChild(langLabel);
    box.appendChild(langSelect);
    box.appendChild(textLabel);
    box.appendChild(text);
    box.appendChild(save);
    return box;
  }

  // ---- paper: a contribution written on paper, typed in by staff ---------------------------
  var paperSection = document.getElementById("paper-section");
  var paperForm = document.getElementById("paper");
  var paperQuartier = document.getElementById("paper-quartier");
  var paperEvent = document.getElementById("paper-event");
  var paperText = document.getElementById("paper-text");
  var paperCell = document.getElementById("paper-cell");
  var paperSheet = document.getElementById("paper-sheet");
  var paperHint = document.getElementById("paper-map-hint");
  var paperGrid = document.getElementById("paper-grid");
  var GRID_STYLE = {color: "#2c3e50", weight: 1, opacity: 0.7, fill: false};
  var gridLayer = null, gridCount = 0, clickMarker = null, clicked = null;

  function placeMode() { return paperForm.querySelector("input[name=paper-place]:checked").value; }

  function sheet() {
    var parts = paperSheet.value.split(" ");
    return {size: parts[0], orientation: parts[1]};
  }

  function fillPaperEvents() {
    var chosen = paperEvent.value;
    while (paperEvent.options.length > 1) paperEvent.remove(1);
    Object.keys(events).forEach(function (id) {
      if (events[id].properties.quartier !== paperQuartier.value) return;
      var option = el("option", null, eventLabel(id));
      option.value = id;
      paperEvent.appendChild(option);
    });
    var keep = events[chosen] && events[chosen].properties.quartier === paperQuartier.value;
    paperEvent.value = keep ? chosen : "";
  }

  function markCell() {
    if (!gridLayer) return;
    var cell = paperCell.value.trim().toUpperCase();
    gridLayer.eachLayer(function (l) {
      var on = l.feature.properties.cell === cell;
      l.setStyle(on ? {weight: 3, fill: true, fillOpacity: 0.2} : GRID_STYLE);
    });
  }

  /* The grid of the printed map over the map, while the grid square is the way to place. */
  function drawGrid() {
    if (!map) return;
    if (gridLayer) { map.removeLayer(gridLayer); gridLayer = null; }
    var byGrid = placeMode() === "grid";
    paperGrid.hidden = !byGrid;
    paperHint.hidden = byGrid;
    if (clickMarker && byGrid) { map.removeLayer(clickMarker); clickMarker = null; clicked = null; }
    if (!paperSection.open || !byGrid || !paperQuartier.value) return;
    var s = sheet(), mine = ++gridCount;
    var url = cfg.gridUrl.replace("{quartier}", encodeURIComponent(paperQuartier.value)) +
      "?size=" + encodeURIComponent(s.size) + "&orientation=" + encodeURIComponent(s.orientation);
    fetch(url, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (grid) {
        if (!grid || mine !== gridCount) return;
        gridLayer = L.geoJSON(grid, {
          style: GRID_STYLE,
          interactive: false,
          onEachFeature: function (f, l) {
            l.bindTooltip(f.properties.cell, {permanent: true, direction: "center", className: "gq-grid-label"});
          }
        }).addTo(map);
        drawQuartier(paperQuartier.value);
        map.fitBounds(gridLayer.getBounds());
        markCell();
        document.body.setAttribute("data-grid", paperQuartier.value + " " + paperSheet.value);
      })
      .catch(function () { /* the grid square can still be typed in */ });
  }

  function onMapClick(e) {
    if (!paperSection.open || placeMode() !== "map") return;
    clicked = [e.latlng.lng, e.latlng.lat];
    if (clickMarker) map.removeLayer(clickMarker);
    clickMarker = L.circleMarker(e.latlng, {radius: 9, color: "#000", weight: 3, fill: false}).addTo(map);
    say(t("Place set on the map."));
  }

  function paperBody() {
    var body = {
      quartier: paperQuartier.value,
      kind: document.getElementById("paper-kind").value,
      text: paperText.value.trim(),
      language: document.getElementById("paper-language").value,
      event_id: paperEvent.value || null
    };
    if (!body.text) return {error: t("Please write a text."), focus: paperText};
    if (placeMode() === "grid") {
      var cell = paperCell.value.replace(/\s+/g, "").toUpperCase();
      if (!/^[A-Z][0-9]{1,2}$/.test(cell)) return {error: t("Please enter a grid square such as C4."), focus: paperCell};
      var s = sheet();
      body.grid_cell = cell;
      body.size = s.size;
      body.orientation = s.orientation;
    } else {
      if (!clicked) return {error: t("Please click on the map to set the place."), focus: paperHint};
      body.geometry = {type: "Point", coordinates: clicked};
    }
    return {body: body};
  }

  /* After saving: the list shows the approved contributions of that quartier and event. */
  function showEntered(p) {
    statusSelect.value = "approved";
    quartierSelect.value = p.quartier;
    fillEvents();
    eventSelect.value = p.event_id || "";
    reportButton.hidden = !eventSelect.value;
    return load().then(function () {
      say(t("Entered from paper: {text}", {text: p.text}));
      document.body.setAttribute("data-entered", p.id);
      drawGrid();
    });
  }

  function savePaper(event) {
    event.preventDefault();
    var checked = paperBody();
    if (checked.error) { say(checked.error, true); GQ.focus(checked.focus); return; }
    request("POST", cfg.paperUrl, checked.body).then(function (result) {
      if (result.status !== 201) { say(refusal(result.status, result.data), true); return; }
      paperText.value = "";
      paperCell.value = "";
      if (clickMarker) { map.removeLayer(clickMarker); clickMarker = null; clicked = null; }
      return showEntered(result.data.properties).then(function () { GQ.focus(paperText); });
    }).catch(failed);
  }

  paperForm.addEventListener("submit", savePaper);
  paperSection.addEventListener("toggle", function () {
    if (paperSection.open && quartierSelect.value) paperQuartier.value = quartierSelect.value;
    fillPaperEvents();
    if (paperSection.open && eventSelect.value) paperEvent.value = eventSelect.value;
    drawGrid();
  });
  paperQuartier.addEventListener("change", function () { fillPaperEvents(); drawGrid(); });
  paperSheet.addEventListener("change", drawGrid);
  paperCell.addEventListener("input", markCell);
  paperForm.querySelectorAll("input[name=paper-place]").forEach(function (radio) {
    radio.addEventListener("change", drawGrid);
  });

  function highlight(id) {
    if (!layer) return;
    layer.eachLayer(function (l) {
      if (l.feature && l.feature.properties.id === id) l.openPopup();
    });
  }

  function showCount() {
    countNode.textContent = t("Contributions: {n}", {n: total});
  }

  /* Each load is numbered: the answer to an older request (the filters changed since)
     never replaces the list of a newer one. */
  var loadCount = 0;

  function load() {
    say("");
    var url = cfg.queueUrl + "?status=" + encodeURIComponent(statusSelect.value) + "&limit=200";
    if (quartierSelect.value) url += "&quartier=" + encodeURIComponent(quartierSelect.value);
    if (eventSelect.value) url += "&event_id=" + encodeURIComponent(eventSelect.value);
    var mine = ++loadCount;
    return request("GET", url).then(function (result) {
      if (mine !== loadCount) { return; }
      if (result.status !== 200) { say(refusal(result.status, result.data), true); return; }
      showSignedIn(true);
      ensureMap();
      queue.textContent = "";
      var features = result.data.features || [];
      total = result.data.numberMatched || features.length;
      showCount();
      if (!features.length) queue.appendChild(el("li", "empty", t("No contributions in this list.")));
      features.forEach(function (f) { queue.appendChild(card(f)); });
      if (layer) map.removeLayer(layer);
      layer = GQ.annotationLayer({type: "FeatureCollection", features: features}).addTo(map);
      fitMap(features);
      document.body.setAttribute("data-loaded", statusSelect.value);
    }).catch(failed);
  }

  function decide(id, action, body, item) {
    var url = cfg.queueUrl + "/" + encodeURIComponent(id) + "/" + action;
    request("POST", url, body).then(function (result) {
      if (result.status !== 200) { say(refusal(result.status, result.data), true); return; }
      say(t(action === "approve" ? "Approved" : "Rejected") + ": " + result.data.properties.text);
      var next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      total = Math.max(0, total - 1);
      showCount();
      if (!queue.children.length) queue.appendChild(el("li", "empty", t("No contributions in this list.")));
      GQ.focus(next || message);  // the focused button is gone: go on with the next card
      if (layer) layer.eachLayer(function (l) {
        if (l.feature && l.feature.properties.id === id) layer.removeLayer(l);
      });
      document.body.setAttribute("data-decided", id);
    }).catch(failed);
  }

  session.onSignIn(function () {
    load().then(function () {
      if (!document.getElementById("queue-section").hidden) GQ.focus(countNode);
    });
  });
  document.getElementById("reload").addEventListener("click", load);
  statusSelect.addEventListener("change", load);
  quartierSelect.addEventListener("change", function () { fillEvents(); load(); });
  eventSelect.addEventListener("change", function () { reportButton.hidden = !eventSelect.value; load(); });
  reportButton.addEventListener("click", openReport);
  document.getElementById("signout").addEventListener("click", function () {
    queue.textContent = "";
    signedOut();
  });

  loadEvents().then(function () {
    if (token()) return load();
    showSignedIn(false);
  }).then(function () { document.body.setAttribute("data-ready", "true"); });
})();
