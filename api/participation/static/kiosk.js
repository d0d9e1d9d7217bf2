/* Kiosk: tap the map, tap a kind, optionally write, send; the page resets itself after
   each contribution and after a while without a touch. Kinds, colours and timings come
   from the page config; texts are shown with textContent only. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, cfg = GQ.config();
  var quartierMap = GQ.quartierMap("map"), map = quartierMap.map, boundary = quartierMap.outline;

  var form = document.getElementById("kiosk-form");
  var textArea = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var say = GQ.statusLine(document.getElementById("message"));
  var thanks = document.getElementById("thanks");
  var kindButtons = Array.prototype.slice.call(document.querySelectorAll("button.kind"));
  var pin = null, kind = null, idleTimer = null, thanksTimer = null, key = null;

  function newKey() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  function dirty() { return Boolean(pin || kind || textArea.value); }

  function reset(reason) {
    if (pin) { map.removeLayer(pin); pin = null; }
    kind = null;
    key = newKey();
    textArea.value = "";
    kindButtons.forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    say("");
    thanks.hidden = true;
    form.hidden = false;
    sendButton.disabled = false;
    map.fitBounds(boundary.getBounds());
    document.body.setAttribute("data-state", "ready");
    document.body.setAttribute("data-reset", reason || "start");
  }

  function touched() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { if (dirty()) reset("idle"); }, cfg.idleResetS * 1000);
  }

  function refreshCount() {
    fetch(cfg.countUrl, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.getElementById("count").textContent = t("Contributions so far: {n}", {n: data.count});
        document.body.setAttribute("data-count", String(data.count));
      })
      .catch(function () { /* offline: keep the last count */ });
  }

  kindButtons.forEach(function (button) {
    var colour = cfg.kindColours[button.getAttribute("data-kind")];
    button.style.borderColor = colour;
    button.style.borderWidth = "4px";
    button.addEventListener("click", function () {
      kind = button.getAttribute("data-kind");
      kindButtons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      if (pin) pin.setStyle(GQ.kindStyle(kind));
    });
  });

  map.on("click", function (event) {
    if (pin) map.removeLayer(pin);
    pin = L.circleMarker(event.latlng, Object.assign({radius: 14, fillOpacity: 0.8},
      GQ.kindStyle(kind || cfg.kioskKinds[0]))).addTo(map);
    document.body.setAttribute("data-pinned", "true");
    say("");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!pin) { say(t("Please mark a place on the map first."), true); return; }
    if (!kind) { say(t("What is it?"), true); return; }
    var latlng = pin.getLatLng();
    var text = textArea.value.trim() || cfg.kindLabels[kind];  // the text is optional here
    var body = {geometry: {type: "Point", coordinates: [latlng.lng, latlng.lat]},
                kind: kind, text: text, language: cfg.lang};
    if (cfg.eventId) body.event_id = cfg.eventId;
    sendButton.disabled = true;
    say(t("Sending…"));
    GQ.postJSON(cfg.submitUrl, body, {"Idempotency-Key": key}).then(function (result) {
      sendButton.disabled = false;
      if (result.status === 201) {
        // no receipt link on a shared screen
        form.hidden = true;
        thanks.hidden = false;
        document.body.setAttribute("data-state", "thanks");
        document.body.setAttribute("data-submitted", result.data.id || "");
        refreshCount();
        clearTimeout(thanksTimer);
        thanksTimer = setTimeout(function () { reset("sent"); }, cfg.thanksS * 1000);
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

  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, touched, true);
  });
  reset("start");
  refreshCount();
  setInterval(refreshCount, cfg.countPollS * 1000);
  touched();
  document.body.setAttribute("data-ready", "true");
})();
