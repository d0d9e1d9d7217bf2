/* Written answers of the map surveys: a moderator approves or rejects each one (only
   approved answers are ever shown). The staff token lives in sessionStorage only; the
   answers are shown as text. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var session = GQ.staffSession("geoquartier.moderationToken", "texts-section");
  var say = GQ.statusLine(document.getElementById("message"));
  var list = document.getElementById("texts");
  var quartierSelect = document.getElementById("quartier");
  var statusSelect = document.getElementById("status");
  var countNode = document.getElementById("count");

  function local(texts) { return texts[cfg.lang] || texts.de; }

  function refusal(result) {
    if (result.status === 401) { session.signOut(); return t("The token was not accepted."); }
    if (result.status === 403) return t("This account may not moderate.");
    return t("Action failed: {message}", {message: (result.data && result.data.detail) || result.status});
  }

  function decide(surveyId, answer, verdict, item) {
    session.request("POST", "/surveys/" + encodeURIComponent(surveyId) + "/texts/" +
                    encodeURIComponent(answer.id), {status: verdict}).then(function (result) {
      if (result.status !== 200) { say(refusal(result), true); return; }
      item.remove();
      countNode.textContent = String(list.children.length);
      say(t("Saved."));
      GQ.focus(list.firstElementChild || statusSelect);
    });
  }

  function card(survey, questions, answer) {
    var item = el("li", "annotation");
    item.setAttribute("data-answer", answer.id);
    item.appendChild(el("p", "head", local(survey.title) + " – " + (questions[answer.question] || answer.question)));
    item.appendChild(el("blockquote", "text", answer.text));
    var actions = el("div", "actions");
    [["approved", "Approve", ""], ["rejected", "Reject", "reject"]].forEach(function (a) {
      if (answer.status === a[0]) return;
      var button = el("button", a[2], t(a[1]));
      button.type = "button";
      button.setAttribute("data-verdict", a[0]);
      button.addEventListener("click", function () { decide(survey.id, answer, a[0], item); });
      actions.appendChild(button);
    });
    item.appendChild(actions);
    return item;
  }

  function loadSurvey(survey) {
    var questions = {};
    survey.questions.forEach(function (q) { if (q.type === "text") questions[q.id] = local(q.text); });
    if (!Object.keys(questions).length) return Promise.resolve([]);
    var url = "/surveys/" + encodeURIComponent(survey.id) + "/texts?status=" + statusSelect.value;
    return session.request("GET", url).then(function (result) {
      if (result.status !== 200) throw result;
      return result.data.texts.map(function (answer) { return card(survey, questions, answer); });
    });
  }

  function load() {
    list.textContent = "";
    say("");
    fetch("/quartiers/" + encodeURIComponent(quartierSelect.value) + "/surveys")
      .then(GQ.jsonResult)
      .then(function (result) { return Promise.all((result.data.surveys || []).map(loadSurvey)); })
      .then(function (cards) {
        cards.forEach(function (items) { items.forEach(function (item) { list.appendChild(item); }); });
        countNode.textContent = String(list.children.length);
        document.body.setAttribute("data-loaded", "true");
      })
      .catch(function (result) { say(result && result.status ? refusal(result) : String(result), true); });
  }

  session.onSignIn(function () { session.show(true); load(); });
  document.getElementById("signout").addEventListener("click", session.signOut);
  document.getElementById("reload").addEventListener("click", load);
  quartierSelect.addEventListener("change", load);
  statusSelect.addEventListener("change", load);
  if (session.token()) { session.show(true); load(); } else { session.show(false); }
  document.body.setAttribute("data-ready", "true");
})();
