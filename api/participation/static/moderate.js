/* Moderation page: the staff token lives in sessionStorage only; texts shown as text. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var KEY = "geoquartier.moderationToken";
  var message = document.getElementById("message");
  var queue = document.getElementById("queue");
  var statusSelect = document.getElementById("status");
  var map = null, layer = null;

  function say(text, isError) {
    message.textContent = text || "";
    message.className = isError ? "error" : "";
  }
  function token() { return sessionStorage.getItem(KEY); }

  function request(method, url, body) {
    var headers = {Authorization: "Bearer " + token(), Accept: "application/json"};
    var init = {method: method, headers: headers};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, data: data};
      });
    });
  }

  function showSignedIn(signedIn) {
    document.getElementById("signin").hidden = signedIn;
    document.getElementById("queue-section").hidden = !signedIn;
  }
  function signedOut() {
    sessionStorage.removeItem(KEY);
    showSignedIn(false);
    GQ.focus(document.getElementById("token"));
  }

  function refusal(status, data) {
    if (status === 401) {
      signedOut();
      return t("The token was not accepted.");
    }
    if (status === 403) {
      signedOut();
      return t("This account may not moderate.");
    }
    return t("Action failed: {message}", {message: (data && data.detail) || status});
  }

  function ensureMap() {
    if (map) return;
    map = GQ.baseMap("map");
    map.setView([51.2, 10.4], 6);
  }

  function field(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(el("dt", null, label));
    list.appendChild(el("dd", null, value));
  }

  function card(feature) {
    var p = feature.properties;
    var item = el("li", "annotation");
    item.setAttribute("data-id", p.id);
    var head = el("div", "head");
    head.appendChild(el("strong", "kind", GQ.kindLabel(p.kind)));
    head.appendChild(el("span", "geometry", GQ.geometryLabel(feature.geometry.type)));
    item.appendChild(head);
    item.appendChild(el("p", "text", p.text));
    var facts = el("dl");
    field(facts, t("Quartier"), p.quartier);
    field(facts, t("Language"), p.language);
    field(facts, t("Event"), p.event_id);
    field(facts, t("Submitted"), GQ.formatTimestamp(p.created_at));
    field(facts, t("Status"), t(p.status.charAt(0).toUpperCase() + p.status.slice(1)));
    field(facts, t("Decided"), p.decided_at && GQ.formatTimestamp(p.decided_at));
    field(facts, t("Reason"), p.reason);
    item.appendChild(facts);

    var actions = el("div", "actions");
    if (p.status !== "approved") {
      var approve = el("button", "approve", t("Approve"));
      approve.type = "button";
      approve.addEventListener("click", function () { decide(p.id, "approve", undefined, item); });
      actions.appendChild(approve);
    }
    if (p.status !== "rejected") {
      var reasonLabel = el("label", null, t("Reason for rejection"));
      var reason = el("input", "reason");
      reason.type = "text";
      reason.maxLength = 1000;
      reasonLabel.appendChild(reason);
      var reject = el("button", "reject", t("Reject"));
      reject.type = "button";
      reject.addEventListener("click", function () {
        var why = reason.value.trim();
        if (!why) { say(t("Please give a reason for the rejection."), true); reason.focus(); return; }
        decide(p.id, "reject", {reason: why}, item);
      });
      actions.appendChild(reasonLabel);
      actions.appendChild(reject);
    }
    item.appendChild(actions);
    item.addEventListener("mouseenter", function () { highlight(p.id); });
    return item;
  }

  function highlight(id) {
    if (!layer) return;
    layer.eachLayer(function (l) {
      if (l.feature && l.feature.properties.id === id) l.openPopup();
    });
  }

  function load() {
    say("");
    var url = cfg.queueUrl + "?status=" + encodeURIComponent(statusSelect.value) + "&limit=200";
    return request("GET", url).then(function (result) {
      if (result.status !== 200) { say(refusal(result.status, result.data), true); return; }
      showSignedIn(true);
      ensureMap();
      queue.textContent = "";
      var features = result.data.features || [];
      document.getElementById("count").textContent =
        t("Contributions: {n}", {n: result.data.numberMatched || features.length});
      if (!features.length) queue.appendChild(el("li", "empty", t("No contributions in this list.")));
      features.forEach(function (f) { queue.appendChild(card(f)); });
      if (layer) map.removeLayer(layer);
      layer = GQ.annotationLayer({type: "FeatureCollection", features: features}).addTo(map);
      if (features.length) map.fitBounds(layer.getBounds(), {maxZoom: 17, padding: [20, 20]});
      map.invalidateSize();
      document.body.setAttribute("data-loaded", statusSelect.value);
    }).catch(function (error) { say(t("Action failed: {message}", {message: String(error)}), true); });
  }

  function decide(id, action, body, item) {
    var url = cfg.queueUrl + "/" + encodeURIComponent(id) + "/" + action;
    request("POST", url, body).then(function (result) {
      if (result.status !== 200) { say(refusal(result.status, result.data), true); return; }
      say(t(action === "approve" ? "Approved" : "Rejected") + ": " + result.data.properties.text);
      var next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      GQ.focus(next || message);  // the focused button is gone: go on with the next card
      if (layer) layer.eachLayer(function (l) {
        if (l.feature && l.feature.properties.id === id) layer.removeLayer(l);
      });
      document.body.setAttribute("data-decided", id);
    }).catch(function (error) { say(t("Action failed: {message}", {message: String(error)}), true); });
  }

  document.getElementById("signin").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = document.getElementById("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(KEY, value);
    document.getElementById("token").value = "";
    load().then(function () {
      if (!document.getElementById("queue-section").hidden) GQ.focus(document.getElementById("count"));
    });
  });
  document.getElementById("reload").addEventListener("click", load);
  statusSelect.addEventListener("change", load);
  document.getElementById("signout").addEventListener("click", function () {
    queue.textContent = "";
    signedOut();
  });

  if (token()) load(); else showSignedIn(false);
  document.body.setAttribute("data-ready", "true");
})();
