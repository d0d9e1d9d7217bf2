/* Participation page: draw a pin, line or area, choose a kind, write a text, send it. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, cfg = GQ.config();
  var map = GQ.baseMap("map");
  var boundary = L.geoJSON(cfg.boundary, {
    style: {color: "#333", weight: 2, dashArray: "6 4", fill: false}, interactive: false
  }).addTo(map);
  map.fitBounds(boundary.getBounds());
  GQ.streetMap(map, cfg.streetsUrl);

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
  var active = null;
  var shape = null;
  var message = document.getElementById("message");
  var form = document.getElementById("contribution");
  var textArea = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var buttons = {point: "draw-point", line: "draw-line", area: "draw-area"};

  function say(text, isError) {
    message.textContent = text || "";
    message.className = isError ? "error" : "";
  }

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

  function markActive(tool) {
    Object.keys(buttons).forEach(function (k) {
      document.getElementById(buttons[k]).setAttribute("aria-pressed", k === tool ? "true" : "false");
    });
  }

  function chosenKind() {
    var input = form.querySelector("input[name=kind]:checked");
    return input ? input.value : cfg.kinds[0];
  }

  function startDrawing(tool) {
    if (active) active.disable();
    var style = GQ.kindStyle(chosenKind());  // the drawing takes the colour of its kind
    if (tool === "point") active = new L.Draw.Marker(map, {});
    else if (tool === "line") active = new L.Draw.Polyline(map, {shapeOptions: style});
    else active = new L.Draw.Polygon(map, {shapeOptions: style, allowIntersection: false, showArea: false});
    markActive(tool);
    active.enable();
    document.getElementById("map").scrollIntoView({block: "nearest"});  // on phones the form is below
  }

  Object.keys(buttons).forEach(function (tool) {
    document.getElementById(buttons[tool]).addEventListener("click", function () { startDrawing(tool); });
  });
  form.querySelectorAll("input[name=kind]").forEach(function (input) {
    input.addEventListener("change", function () {
      drawn.eachLayer(function (layer) { if (layer.setStyle) layer.setStyle(GQ.kindStyle(chosenKind())); });
    });
  });
  document.getElementById("clear-drawing").addEventListener("click", function () {
    if (active) active.disable();
    active = null; shape = null; drawn.clearLayers(); markActive(null);
  });

  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.clearLayers();
    drawn.addLayer(event.layer);
    shape = event.layer.toGeoJSON().geometry;
    active = null;
    markActive(null);
    document.body.setAttribute("data-drawn", shape.type);
    say("");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!shape) {
      say(t("Please mark a place on the map first."), true);
      GQ.focus(document.getElementById(buttons.point));
      return;
    }
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
      headers: {"Content-Type": "application/json", Accept: "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, data: data};
      });
    }).then(function (result) {
      sendButton.disabled = false;
      if (result.status === 201) {
        say("");
        document.getElementById("echo").textContent = text;
        document.getElementById("thanks").hidden = false;
        form.hidden = true;
        GQ.focus(document.querySelector("#thanks .thanks"));
        document.body.setAttribute("data-submitted", result.data.id || "");
        var receipt = document.getElementById("receipt-link");
        receipt.parentNode.hidden = !result.data.receipt_url;
        if (result.data.receipt_url) receipt.href = result.data.receipt_url + "?lang=" + cfg.lang;
        textArea.value = "";
        drawn.clearLayers();
        shape = null;
      } else if (result.status === 429) {
        say(t("Too many contributions in a short time. Please wait a minute and try again."), true);
      } else {
        say(t("Sending failed: {message}", {message: result.data.detail || result.status}), true);
      }
    }).catch(function (error) {
      sendButton.disabled = false;
      say(t("Sending failed: {message}", {message: String(error)}), true);
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
