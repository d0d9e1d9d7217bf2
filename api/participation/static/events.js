/* Planners' events page: sign in with the staff token (sessionStorage only), create, edit,
   close and delete events of a quartier; the place is a pin, a route (e.g. a
   Stadtteilspaziergang) or an area drawn on the map over the quartier's streets; attach
   approved contributions to an event; open its report through a short-lived signed link.
   Every text is written with textContent. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var session = GQ.staffSession("geoquartier.planningToken", "manage", function (signedIn) {
    if (signedIn) ensureMap();
  });
  var request = session.request, token = session.token;
  var showSignedIn = session.show, signedOut = session.signOut;
  var message = document.getElementById("message");
  var say = GQ.statusLine(message);
  var quartierSelect = document.getElementById("quartier");
  var list = document.getElementById("event-list");
  var form = document.getElementById("event-form");
  var contributions = document.getElementById("contributions");
  var quartiers = {}, events = {}, selected = null, shape = null, active = null;
  var buttons = {point: "draw-point", line: "draw-line", area: "draw-area"};
  var PLACE_LABELS = {Point: "Pin", LineString: "Route", Polygon: "Area"};
  function placeLabel(type) { return t(PLACE_LABELS[type] || type); }
  (cfg.quartiers || []).forEach(function (q) { quartiers[q.id] = q; });

  var map = null, outline = null, drawn = null, eventShapes = null, approvedLayer = null;

  function failed(result) {
    if (result.status === 401) { signedOut(); return t("The token was not accepted."); }
    if (result.status === 403) return t("This account may not manage events.");
    return t("Action failed: {message}", {message: (result.data && result.data.detail) || result.status});
  }


  // ---- map ---------------------------------------------------------------------------------
  function ensureMap() {
    if (map) { map.invalidateSize(); return; }
    map = GQ.baseMap("map");
    drawn = new L.FeatureGroup().addTo(map);
    eventShapes = L.layerGroup().addTo(map);
    approvedLayer = L.layerGroup().addTo(map);
    map.on(L.Draw.Event.CREATED, function (event) {
      drawn.clearLayers();
      drawn.addLayer(event.layer);
      shape = event.layer.toGeoJSON().geometry;
      active = null;
      markActive(null);
      placeState();
      document.body.setAttribute("data-drawn", shape.type);
    });
    showQuartier();
  }

  function showQuartier() {
    var q = quartiers[quartierSelect.value];
    if (!map || !q) return;
    if (outline) map.removeLayer(outline);
    outline = GQ.boundaryOutline(map, q.boundary);
    map.fitBounds(outline.getBounds());
    GQ.streetMap(map, q.streetsUrl);
  }

  function markActive(tool) {
    Object.keys(buttons).forEach(function (k) {
      document.getElementById(buttons[k]).setAttribute("aria-pressed", k === tool ? "true" : "false");
    });
  }

  function startDrawing(tool) {
    if (active) active.disable();
    var style = {color: "#000", weight: 5, opacity: 0.7};
    if (tool === "point") active = new L.Draw.Marker(map, {});
    else if (tool === "line") active = new L.Draw.Polyline(map, {shapeOptions: style});
    else active = new L.Draw.Polygon(map, {shapeOptions: style, allowIntersection: false, showArea: false});
    markActive(tool);
    active.enable();
    document.getElementById("map").scrollIntoView({block: "nearest"});
  }
  L.Draw.Polyline.prototype._onTouch = L.Util.falseFn;  // see participate.js

  function placeState() {
    var node = document.getElementById("place-state");
    node.textContent = shape ? t("Place: {kind}", {kind: placeLabel(shape.type)}) :
      t("Draw the place, the route or the area on the map.");
  }

  // ---- events -------------------------------------------------------------------------------
  function localInput(iso) {
    if (!iso) return "";
    var p = GQ.localParts(Math.floor(Date.parse(iso) / 60000));
    function two(v) { return (v < 10 ? "0" : "") + v; }
    return p.y + "-" + two(p.M) + "-" + two(p.d) + "T" + two(p.H) + ":" + two(p.m);
  }

  function loadEvents() {
    var url = cfg.eventsUrl + "?quartier=" + encodeURIComponent(quartierSelect.value);
    return fetch(url, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        events = {};
        list.textContent = "";
        eventShapes.clearLayers();
        (data.features || []).forEach(function (f) {
          events[f.id] = f;
          list.appendChild(eventItem(f));
          L.geoJSON(f, {
            style: {color: "#000", weight: 4, opacity: 0.5, dashArray: "2 8", fillOpacity: 0.05},
            pointToLayer: function (feature, latlng) {
              return L.circleMarker(latlng, {radius: 8, color: "#000", weight: 2, fillColor: "#fff", fillOpacity: 1});
            },
            onEachFeature: function (feature, l) { l.bindTooltip(GQ.el("span", null, feature.properties.title)); }
          }).addTo(eventShapes);
        });
        if (!data.features || !data.features.length) list.appendChild(el("li", "empty", t("No events yet.")));
        document.body.setAttribute("data-events", String((data.features || []).length));
      });
  }

  function actionButton(label, className, handler) {
    var button = el("button", className, label);
    button.type = "button";
    button.addEventListener("click", handler);
    return button;
  }

  function eventItem(f) {
    var p = f.properties;
    var item = el("li");
    item.setAttribute("data-id", f.id);
    if (selected === f.id) item.className = "selected";
    var head = el("div", "row");
    head.appendChild(el("strong", "title", p.title));
    if (p.kind) head.appendChild(el("span", "kind", p.kind));
    head.appendChild(el("span", "place", placeLabel(f.geometry.type)));
    if (p.closed_at) head.appendChild(el("span", "closed", t("Closed")));
    item.appendChild(head);
    var when = GQ.formatTimestamp(p.start) + (p.end ? " – " + GQ.formatTimestamp(p.end) : "");
    item.appendChild(el("p", "when", when));
    var row = el("div", "row");
    row.appendChild(actionButton(t("Edit"), "edit secondary", function () { edit(f.id); }));
    row.appendChild(actionButton(p.closed_at ? t("Reopen") : t("Close"), "close secondary", function () {
      post(f.id, p.closed_at ? "reopen" : "close");
    }));
    row.appendChild(actionButton(t("Open event report"), "report secondary", function () { openReport(f.id); }));
    row.appendChild(actionButton(t("Delete"), "delete reject", function () { remove(f.id, p.title); }));
    item.appendChild(row);
    return item;
  }

  function clearForm() {
    selected = null;
    form.reset();
    drawn.clearLayers();
    shape = null;
    placeState();
    document.getElementById("form-title").textContent = t("New event");
    document.getElementById("event-contributions").hidden = true;
    document.getElementById("event-documentation").hidden = true;
    list.querySelectorAll("li.selected").forEach(function (node) { node.className = ""; });
  }

  function edit(id) {
    var f = events[id];
    if (!f) return;
    clearForm();
    selected = id;
    var p = f.properties;
    document.getElementById("form-title").textContent = t("Edit event: {title}", {title: p.title});
    document.getElementById("title").value = p.title;
    document.getElementById("kind").value = p.kind || "";
    document.getElementById("start").value = localInput(p.start);
    document.getElementById("end").value = localInput(p.end);
    document.getElementById("description").value = p.description || "";
    shape = f.geometry;
    L.geoJSON(f.geometry, {style: {color: "#000", weight: 5, opacity: 0.7}}).eachLayer(function (l) { drawn.addLayer(l); });
    placeState();
    var node = list.querySelector("li[data-id='" + CSS.escape(id) + "']");
    if (node) node.className = "selected";
    document.getElementById("event-contributions").hidden = false;
    loadContributions();
    loadDocumentation();
    GQ.focus(document.getElementById("title"));
  }

  function formBody() {
    var body = {
      title: document.getElementById("title").value.trim(),
      kind: document.getElementById("kind").value.trim() || null,
      start: document.getElementById("start").value,
      end: document.getElementById("end").value || null,
      description: document.getElementById("description").value.trim() || null,
      geometry: shape
    };
    if (!selected) body.quartier = quartierSelect.value;
    return body;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = formBody();
    if (!body.title) { say(t("Please give the event a title."), true); GQ.focus(document.getElementById("title")); return; }
    if (!body.start) { say(t("Please give the start."), true); GQ.focus(document.getElementById("start")); return; }
    if (!shape) { say(t("Please draw the place on the map."), true); GQ.focus(document.getElementById("draw-point")); return; }
    var wasNew = !selected;
    var call = wasNew ? request("POST", cfg.eventsUrl, body) :
      request("PATCH", cfg.eventsUrl + "/" + encodeURIComponent(selected), body);
    call.then(function (result) {
      if (result.status !== 200 && result.status !== 201) { say(failed(result), true); return; }
      var id = result.data.id;
      say(t("Saved: {title}", {title: result.data.properties.title}));
      document.body.setAttribute("data-saved", id);
      return loadEvents().then(function () { edit(id); });
    });
  });

  function post(id, action) {
    request("POST", cfg.eventsUrl + "/" + encodeURIComponent(id) + "/" + action).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      say(t(action === "close" ? "Closed" : "Reopened") + ": " + result.data.properties.title);
      loadEvents();
    });
  }

  function remove(id, title) {
    if (!window.confirm(t("Delete the event {title}? Its contributions stay, without event.", {title: title}))) return;
    request("DELETE", cfg.eventsUrl + "/" + encodeURIComponent(id)).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      say(t("Deleted: {title}", {title: title}));
      if (selected === id) clearForm();
      loadEvents();
    });
  }

  function openReport(id) {
    var url = cfg.eventsUrl + "/" + encodeURIComponent(id) + "/report-link?lang=" + encodeURIComponent(cfg.lang);
    request("GET", url).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      document.body.setAttribute("data-report-url", result.data.url);
      if (!window.open(result.data.url, "_blank", "noopener")) {
        say("");
        var link = el("a", null, t("Open event report"));
        link.href = result.data.url;
        link.target = "_blank";
        message.appendChild(link);
      }
    });
  }

  // ---- contributions of the event -------------------------------------------------------------
  function loadContributions() {
    var eventId = selected;
    var url = "/quartiers/" + encodeURIComponent(quartierSelect.value) + "/annotations";
    fetch(url, {headers: {Accept: "application/json"}}).then(function (r) { return r.json(); }).then(function (data) {
      if (eventId !== selected) return;
      contributions.textContent = "";
      approvedLayer.clearLayers();
      GQ.annotationLayer(data).addTo(approvedLayer);
      (data.features || []).forEach(function (f) { contributions.appendChild(contributionItem(f)); });
      if (!data.features.length) contributions.appendChild(el("li", "empty", t("No contributions in this list.")));
    });
  }

  function contributionItem(f) {
    var p = f.properties;
    var item = el("li");
    item.setAttribute("data-id", f.id);
    var attached = p.event_id === selected;
    var head = el("div", "row");
    head.appendChild(el("strong", "kind", GQ.kindLabel(p.kind)));
    head.appendChild(el("span", null, GQ.formatTimestamp(p.created_at)));
    if (attached) head.appendChild(el("span", "attached", t("Attached")));
    else if (p.event_id) head.appendChild(el("span", "other", t("Belongs to another event")));
    item.appendChild(head);
    item.appendChild(el("p", "text", p.text));
    var method = attached ? "DELETE" : "PUT";
    item.appendChild(actionButton(attached ? t("Detach") : t("Attach"), attached ? "detach secondary" : "attach", function () {
      var url = cfg.eventsUrl + "/" + encodeURIComponent(selected) + "/annotations/" + encodeURIComponent(f.id);
      request(method, url).then(function (result) {
        if (result.status !== 200) { say(failed(result), true); return; }
        say(t(attached ? "Detached" : "Attached") + ": " + result.data.properties.text);
        document.body.setAttribute("data-attached", attached ? "" : f.id);
        loadContributions();
      });
    }));
    return item;
  }

  // ---- documentation for the funder -----------------------------------------------------------
  var docForm = document.getElementById("doc-form");
  var DOC_TEXTS = ["organiser", "funding", "method", "programme", "summary", "next_steps"];
  var DOC_NUMBERS = ["attendance", "duration_min"];

  function docUrl(id) { return cfg.eventsUrl + "/" + encodeURIComponent(id) + "/documentation"; }

  function loadDocumentation() {
    var eventId = selected;
    docForm.reset();
    request("GET", docUrl(eventId)).then(function (result) {
      if (eventId !== selected) return;
      if (result.status !== 200) { say(failed(result), true); return; }
      DOC_TEXTS.concat(DOC_NUMBERS).forEach(function (name) {
        var value = result.data[name];
        docForm.elements[name].value = value === null || value === undefined ? "" : String(value);
      });
      document.getElementById("event-documentation").hidden = false;
    });
  }

  function wholeNumber(text) {
    if (text === "") return null;
    return /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
  }

  docForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    DOC_TEXTS.forEach(function (name) { body[name] = docForm.elements[name].value.trim() || null; });
    var bad = null;
    DOC_NUMBERS.forEach(function (name) {
      body[name] = wholeNumber(docForm.elements[name].value.trim());
      if (Number.isNaN(body[name]) && !bad) bad = docForm.elements[name];
    });
    if (bad) { say(t("Attendance and duration must be whole numbers of 0 or more."), true); GQ.focus(bad); return; }
    request("PUT", docUrl(selected), body).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      say(t("Documentation saved."));
      document.body.setAttribute("data-documented", selected);
    });
  });

  document.getElementById("open-pdf").addEventListener("click", function () {
    var id = selected;
    var url = cfg.eventsUrl + "/" + encodeURIComponent(id) + "/report-link?lang=" + encodeURIComponent(cfg.lang);
    request("GET", url).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      var pdf = cfg.eventsUrl + "/" + encodeURIComponent(id) + "/report.pdf?lang=" +
        encodeURIComponent(cfg.lang) + "&" + result.data.query;
      document.body.setAttribute("data-pdf-url", pdf);
      if (!window.open(pdf, "_blank", "noopener")) {
        say("");
        var link = el("a", null, t("Open PDF for the funder"));
        link.href = pdf;
        link.target = "_blank";
        message.appendChild(link);
      }
    });
  });

  // ---- wiring ---------------------------------------------------------------------------------
  function signIn() {
    return request("GET", "/staff/me").then(function (result) {
      if (result.status !== 200) { say(failed(result), true); signedOut(); return false; }
      if (result.data.role !== "planner") {
        signedOut();
        say(t("This account may not manage events."), true);
        return false;
      }
      showSignedIn(true);
      return loadEvents().then(function () { return true; });
    });
  }

  Object.keys(buttons).forEach(function (tool) {
    document.getElementById(buttons[tool]).addEventListener("click", function () { startDrawing(tool); });
  });
  session.onSignIn(function () {
    say("");
    signIn().then(function (ok) { if (ok) GQ.focus(document.getElementById("title")); });
  });
  quartierSelect.addEventListener("change", function () { clearForm(); showQuartier(); loadEvents(); });
  document.getElementById("new-event").addEventListener("click", function () { clearForm(); GQ.focus(document.getElementById("title")); });
  document.getElementById("signout").addEventListener("click", signedOut);

  (token() ? signIn() : Promise.resolve(showSignedIn(false))).then(function () {
    document.body.setAttribute("data-ready", "true");
  });
})();
