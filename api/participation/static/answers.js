/* Public answers page: staff give approved contributions a public status and answer.
   The token lives in sessionStorage only (shared with the moderation page); every text is
   shown with textContent. Statuses and their labels come from the page config. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var session = GQ.staffSession("geoquartier.moderationToken", "queue-section");
  var say = GQ.statusLine(document.getElementById("message"));
  var failed = GQ.failedWith(say);
  var queue = document.getElementById("queue");


  function labelled(text, control) {
    var label = el("label", null, text);
    label.appendChild(control);
    return label;
  }

  function select(values, labels, current) {
    var node = el("select");
    values.forEach(function (value) {
      var option = el("option", null, labels[value] || value);
      option.value = value;
      option.selected = value === current;
      node.appendChild(option);
    });
    return node;
  }

  function form(p) {
    var box = el("div", "actions");
    var status = select(cfg.feedbackStatuses, cfg.feedbackLabels, p.feedback_status);
    status.className = "feedback-status";
    var answer = el("textarea", "answer");
    answer.maxLength = cfg.maxAnswerChars;
    answer.rows = 3;
    answer.value = p.answer || "";
    var languages = p.language && p.language !== "de" ? ["de", p.language] : ["de"];
    var language = select(languages, {}, p.answer_language || p.language || "de");
    language.className = "answer-language";
    var measure = el("input", "measure");
    measure.maxLength = 64;
    measure.value = p.measure_id || "";
    var scenario = el("input", "scenario");
    scenario.maxLength = 64;
    scenario.value = p.scenario_id || "";
    var save = el("button", "save", t("Save"));
    save.type = "button";
    save.addEventListener("click", function () {
      var body = {status: status.value, answer: answer.value.trim() || null,
                  answer_language: language.value,
                  measure_id: measure.value.trim() || null,
                  scenario_id: scenario.value.trim() || null};
      send(p.id, body);
    });
    [labelled(t("Status"), status), labelled(t("Answer"), answer),
     labelled(t("Answer language"), language), labelled(t("Measure id"), measure),
     labelled(t("Scenario id"), scenario), save].forEach(function (n) { box.appendChild(n); });
    return box;
  }

  function card(feature) {
    var p = feature.properties;
    var item = el("li", "annotation");
    item.setAttribute("data-id", p.id);
    var head = el("div", "head");
    head.appendChild(el("strong", "kind", GQ.kindLabel(p.kind)));
    head.appendChild(el("span", "state", cfg.feedbackLabels[p.feedback_status]));
    item.appendChild(head);
    item.appendChild(el("p", "text", p.text));
    item.appendChild(el("p", "submitted", t("Submitted") + ": " + GQ.formatTimestamp(p.created_at)));
    item.appendChild(form(p));
    return item;
  }

  function refusal(result) {
    if (result.status === 401 || result.status === 403) {
      session.signOut();
      return t("The token was not accepted.");
    }
    return t("Action failed: {message}", {message: (result.data && result.data.detail) || result.status});
  }

  function send(id, body) {
    session.request("POST", cfg.feedbackUrl.replace("{id}", encodeURIComponent(id)), body).then(function (result) {
      if (result.status !== 200) { say(refusal(result), true); return; }
      var item = queue.querySelector('li[data-id="' + CSS.escape(id) + '"]');
      if (item) item.querySelector(".state").textContent = cfg.feedbackLabels[result.data.feedback_status];
      say(t("Saved."));
      document.body.setAttribute("data-answered", id + ":" + result.data.feedback_status);
    }).catch(failed);
  }

  function load() {
    say("");
    // The list is public; the token is checked with the first save (and by the log route).
    return session.request("GET", cfg.checkUrl).then(function (check) {
      if (check.status !== 404) { say(refusal(check), true); return; }
      return fetch(cfg.listUrl, {headers: {Accept: "application/json"}}).then(function (r) {
        return r.json();
      }).then(function (data) {
        session.show(true);
        queue.textContent = "";
        var features = data.features || [];
        document.getElementById("count").textContent = t("Contributions: {n}", {n: features.length});
        if (!features.length) queue.appendChild(el("li", "empty", t("No contributions in this list.")));
        features.forEach(function (f) { queue.appendChild(card(f)); });
        document.body.setAttribute("data-loaded", "true");
      });
    }).catch(failed);
  }

  session.onSignIn(load);
  document.getElementById("reload").addEventListener("click", load);
  document.getElementById("signout").addEventListener("click", function () {
    queue.textContent = "";
    session.signOut();
  });
  if (session.token()) load(); else session.show(false);
  document.body.setAttribute("data-ready", "true");
})();
