/* Jury page of the Verfügungsfonds: the staff token lives in sessionStorage only. Every
   proposal with its votes; jury accounts vote, planners decide with the granted amount
   (typed in euros, sent as integer cents) and see the contacts the API gives them. The
   fund's amounts are reloaded after each decision; a grant above the balance shows the
   API's refusal. Texts are shown with textContent. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var session = GQ.staffSession("geoquartier.fundToken", "queue-section");
  var say = GQ.statusLine(document.getElementById("message"));
  var failed = GQ.failedWith(say);
  var queue = document.getElementById("queue");
  var euros = new Intl.NumberFormat(cfg.lang, {style: "currency", currency: "EUR"});
  var EURO = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:€)?\s*$/;
  var role = null, map = null, pins = null, balance = 0;
  var STATES = cfg.stateLabels, VOTES = cfg.voteLabels, APPLICANTS = cfg.applicantLabels;

  function money(cents) { return euros.format(cents / 100); }

  function cents(text) {
    var match = EURO.exec(text || "");
    if (!match) return NaN;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function refusal(result) {
    if (result.status === 401) { session.signOut(); return t("The token was not accepted."); }
    if (result.status === 403) return t("This account may not do this.");
    return t("Action failed: {message}", {message: (result.data && result.data.detail) || result.status});
  }

  function showFund(fund) {
    balance = fund.balance_cents;
    document.getElementById("amount").textContent = money(fund.amount_cents);
    document.getElementById("granted").textContent = money(fund.granted_cents);
    document.getElementById("balance").textContent = money(fund.balance_cents);
    document.body.setAttribute("data-balance", String(fund.balance_cents));
  }

  function line(className, label, text) {
    var node = el("p", className);
    node.appendChild(el("strong", null, label + ": "));
    node.appendChild(document.createTextNode(text));
    return node;
  }

  function voteButtons(p) {
    var box = el("div", "vote-buttons");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", t("Your vote on {title}", {title: p.title}));
    cfg.votes.forEach(function (vote) {
      var button = el("button", "vote vote-" + vote + " secondary", VOTES[vote]);
      button.type = "button";
      button.addEventListener("click", function () {
        var url = cfg.voteUrl.replace("{id}", encodeURIComponent(p.id));
        session.request("POST", url, {vote: vote}).then(function (result) {
          if (result.status !== 200) { say(refusal(result), true); return; }
          say(t("Vote recorded: {vote}", {vote: VOTES[vote]}));
          document.body.setAttribute("data-voted", p.id + ":" + vote);
          load();
        });
      });
      box.appendChild(button);
    });
    return box;
  }

  function labelled(text, control) {
    var label = el("label", null, text);
    label.appendChild(control);
    return label;
  }

  function decisionForm(p) {
    var box = el("div", "decision");
    var decision = el("select", "decision-choice");
    cfg.decisions.forEach(function (d) {
      var option = el("option", null, STATES[d]);
      option.value = d;
      decision.appendChild(option);
    });
    var amount = el("input", "granted-amount");
    amount.type = "text";
    amount.inputMode = "decimal";
    amount.value = String(p.requested_cents / 100).replace(".", cfg.lang === "en" ? "." : ",");
    var note = el("input", "decision-note");
    note.type = "text";
    note.maxLength = 1000;
    var button = el("button", "decide", t("Decide"));
    button.type = "button";
    button.addEventListener("click", function () {
      // cfg.decisions is (granted, refused): only a grant carries an amount
      var granted = decision.value === cfg.decisions[0] ? cents(amount.value) : 0;
      if (isNaN(granted)) { say(t("Please give the granted amount in euros, for example 250."), true); GQ.focus(amount); return; }
      var url = cfg.decisionUrl.replace("{id}", encodeURIComponent(p.id));
      var body = {decision: decision.value, granted_cents: granted, note: note.value.trim() || null};
      session.request("POST", url, body).then(function (result) {
        if (result.status === 409 && granted > balance) {
          say(t("Not granted: the fund has only {balance} left.", {balance: money(balance)}) + " (" + result.data.detail + ")", true);
          document.body.setAttribute("data-refused", p.id);
          return load();
        }
        if (result.status !== 200) { say(refusal(result), true); return; }
        say(t("Decision saved. Still available: {balance}", {balance: money(result.data.balance_cents)}));
        document.body.setAttribute("data-decided", p.id + ":" + result.data.state);
        return load();
      });
    });
    [labelled(t("Decision"), decision), labelled(t("Granted amount in euros"), amount),
     labelled(t("Note for the file (not public)"), note), button].forEach(function (n) { box.appendChild(n); });
    return box;
  }

  function contactLines(p) {
    var box = el("div", "contact");
    box.appendChild(el("strong", null, t("Contact (staff only)")));
    [p.contact_name, p.contact_email, p.contact_phone].forEach(function (v) {
      if (v) box.appendChild(el("div", "contact-value", v));
    });
    if (!p.contact_name && !p.contact_email && !p.contact_phone) box.appendChild(el("div", null, t("No contact given.")));
    return box;
  }

  function card(p) {
    var item = el("li", "annotation proposal");
    item.setAttribute("data-id", p.id);
    var head = el("div", "head");
    head.appendChild(el("strong", "title", p.title));
    head.appendChild(el("span", "state", STATES[p.state]));
    item.appendChild(head);
    item.appendChild(el("p", "text", p.description));
    if (p.place) item.appendChild(line("place", t("Place"), p.place));
    item.appendChild(line("money", t("Requested"), money(p.requested_cents) + " · " + t("Own contribution") + ": " + money(p.own_cents)));
    item.appendChild(line("applicant", t("Applicant"), APPLICANTS[p.applicant_kind]));
    item.appendChild(line("votes-line", t("Votes"), cfg.votes.map(function (v) { return VOTES[v] + " " + p["votes_" + v]; }).join(" · ")));
    if ("contact_email" in p) item.appendChild(contactLines(p));
    if (p.granted_cents > 0) item.appendChild(line("granted", t("Granted"), money(p.granted_cents)));
    if (!p.decided_at && role === "jury") item.appendChild(voteButtons(p));
    if (!p.decided_at && role === "planner") item.appendChild(decisionForm(p));
    return item;
  }

  function showOnMap(rows) {
    if (!map) {
      map = GQ.quartierMap("map").map;
      pins = L.layerGroup().addTo(map);
    }
    pins.clearLayers();
    rows.forEach(function (p) {
      if (p.lat === null || p.lat === undefined) return;
      L.circleMarker([p.lat, p.lon], {radius: 8, color: "#0b4f8a", fillOpacity: 0.7})
        .bindTooltip(el("span", null, p.title)).addTo(pins);
    });
  }

  function load() {
    return session.request("GET", cfg.proposalsUrl).then(function (result) {
      if (result.status !== 200) { say(refusal(result), true); return; }
      showFund(result.data.fund);
      var rows = result.data.proposals;
      queue.textContent = "";
      document.getElementById("count").textContent = t("Proposals: {n}", {n: rows.length});
      if (!rows.length) queue.appendChild(el("li", "empty", t("No proposals yet.")));
      rows.forEach(function (p) { queue.appendChild(card(p)); });
      showOnMap(rows);
      document.body.setAttribute("data-loaded", String(Date.now()));
    }).catch(failed);
  }

  function signIn() {
    say("");
    return session.request("GET", cfg.meUrl).then(function (result) {
      if (result.status !== 200) { say(refusal(result), true); session.signOut(); return; }
      role = result.data.role;
      document.getElementById("whoami").textContent = t("Signed in as {name} ({role})", {name: result.data.name, role: cfg.roleLabels[role] || role});
      document.body.setAttribute("data-role", role);
      session.show(true);
      return load();
    });
  }

  session.onSignIn(signIn);
  document.getElementById("reload").addEventListener("click", load);
  document.getElementById("signout").addEventListener("click", function () {
    queue.textContent = "";
    session.signOut();
  });
  (session.token() ? signIn() : Promise.resolve(session.show(false))).then(function () {
    document.body.setAttribute("data-ready", "true");
  });
})();
