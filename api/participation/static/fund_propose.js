/* Verfügungsfonds: a resident or initiative proposes a project. The place is tapped on the
   map (or set at the crosshair with Enter); amounts are typed in euros and sent as
   integer cents; the contact goes only to the office. Texts are shown with textContent. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, cfg = GQ.config();
  var form = document.getElementById("proposal");
  if (!form) { document.body.setAttribute("data-ready", "true"); return; }  // no fund this year
  var quartier = GQ.quartierMap("map");
  var map = quartier.map, mapNode = document.getElementById("map");
  var inside = GQ.boundaryCheck(cfg.boundary, cfg.marginM || 0);
  var say = GQ.statusLine(document.getElementById("message"));
  var note = GQ.statusLine(document.getElementById("drawing-note"));
  var pin = null;
  var EURO = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€)?\s*$/;

  /* "250", "250,5" or "250.50" as integer cents; null when empty, NaN when not a sum. */
  function cents(text) {
    if (!String(text || "").trim()) return null;
    var match = EURO.exec(text);
    if (!match) return NaN;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function setPin(latlng) {
    if (!inside.position([latlng.lng, latlng.lat])) {
      note(t("Please choose a place inside the quartier (dashed line)."), true);
      return;
    }
    if (pin) map.removeLayer(pin);
    pin = L.circleMarker(latlng, {radius: 10, color: "#0b4f8a", weight: 3, fillOpacity: 0.6}).addTo(map);
    document.body.setAttribute("data-pinned", "true");
    note(t("Place marked. Now describe your project."));
    say("");
  }

  map.on("click", function (event) { setPin(event.latlng); });
  mapNode.addEventListener("keydown", function (event) {
    if (event.target !== mapNode || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      setPin(map.getCenter());
    }
  });

  function value(id) { return document.getElementById(id).value.trim(); }

  /* The request body, or a message naming the first field to fix (focus moved there). */
  function body() {
    var requested = cents(value("requested")), own = cents(value("own"));
    var problems = [
      ["title", !value("title"), t("Please give your project a title.")],
      ["description", !value("description"), t("Please describe your project.")],
      ["requested", !(requested > 0), t("Please give the requested amount in euros, for example 250.")],
      ["own", own !== null && isNaN(own), t("Please give your own contribution in euros, for example 50, or leave it empty.")]
    ];
    for (var i = 0; i < problems.length; i++) {
      if (problems[i][1]) { GQ.focus(document.getElementById(problems[i][0])); return problems[i][2]; }
    }
    var out = {
      title: value("title"), description: value("description"), place: value("place") || null,
      requested_cents: requested, own_cents: own || 0,
      applicant_kind: form.querySelector("input[name=applicant_kind]:checked").value
    };
    var contact = {name: value("contact-name") || null, email: value("contact-email") || null,
                   phone: value("contact-phone") || null};
    if (contact.name || contact.email || contact.phone) out.contact = contact;
    if (pin) out.geometry = {type: "Point", coordinates: [pin.getLatLng().lng, pin.getLatLng().lat]};
    return out;
  }

  function refusal(result) {
    var detail = (result.data && result.data.detail) || result.status;
    if (result.status === 429) return t("Too many proposals from this connection. Please try again later.");
    if (typeof detail !== "string") detail = t("Please check your details.");
    return t("Sending failed: {message}", {message: detail});
  }

  function showBalance() {
    return fetch(cfg.fundUrl, {headers: {Accept: "application/json"}}).then(GQ.jsonResult).then(function (result) {
      if (result.status !== 200) return;
      var text = new Intl.NumberFormat(cfg.lang, {style: "currency", currency: "EUR"})
        .format(result.data.balance_cents / 100);
      document.getElementById("thanks-balance").textContent = text;
    }).catch(function () { /* the balance rendered with the page stays */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var payload = body();
    if (typeof payload === "string") { say(payload, true); return; }
    if (!pin) { say(t("Please mark the place of your project on the map first."), true); GQ.focus(mapNode); return; }
    var button = document.getElementById("send");
    button.disabled = true;
    say(t("Sending…"));
    GQ.postJSON(cfg.submitUrl, payload).then(function (result) {
      button.disabled = false;
      if (result.status !== 201) { say(refusal(result), true); return; }
      say("");
      form.hidden = true;
      document.getElementById("thanks").hidden = false;
      document.body.setAttribute("data-submitted", result.data.id);
      showBalance();
      GQ.focus(document.querySelector("#thanks .thanks"));
    }).catch(function () {
      button.disabled = false;
      say(t("Sending failed: no connection to the server. Please check the internet connection and try again."), true);
    });
  });

  document.getElementById("again").addEventListener("click", function () {
    if (pin) { map.removeLayer(pin); pin = null; }
    form.reset();
    form.hidden = false;
    document.getElementById("thanks").hidden = true;
    document.body.removeAttribute("data-submitted");
    document.body.removeAttribute("data-pinned");
    note("");
    GQ.focus(document.getElementById("title"));
  });
  document.body.setAttribute("data-ready", "true");
})();
