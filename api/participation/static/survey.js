/* Map survey: every question of the form. Place and route questions have their own map:
   tap or click sets the place or the next route point; with the keyboard, move the map with
   the arrow keys and press Enter (or the button "Set a point at the cross") to set a point
   at the cross in the middle. Sends {answers: {question id: value}} once; answers the
   server refuses are named by their question number. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, cfg = GQ.config();
  var form = document.getElementById("survey-form");
  if (!form) { document.body.setAttribute("data-ready", "true"); return; }
  var say = GQ.statusLine(document.getElementById("message"));
  var numbers = {};
  var drawings = {};

  /* A place or route question: its map, the points set, and how they are drawn. */
  function MapQuestion(question, fieldset) {
    var self = this;
    this.question = question;
    this.points = [];
    this.state = fieldset.querySelector(".map-state");
    this.map = GQ.quartierMap("map-" + question.id).map;
    this.map.doubleClickZoom.disable();  // quick clicks set route points, they do not zoom
    this.layer = L.layerGroup().addTo(this.map);
    this.map.on("click", function (event) { self.add(event.latlng); });
    var node = this.map.getContainer();
    node.addEventListener("keydown", function (event) {
      if (event.target !== node || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        self.add(self.map.getCenter());
      }
    });
    fieldset.querySelectorAll("button[data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.getAttribute("data-action");
        if (action === "add") self.add(self.map.getCenter());
        else if (action === "undo") self.points.pop();
        else self.points = [];
        self.draw();
      });
    });
  }
  MapQuestion.prototype.isRoute = function () { return this.question.type === "route"; };
  MapQuestion.prototype.add = function (latlng) {
    if (!this.isRoute()) this.points = [];
    if (this.points.length >= cfg.maxRoutePoints) return;
    this.points.push(latlng);
    this.draw();
  };
  MapQuestion.prototype.draw = function () {
    var layer = this.layer;
    layer.clearLayers();
    if (this.isRoute() && this.points.length > 1) {
      L.polyline(this.points, {color: "#0b4f8a", weight: 5, opacity: 0.8}).addTo(layer);
    }
    this.points.forEach(function (p) {
      L.circleMarker(p, {radius: 9, color: "#fff", weight: 3, fillColor: "#0b4f8a", fillOpacity: 1}).addTo(layer);
    });
    var n = this.points.length;
    var text = "";
    if (n && this.isRoute()) text = t("Route: {n} points.", {n: n});
    else if (n) text = t("Place set.");
    this.state.textContent = text;
    var fieldset = document.getElementById("q-" + this.question.id);
    fieldset.setAttribute("data-points", String(n));
  };
  MapQuestion.prototype.value = function () {
    if (!this.points.length) return null;
    var xy = this.points.map(function (p) { return [p.lng, p.lat]; });
    return this.isRoute() ? {type: "LineString", coordinates: xy} : {type: "Point", coordinates: xy[0]};
  };
  MapQuestion.prototype.reset = function () { this.points = []; this.draw(); };

  cfg.questions.forEach(function (q) {
    var fieldset = document.getElementById("q-" + q.id);
    numbers[q.id] = fieldset.getAttribute("data-number");
    if (q.type === "point" || q.type === "route") drawings[q.id] = new MapQuestion(q, fieldset);
  });

  function valueOf(q) {
    if (drawings[q.id]) return drawings[q.id].value();
    if (q.type === "text") {
      var text = form.querySelector("textarea[name='" + q.id + "']").value.trim();
      return text || null;
    }
    var picked = Array.prototype.map.call(
      form.querySelectorAll("input[name='" + q.id + "']:checked"), function (i) { return i.value; });
    if (q.type === "single") return picked.length ? picked[0] : null;
    return picked.length ? picked : null;
  }

  /* The first problem the page can see itself, in the page language; null if none. */
  function problem(q, value) {
    var n = numbers[q.id];
    if (value === null) return q.required ? t("Question {n}: please answer this question.", {n: n}) : null;
    if (q.type === "multiple" && value.length > q.max_choices) {
      return t("Question {n}: choose at most {max} options.", {n: n, max: q.max_choices});
    }
    if (q.type === "route" && value.coordinates.length < cfg.minRoutePoints) {
      return t("Question {n}: a route needs at least {min} points.", {n: n, min: cfg.minRoutePoints});
    }
    return null;
  }

  function refused(data, status) {
    var p = data.params || {}, n = numbers[p.question];
    var known = {
      too_many_choices: "Question {n}: choose at most {max} options.",
      text_too_long: "Question {n}: the text is too long ({chars} of at most {max} characters).",
      route_too_short: "Question {n}: a route needs at least {min} points.",
      outside_quartier: "Question {n}: the place lies outside the quartier.",
      answer_required: "Question {n}: please answer this question.",
      implausible_route: "Question {n}: two points of the route are too far apart; set more points along the way.",
      too_many_vertices: "Question {n}: the route has too many points (at most {max})."
    };
    if (data.code === "already_answered") return t("You have already answered this survey. Thank you!");
    if (n && known[data.code]) {
      var most = p.max_choices || p.max_chars || p.max_vertices;
      return t(known[data.code], {n: n, max: most, chars: p.chars, min: cfg.minRoutePoints});
    }
    return t("Sending failed: {message}", {message: data.detail || status});
  }

  function finished() {
    say("");
    form.hidden = true;
    document.getElementById("thanks").hidden = false;
    document.getElementById("again").hidden = !cfg.again;
    document.body.setAttribute("data-answered", "true");
    GQ.focus(document.getElementById("thanks-text"));
  }

  form.addEventListener("change", function () { say(""); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var answers = {}, first = null;
    cfg.questions.forEach(function (q) {
      var value = valueOf(q);
      first = first || problem(q, value);
      if (value !== null) answers[q.id] = value;
    });
    if (!first && !Object.keys(answers).length) first = t("Please answer at least one question.");
    if (first) { say(first, true); return; }
    say(t("Sending…"));
    GQ.postJSON(cfg.answerUrl, {answers: answers}).then(function (result) {
      if (result.status === 201) finished();
      else say(refused(result.data, result.status), true);
    }).catch(function (error) { say(t("Sending failed: {message}", {message: String(error)}), true); });
  });

  document.getElementById("again").addEventListener("click", function () {
    Object.keys(drawings).forEach(function (id) { drawings[id].reset(); });
    form.reset();
    form.hidden = false;
    document.getElementById("thanks").hidden = true;
    document.body.removeAttribute("data-answered");
  });
  document.body.setAttribute("data-ready", "true");
})();
