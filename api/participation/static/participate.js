/* Participation page: find one's place (address search, boundary, offices, named streets),
   draw a pin, line or area (mouse, touch, or keyboard with the crosshair), choose a kind,
   write a text, send it. Refusals are shown in the page language from the answer's code. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, cfg = GQ.config();
  var LABEL_ZOOM = 17;  // street names as labels from this zoom on (tooltips always)
  var map = GQ.baseMap("map");
  var boundary = L.geoJSON(cfg.boundary, {
    style: {color: "#0050c8", weight: 3, fill: false}, interactive: false
  }).addTo(map);
  map.fitBounds(boundary.getBounds());
  GQ.namedStreets(map, cfg.streetsUrl, LABEL_ZOOM);
  GQ.officeLayer(cfg.offices).addTo(map);
  var inside = GQ.boundaryCheck(cfg.boundary, cfg.marginM || 0);
  GQ.map = map;  // for tests and the browser console

  L.drawLocal.draw.handlers.marker.tooltip.start = t("Click on the map to place the pin.");
  L.drawLocal.draw.handlers.polyline.tooltip.start = t("Click to start drawing the line.");
  L.drawLocal.draw.handlers.polyline.tooltip.cont = t("Click to continue drawing the line.");
  L.drawLocal.draw.handlers.polyline.tooltip.end = t("Click the last point to finish the line.");
  L.drawLocal.draw.handlers.polygon.tooltip.start = t("Click to start drawing the area.");
  L.drawLocal.draw.handlers.polygon.tooltip.cont = t("Click to continue drawing the area.");
  L.drawLocal.draw.handlers.polygon.tooltip.end = t("Click the first point to close the area.");
  L.drawLocal.draw.handlers.polyline.error =
    "<strong>" + GQ.escapeHtml(t("The edges of an area must not cross.")) + "</strong>";
  // leaflet-draw 1.0.4 counts one click twice where the browser sends both pointer and
  // touch events (Chromium): a line or area then ends after its second point
  // (Leaflet.draw issues #789 and #935). Leaflet already turns taps into clicks.
  L.Draw.Polyline.prototype._onTouch = L.Util.falseFn;

  var approved = L.layerGroup().addTo(map);
  var drawn = new L.FeatureGroup().addTo(map);
  var active = null, activeTool = null;
  var shape = null;
  var lastSent = null, idempotencyKey = null;
  var say = GQ.statusLine(document.getElementById("message"));
  var tell = GQ.statusLine(document.getElementById("drawing-note"));
  var form = document.getElementById("contribution");
  var textArea = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var finishButton = document.getElementById("finish-drawing");
  var mapNode = document.getElementById("map");
  var buttons = {point: "draw-point", line: "draw-line", area: "draw-area"};

  // ---- what a refusal means for the resident -------------------------------------------
  var OUTSIDE = {
    Point: "The point lies outside the quartier. Please place it inside the blue line.",
    LineString: "The line runs outside the quartier. Please draw it inside the blue line.",
    Polygon: "The area reaches outside the quartier. Please draw it inside the blue line."
  };
  var BY_CODE = {
    invalid_geometry: "The drawing cannot be used. Please remove it and draw it again.",
    too_many_vertices: "The drawing has too many corners (at most {max_vertices}). Please draw a simpler shape.",
    line_too_long: "The line is too long ({length_m} m; at most {max_length_m} m). Please draw a shorter line.",
    area_too_large: "The area is too large. Please draw a smaller area.",
    text_empty: "Please write a text.",
    text_too_long: "Your text is too long ({chars} characters; at most {max_chars}). Please shorten it.",
    unknown_kind: "Please choose what kind of contribution it is.",
    unknown_language: "Please choose the language of your text from the list.",
    unknown_event: "The event of this link is not known. Please open the participation page again.",
    idempotency_conflict: "Please send your contribution again.",
    too_many_submissions: "Too many contributions in a short time. Please wait a minute and try again.",
    unknown_quartier: "This quartier is not known. Please check the link.",
    body_too_large: "Your contribution is too long. Please shorten the text or draw a simpler shape."
  };
  var FIELD_OF_CODE = {text_empty: textArea, text_too_long: textArea, unknown_language: "language"};

  /* The translated message of a refused submission (answer body data, HTTP status). */
  function refusal(data, status) {
    var code = data.code;
    if (code === "outside_quartier") { return t(OUTSIDE[shape ? shape.type : "Point"]); }
    if (code && BY_CODE[code]) { return t(BY_CODE[code], data.params || {}); }
    if (status === 413) { return t(BY_CODE.body_too_large); }
    if (status === 429) { return t(BY_CODE.too_many_submissions); }
    if (status >= 500) { return t("The server could not store your contribution. Please try again later."); }
    return t("Your contribution could not be accepted. Please check your entries and try again.");
  }

  function focusFor(code) {
    var field = FIELD_OF_CODE[code];
    if (field === "language") { field = document.getElementById("language"); }
    if (field) { GQ.focus(field); }
    else if (code && code !== "too_many_submissions") { GQ.focus(document.getElementById(buttons.point)); }
  }

  // ---- approved contributions -----------------------------------------------------------------
  function loadApproved() {
    fetch(cfg.approvedUrl, {headers: {Accept: "application/geo+json, application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        approved.clearLayers();
        GQ.annotationLayer(data).addTo(approved);
      })
      .catch(function () { /* the map stays usable without the approved layer */ });
  }

  // ---- drawing ---------------------------------------------------------------------------------
  function markActive(tool) {
    activeTool = tool;
    Object.keys(buttons).forEach(function (k) {
      document.getElementById(buttons[k]).setAttribute("aria-pressed", k === tool ? "true" : "false");
    });
    finishButton.hidden = !(tool === "line" || tool === "area");
  }

  function chosenKind() {
    var input = form.querySelector("input[name=kind]:checked");
    return input ? input.value : cfg.kinds[0];
  }

  function stopDrawing() {
    if (active) active.disable();
    active = null;
    markActive(null);
  }

  function startDrawing(tool) {
    if (active) active.disable();
    var style = GQ.kindStyle(chosenKind());  // the drawing takes the colour of its kind
    if (tool === "point") active = new L.Draw.Marker(map, {});
    else if (tool === "line") active = new L.Draw.Polyline(map, {shapeOptions: style});
    else active = new L.Draw.Polygon(map, {shapeOptions: style, allowIntersection: false, showArea: false});
    markActive(tool);
    active.enable();
    mapNode.scrollIntoView({block: "nearest"});  // on phones the form is below
  }

  Object.keys(buttons).forEach(function (tool) {
    document.getElementById(buttons[tool]).addEventListener("click", function () { startDrawing(tool); });
  });
  finishButton.addEventListener("click", function () {
    if (active && active.completeShape) active.completeShape();
  });
  form.querySelectorAll("input[name=kind]").forEach(function (input) {
    input.addEventListener("change", function () {
      drawn.eachLayer(function (layer) { if (layer.setStyle) layer.setStyle(GQ.kindStyle(chosenKind())); });
    });
  });
  document.getElementById("clear-drawing").addEventListener("click", function () {
    stopDrawing();
    shape = null;
    drawn.clearLayers();
    document.body.removeAttribute("data-drawn");
    document.body.removeAttribute("data-outside");
    tell(t("Drawing removed."));
  });

  /* The drawn shape replaces any earlier one (one place per contribution): say so. */
  function keep(layer) {
    var before = shape ? shape.type : null;
    drawn.clearLayers();
    drawn.addLayer(layer);
    shape = layer.toGeoJSON().geometry;
    stopDrawing();
    document.body.setAttribute("data-drawn", shape.type);
    say("");
    if (!inside.geometry(shape)) {
      document.body.setAttribute("data-outside", "true");
      tell(t(OUTSIDE[shape.type]), true);
      return;
    }
    document.body.removeAttribute("data-outside");
    if (before && before !== shape.type) {
      tell(t("Only one place per contribution: the earlier drawing ({old}) was replaced by the new one ({new}).",
        {old: GQ.geometryLabel(before), new: GQ.geometryLabel(shape.type)}));
    } else if (before) {
      tell(t("Your earlier drawing was replaced by the new one."));
    } else {
      tell(t("Place marked. Now choose the kind and write your text."));
    }
  }

  map.on(L.Draw.Event.CREATED, function (event) { keep(event.layer); });
  map.on(L.Draw.Event.DRAWVERTEX, function (event) {
    var latlngs = event.layers.getLayers().map(function (m) { return m.getLatLng(); });
    var last = latlngs[latlngs.length - 1];
    if (last && !inside.position([last.lng, last.lat])) {
      tell(t(OUTSIDE[activeTool === "area" ? "Polygon" : "LineString"]), true);
    } else {
      tell("");
    }
  });

  // leaflet-draw 1.0.4 in Chromium does not end a line when its last point is clicked
  // again (nor an area at its first point): it adds a corner there instead. End the
  // drawing here, as the drawing tooltips promise (the doubled corner is taken back).
  var cornersAtPress = 0;
  function drawingShape() { return active && (activeTool === "line" || activeTool === "area"); }
  function pixels(a, b) { return map.latLngToContainerPoint(a).distanceTo(map.latLngToContainerPoint(b)); }
  mapNode.addEventListener("pointerdown", function () {
    cornersAtPress = drawingShape() ? (active._markers || []).length : 0;
  }, true);
  mapNode.addEventListener("click", function (event) {
    if (!drawingShape()) return;
    var points = active._markers || [];
    var added = points.length > cornersAtPress;
    var before = added ? points.slice(0, -1) : points;
    var target = activeTool === "line" ? before[before.length - 1] : before[0];
    if (!target || before.length < (activeTool === "line" ? 2 : 3)) return;
    var at = map.containerPointToLatLng(map.mouseEventToContainerPoint(event));
    if (pixels(at, target.getLatLng()) > 10) return;
    if (added) active.deleteLastVertex();
    if (activeTool === "line") active.completeShape();
    else active._finishShape();
  }, true);

  // ---- keyboard: crosshair at the map centre ---------------------------------------------------
  function placeAtCrosshair() {
    var centre = map.getCenter();
    if (activeTool === "line" || activeTool === "area") {
      var points = active._markers || [];
      var last = points.length ? points[points.length - 1].getLatLng() : null;
      if (last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(centre)) < 3) {
        if (activeTool === "area" && points.length >= 3) active._finishShape();
        else active.completeShape();
      } else {
        active.addVertex(centre);
        tell(t("Corner set. Move the map and press Enter for the next corner, or twice to finish."));
      }
      return;
    }
    keep(L.marker(centre));
  }

  mapNode.addEventListener("keydown", function (event) {
    if (event.target !== mapNode || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      placeAtCrosshair();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (map._popup && map.hasLayer(map._popup)) {
      map.closePopup();
      GQ.focus(mapNode, true);
    } else if (active) {
      stopDrawing();
      tell(t("Drawing stopped."));
    }
    var results = document.getElementById("address-results");
    if (!results.hidden) { results.hidden = true; GQ.focus(document.getElementById("address")); }
  });

  // ---- address search ---------------------------------------------------------------------------
  var search = document.getElementById("address-search");
  var results = document.getElementById("address-results");
  var addressInput = document.getElementById("address");
  var searchMarker = null;

  function centreOn(match) {
    map.setView([match.lat, match.lon], 18);
    if (searchMarker) searchMarker.remove();
    searchMarker = L.circleMarker([match.lat, match.lon], {
      radius: 10, color: "#1a1a1a", weight: 2, dashArray: "3 3", fill: false, interactive: false
    }).addTo(map);
    results.hidden = true;
    tell(t("Map centred on {address}. Press Enter on the map to set the pin there.", {address: match.label}));
    GQ.focus(mapNode, true);
  }

  function showMatches(matches) {
    results.textContent = "";
    if (!matches.length) {
      results.appendChild(GQ.el("li", "none", t("No address found. Try only the street name.")));
    }
    matches.forEach(function (match) {
      var item = GQ.el("li");
      var button = GQ.el("button", "secondary", match.label);
      button.type = "button";
      button.addEventListener("click", function () { centreOn(match); });
      item.appendChild(button);
      results.appendChild(item);
    });
    results.hidden = false;
    var first = results.querySelector("button");
    if (first) GQ.focus(first);
  }

  search.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = addressInput.value.trim();
    if (!q) { GQ.focus(addressInput); return; }
    fetch(cfg.addressesUrl + "?limit=8&q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {matches: []}; })
      .then(function (data) { showMatches(data.matches || []); })
      .catch(function () { showMatches([]); });
  });

  // ---- tiles that fail: the offline street map is shown --------------------------------------------
  GQ.onTileFailure(map, function () {
    document.getElementById("tile-notice").hidden = false;
    document.body.setAttribute("data-tiles", "failed");
  });

  // ---- sending ------------------------------------------------------------------------------------------
  /* One Idempotency-Key per filled-in form: a retry of the same body repeats safely. */
  function keyFor(body) {
    var text = JSON.stringify(body);
    if (text !== lastSent || !idempotencyKey) {
      lastSent = text;
      idempotencyKey = window.crypto && crypto.randomUUID ? crypto.randomUUID()
        : String(Date.now()) + "-" + Math.random().toString(36).slice(2);
    }
    return idempotencyKey;
  }

  function refuse(text, code) {
    say(text, true);
    document.body.setAttribute("data-refused", code || "");
    focusFor(code);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!shape) {
      say(t("Please mark a place on the map first."), true);
      GQ.focus(document.getElementById(buttons.point));
      return;
    }
    if (!inside.geometry(shape)) { refuse(t(OUTSIDE[shape.type]), "outside_quartier"); return; }
    var text = textArea.value.trim();
    if (!text) { say(t("Please write a text."), true); GQ.focus(textArea); return; }
    var body = {
      geometry: shape,
      kind: chosenKind(),
      text: text,
      language: document.getElementById("language").value
    };
    if (cfg.eventId) body.event_id = cfg.eventId;
    sendButton.disabled = true;
    say(t("Sending…"));
    fetch(cfg.submitUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": keyFor(body)},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, data: data};
      });
    }).then(function (result) {
      sendButton.disabled = false;
      if (result.status === 201) {
        say("");
        tell("");
        document.getElementById("echo").textContent = text;
        document.getElementById("thanks").hidden = false;
        form.hidden = true;
        GQ.focus(document.querySelector("#thanks .thanks"));
        document.body.setAttribute("data-submitted", result.data.id || "");
        document.body.removeAttribute("data-refused");
        var receipt = document.getElementById("receipt-link");
        receipt.parentNode.hidden = !result.data.receipt_url;
        if (result.data.receipt_url) receipt.href = result.data.receipt_url + "?lang=" + cfg.lang;
        textArea.value = "";
        drawn.clearLayers();
        shape = null;
        lastSent = null;
        document.body.removeAttribute("data-drawn");
      } else {
        refuse(refusal(result.data || {}, result.status), (result.data || {}).code);
      }
    }).catch(function () {
      sendButton.disabled = false;
      refuse(t("Sending failed: no connection to the server. Please check the internet connection and try again."), "");
    });
  });

  document.getElementById("again").addEventListener("click", function () {
    document.getElementById("thanks").hidden = true;
    form.hidden = false;
    document.body.removeAttribute("data-submitted");
    GQ.focus(document.getElementById(buttons.point));
    loadApproved();
  });

  loadApproved();
  document.body.setAttribute("data-ready", "true");
})();
