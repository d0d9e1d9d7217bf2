/* Map survey: tap the map, pick a choice (if the survey has any), send. Only the point
   and the choice are sent; the question and choices are shown as text. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, cfg = GQ.config();
  var map = GQ.quartierMap("map").map;
  var form = document.getElementById("survey-form");
  var message = document.getElementById("message");
  var pin = null;

  function say(text, isError) {
    message.textContent = text || "";
    message.className = isError ? "error" : "";
  }

  map.on("click", function (event) {
    if (pin) map.removeLayer(pin);
    pin = L.circleMarker(event.latlng, {radius: 10, color: "#333", fillOpacity: 0.6}).addTo(map);
    document.body.setAttribute("data-pinned", "true");
    say("");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!pin) { say(t("Please mark a place on the map first."), true); return; }
    var body = {geometry: {type: "Point", coordinates: [pin.getLatLng().lng, pin.getLatLng().lat]}};
    var picked = form.querySelector("input[name=choice]:checked");
    if (cfg.hasChoices && !picked) { say(t("What is it?"), true); return; }
    if (picked) body.choice = picked.value;
    say(t("Sending…"));
    GQ.postJSON(cfg.answerUrl, body).then(function (result) {
      if (result.status === 201) {
        say("");
        form.hidden = true;
        document.getElementById("thanks").hidden = false;
        document.body.setAttribute("data-answered", "true");
        GQ.focus(document.querySelector("#thanks .thanks"));
      } else {
        say(t("Sending failed: {message}", {message: result.data.detail || result.status}), true);
      }
    }).catch(function (error) { say(t("Sending failed: {message}", {message: String(error)}), true); });
  });

  document.getElementById("again").addEventListener("click", function () {
    if (pin) { map.removeLayer(pin); pin = null; }
    form.reset();
    form.hidden = false;
    document.getElementById("thanks").hidden = true;
    document.body.removeAttribute("data-answered");
  });
  document.body.setAttribute("data-ready", "true");
})();
