/* Moderation page: the staff token lives in sessionStorage only; texts shown as text.
   Filters by status, quartier and event; the map shows the quartier's streets (offline,
   from this server) and its boundary under the contributions; a moderator may edit the
   public text before approving (redaction; the original stays in the private audit log). */
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
    item.appendChild(facts);
    item.appendChild(actions(p, item, n));
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
    }).catch(function (error) { say(t("Action failed: {message}", {message: String(error)}), true); });
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
    }).catch(function (error) { say(t("Action failed: {message}", {message: String(error)}), true); });
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
