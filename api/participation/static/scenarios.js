/* Planners' scenario page: sign in with the staff token (sessionStorage only, shared with
   the events page), list and create scenarios of the quartier, draw edits on the map (mouse,
   touch, or keyboard with the crosshair at the map centre), publish or delete, and compare:
   residents within each walking time before and after, and a map of the homes whose walk
   changes. Choices, labels and colours come from the page config; every text is written
   with textContent. */
(function () {
  "use strict";
  var GQ = window.GQ, t = GQ.t, el = GQ.el, cfg = GQ.config();
  var session = GQ.staffSession("geoquartier.planningToken", "planner", function (signedIn) {
    if (signedIn) ensureMap();
  });
  var request = session.request, signedOut = session.signOut;
  var say = GQ.statusLine(document.getElementById("message"));
  var editSay = GQ.statusLine(document.getElementById("edit-message"));
  var compareSay = GQ.statusLine(document.getElementById("compare-message"));
  var byId = function (id) { return document.getElementById(id); };
  var colours = cfg.scenarioColours || {};
  var LINE_TOOLS = {way_add: true, way_close: true};
  var FIELD_CONTROLS = {
    highway: "way-highway", wheelchair: "way-wheelchair", steps: "way-steps",
    category: "facility-category", name: "facility-name", facility_id: "facility-id"
  };
  var facilities = {};
  (cfg.facilities || []).forEach(function (f) { facilities[f.id] = f; });

  var map = null, drawLayer = null, editLayer = null, gainLayer = null, facilityLayer = null;
  var scenario = null, tool = null, points = [], comparison = null;

  function colour(key) { return GQ.colour(colours[key], "#1a1a1a"); }
  function label(labels, key) { return (cfg[labels] || {})[key] || String(key); }
  function number(value, digits) {
    return new Intl.NumberFormat(cfg.lang, {maximumFractionDigits: digits || 0}).format(value);
  }
  function failed(result) {
    if (result.status === 401) { signedOut(); return t("The token was not accepted."); }
    if (result.status === 403) return t("This account may not plan scenarios.");
    return t("Action failed: {message}", {message: (result.data && result.data.detail) || result.status});
  }
  function scenarioUrl(suffix) {
    return cfg.scenariosUrl + "/" + encodeURIComponent(scenario.id) + (suffix || "");
  }

  // ---- map: boundary, streets, facilities, the scenario's edits, the drawing, the gains ----
  function ensureMap() {
    if (map) { map.invalidateSize(); return; }
    map = GQ.baseMap("map");
    map.fitBounds(GQ.boundaryOutline(map, cfg.boundary).getBounds());
    GQ.streetMap(map, cfg.streetsUrl);
    facilityLayer = L.layerGroup().addTo(map);
    gainLayer = L.layerGroup().addTo(map);
    editLayer = L.layerGroup().addTo(map);
    drawLayer = L.layerGroup().addTo(map);
    (cfg.facilities || []).forEach(function (f) {
      var marker = L.circleMarker([f.lat, f.lon], {
        radius: 6, color: "#1a1a1a", weight: 2, fillColor: "#ffffff", fillOpacity: 1,
        className: "gq-facility", bubblingMouseEvents: false
      });
      marker.bindTooltip(el("span", null, facilityName(f)));
      marker.on("click", function () { chooseFacility(f.id); });
      facilityLayer.addLayer(marker);
    });
    map.on("click", function (event) { addPoint(event.latlng); });
    map.getContainer().addEventListener("keydown", function (event) {
      if (event.target !== map.getContainer() || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); addPoint(map.getCenter()); }
    });
    GQ.scenarioMap = map;  // for tests and the browser console
  }

  function facilityName(f) {
    return f.name ? f.name + " (" + label("categoryLabels", f.category) + ")" : label("categoryLabels", f.category);
  }

  function editStyle(kind) {
    var closed = kind === "way_close" || kind === "facility_close" || kind === "residents_remove";
    return {color: colour(closed ? "closed" : "edit"), weight: 5, opacity: 0.9,
            dashArray: closed ? "8 6" : null, fillColor: colour(closed ? "closed" : "edit"), fillOpacity: 0.9};
  }

  function drawEdits() {
    editLayer.clearLayers();
    (scenario ? scenario.edits : []).forEach(function (edit) {
      var style = editStyle(edit.kind);
      var where = edit.geometry;
      if (!where && edit.params.facility_id && facilities[edit.params.facility_id]) {
        var f = facilities[edit.params.facility_id];
        where = {type: "Point", coordinates: [f.lon, f.lat]};
      }
      if (!where) return;
      var shape = L.geoJSON(where, {
        style: style, interactive: false,
        pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, Object.assign({}, style, {radius: 8, dashArray: null})); }
      });
      shape.eachLayer(function (l) {
        l.bindTooltip(el("span", null, edit.position + ". " + label("editLabels", edit.kind)), {permanent: false});
      });
      editLayer.addLayer(shape);
    });
  }

  // ---- drawing -----------------------------------------------------------------------------------
  function lengthM(latlngs) {
    var total = 0;
    for (var i = 1; i < latlngs.length; i++) total += map.distance(latlngs[i - 1], latlngs[i]);
    return total;
  }

  function drawState() {
    drawLayer.clearLayers();
    var style = editStyle(tool || "way_add");
    if (LINE_TOOLS[tool] && points.length > 1) L.polyline(points, Object.assign({}, style, {interactive: false})).addTo(drawLayer);
    points.forEach(function (p) {
      L.circleMarker(p, {radius: 5, color: style.color, weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false}).addTo(drawLayer);
    });
    var text = "";
    if (LINE_TOOLS[tool]) {
      text = points.length ? t("Line: {n} points, {metres} m", {n: points.length, metres: number(lengthM(points))}) :
        t("No point set yet.");
    } else if (tool === "facility_add") {
      text = points.length ? t("Place set.") : t("No point set yet.");
    }
    byId("draw-state").textContent = text;
    document.body.setAttribute("data-points", String(points.length));
  }

  function addPoint(latlng) {
    if (!scenario || scenario.status !== "draft" || !(LINE_TOOLS[tool] || tool === "facility_add")) return;
    var last = points[points.length - 1];
    if (LINE_TOOLS[tool] && last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(latlng)) < 2) {
      byId("draw-state").textContent = t("This point is already set. Move the map with the arrow keys first.");
      return;
    }
    if (tool === "facility_add") points = [latlng];
    else points.push(latlng);
    editSay("");
    drawState();
  }

  var HINTS = {
    way_add: "Set the points of the new way on the map (its ends join the network within 5 m), then save.",
    way_close: "Draw a line across the ways to close, then save.",
    facility_add: "Set the place of the new facility on the map, choose its category, then save.",
    facility_close: "Click a facility on the map or choose it from the list, then save."
  };

  function chooseTool(name) {
    tool = name;
    points = [];
    document.querySelectorAll("[data-tool]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-tool") === name ? "true" : "false");
    });
    document.querySelectorAll(".edit-fields").forEach(function (box) {
      box.hidden = box.getAttribute("data-for") !== name;
    });
    byId("draw-controls").hidden = !(LINE_TOOLS[name] || name === "facility_add");
    byId("tool-hint").textContent = name ? t(HINTS[name]) : t("Choose a kind of edit.");
    if (LINE_TOOLS[name] || name === "facility_add") map.getContainer().scrollIntoView({block: "nearest"});  // on phones the form is below
    clearInvalid();
    editSay("");
    drawState();
  }

  function chooseFacility(id) {
    if (tool !== "facility_close" || !facilities[id]) return;
    byId("facility-id").value = id;
    var f = facilities[id];
    points = [L.latLng(f.lat, f.lon)];
    drawState();
    byId("draw-state").textContent = t("Chosen: {name}", {name: facilityName(f)});
  }

  function fillFacilities() {
    var select = byId("facility-id");
    Object.keys(facilities).map(function (id) { return facilities[id]; })
      .sort(function (a, b) { return facilityName(a).localeCompare(facilityName(b), cfg.lang); })
      .forEach(function (f) {
        var option = el("option", null, facilityName(f));
        option.value = f.id;
        select.appendChild(option);
      });
  }

  // ---- edits ---------------------------------------------------------------------------------------
  function lineGeometry() {
    return {type: "LineString", coordinates: points.map(function (p) { return [p.lng, p.lat]; })};
  }

  function editBody() {
    if (tool === "way_add" || tool === "way_close") {
      if (points.length < 2) return t("Set at least two points on the map.");
      var params = {};
      if (tool === "way_add") {
        params.highway = byId("way-highway").value;
        if (byId("way-wheelchair").value) params.wheelchair = byId("way-wheelchair").value;
        if (byId("way-steps").checked) params.steps = true;
      }
      return {kind: tool, geometry: lineGeometry(), params: params};
    }
    if (tool === "facility_add") {
      if (!points.length) return t("Set the place on the map first.");
      var fields = {category: byId("facility-category").value};
      var name = byId("facility-name").value.trim();
      if (name) fields.name = name;
      return {kind: tool, geometry: {type: "Point", coordinates: [points[0].lng, points[0].lat]}, params: fields};
    }
    if (tool === "facility_close") return {kind: tool, geometry: null, params: {facility_id: byId("facility-id").value}};
    return t("Choose a kind of edit.");
  }

  function clearInvalid() {
    document.querySelectorAll("#edit-form [aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
  }

  /* The refusal of an edit: the server's one-line message, which names the edit and the
     field; the named field is marked and focused (the map for the geometry). */
  function refused(result) {
    if (result.status !== 422) { editSay(failed(result), true); return; }
    var detail = String((result.data && result.data.detail) || "");
    editSay(t("The edit was not accepted: {message}", {message: detail}), true);
    var field = (/field '([^']+)'/.exec(detail) || [])[1];
    document.body.setAttribute("data-refused", field || "");
    var control = field === "geometry" ? map.getContainer() : byId(FIELD_CONTROLS[field]);
    if (control) { control.setAttribute("aria-invalid", "true"); GQ.focus(control, true); }
  }

  function saveEdit(event) {
    event.preventDefault();
    clearInvalid();
    var body = editBody();
    if (typeof body === "string") { editSay(body, true); return; }
    var button = byId("save-edit");
    button.disabled = true;
    editSay(t("Checking the edit on the walk network…"));
    request("POST", scenarioUrl("/edits"), body).then(function (result) {
      button.disabled = false;
      if (result.status !== 201) { refused(result); return; }
      editSay(t("Edit {n} saved: {kind}", {n: result.data.edits.length, kind: label("editLabels", body.kind)}));
      document.body.removeAttribute("data-refused");
      points = [];
      byId("facility-name").value = "";
      showScenario(result.data);
      drawState();
      loadList();
    }).catch(function () {
      button.disabled = false;
      editSay(t("No connection to the server."), true);
    });
  }

  function editSummary(edit) {
    var p = edit.params || {}, parts = [];
    if (edit.kind === "way_add") {
      parts.push(p.highway === "steps" ? t("Steps") : label("highwayLabels", p.highway));
      if (p.wheelchair) parts.push(label("wheelchairLabels", p.wheelchair));
    }
    if (edit.kind === "facility_add") {
      parts.push(label("categoryLabels", p.category));
      if (p.name) parts.push(p.name);
    }
    if (p.facility_id) parts.push(facilities[p.facility_id] ? facilityName(facilities[p.facility_id]) : p.facility_id);
    if (p.tags) Object.keys(p.tags).forEach(function (k) { parts.push(k + "=" + p.tags[k]); });
    if (p.residents) parts.push(t("{n} residents", {n: number(p.residents)}));
    if (edit.geometry && edit.geometry.type === "LineString") {
      var latlngs = edit.geometry.coordinates.map(function (c) { return L.latLng(c[1], c[0]); });
      parts.push(number(lengthM(latlngs)) + " m");
    }
    return parts.join(", ");
  }

  function showEdits() {
    var list = byId("edit-list");
    list.textContent = "";
    scenario.edits.forEach(function (edit) {
      var item = el("li");
      item.setAttribute("data-kind", edit.kind);
      item.appendChild(el("span", "number", edit.position + "."));
      var text = el("span");
      text.appendChild(el("strong", null, label("editLabels", edit.kind)));
      var summary = editSummary(edit);
      if (summary) text.appendChild(document.createTextNode(": " + summary));
      item.appendChild(text);
      list.appendChild(item);
    });
    if (!scenario.edits.length) list.appendChild(el("li", "empty", t("No edits yet.")));
    document.body.setAttribute("data-edits", String(scenario.edits.length));
  }

  // ---- scenarios ------------------------------------------------------------------------------------
  function statusLabel(status) { return status === "published" ? t("Published") : t("Draft"); }

  function showScenario(data) {
    scenario = data;
    byId("scenario").hidden = false;
    byId("comparison").hidden = false;
    byId("scenario-title").textContent = data.title;
    byId("scenario-meta").textContent = t("{status} · by {author} · changed {time}", {
      status: statusLabel(data.status), author: data.author || "–", time: GQ.formatTimestamp(data.updated)
    });
    byId("scenario-description").textContent = data.description || "";
    var draft = data.status === "draft";
    byId("edit-form").hidden = !draft;
    byId("publish").hidden = !draft;
    if (!draft) { tool = null; points = []; }
    showEdits();
    drawEdits();
    drawState();
    document.body.setAttribute("data-scenario", data.id);
    document.body.setAttribute("data-status", data.status);
    document.querySelectorAll("#scenario-list li").forEach(function (li) {
      li.classList.toggle("selected", li.getAttribute("data-id") === data.id);
    });
  }

  function openScenario(id) {
    return request("GET", cfg.scenariosUrl + "/" + encodeURIComponent(id)).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      clearComparison();
      chooseTool(null);
      showScenario(result.data);
      GQ.focus(byId("scenario-title"));
    });
  }

  function scenarioItem(s) {
    var item = el("li");
    item.setAttribute("data-id", s.id);
    if (scenario && scenario.id === s.id) item.className = "selected";
    var open = el("a", null, s.title);
    open.href = "#scenario";
    open.addEventListener("click", function (event) { event.preventDefault(); openScenario(s.id); });
    item.appendChild(open);
    item.appendChild(el("span", "status-badge", statusLabel(s.status)));
    item.appendChild(el("div", "hint", t("{n} edits · by {author}", {n: s.edits, author: s.author || "–"})));
    return item;
  }

  function loadList() {
    return request("GET", cfg.scenariosUrl).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      var list = byId("scenario-list");
      list.textContent = "";
      var rows = result.data.scenarios || [];
      rows.forEach(function (s) { list.appendChild(scenarioItem(s)); });
      if (!rows.length) list.appendChild(el("li", "empty", t("No scenarios yet.")));
      document.body.setAttribute("data-scenarios", String(rows.length));
    });
  }

  function create(event) {
    event.preventDefault();
    var title = byId("new-title"), text = title.value.trim();
    if (!text) { say(t("Please give the scenario a title."), true); GQ.focus(title); return; }
    var body = {title: text, description: byId("new-description").value.trim()};
    request("POST", cfg.scenariosUrl, body).then(function (result) {
      if (result.status !== 201) { say(failed(result), true); return; }
      title.value = "";
      byId("new-description").value = "";
      byId("new-scenario-box").open = false;
      say(t("Scenario created: {title}", {title: result.data.title}));
      clearComparison();
      showScenario(result.data);
      loadList();
      GQ.focus(byId("scenario-title"));
    });
  }

  function publish() {
    if (!window.confirm(t("Publish {title}? Everyone can then see it, and it cannot be edited any more.", {title: scenario.title}))) return;
    request("POST", scenarioUrl("/publish")).then(function (result) {
      if (result.status !== 200) { say(failed(result), true); return; }
      say(t("Published: {title}", {title: result.data.title}));
      showScenario(result.data);
      loadList();
    });
  }

  function remove() {
    var title = scenario.title;
    if (!window.confirm(t("Delete the scenario {title}? The base data stays as it is.", {title: title}))) return;
    request("DELETE", scenarioUrl()).then(function (result) {
      if (result.status !== 204) { say(failed(result), true); return; }
      say(t("Deleted: {title}", {title: title}));
      scenario = null;
      byId("scenario").hidden = true;
      byId("comparison").hidden = true;
      clearComparison();
      editLayer.clearLayers();
      document.body.removeAttribute("data-scenario");
      loadList();
      GQ.focus(byId("list-heading"));
    });
  }

  // ---- comparison: the table and the map of the changes ------------------------------------------
  function clearComparison() {
    comparison = null;
    byId("compare-table").hidden = true;
    byId("gains-controls").hidden = true;
    byId("download-csv").hidden = true;
    compareSay("");
    byId("gains-summary").textContent = "";
    if (gainLayer) gainLayer.clearLayers();
    document.querySelectorAll(".gain-legend").forEach(function (n) { n.hidden = true; });
    document.body.removeAttribute("data-compared");
    document.body.removeAttribute("data-gains");
  }

  function changes(row) {
    return Math.abs(row.difference) > 1e-9 || row.residents_newly_within > 1e-9;
  }

  function signed(value) {
    var rounded = Math.round(value);
    return (rounded > 0 ? "+" : "") + number(rounded);
  }

  function cell(row, text, className) {
    var td = el("td", className, text);
    row.appendChild(td);
    return td;
  }

  function showTable() {
    var profile = byId("compare-profile").value, onlyChanged = byId("changed-only").checked;
    var rows = comparison.coverage.filter(function (r) {
      return (!profile || r.profile === profile) && (!onlyChanged || changes(r));
    });
    var body = byId("compare-table").querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("th", null, label("categoryLabels", r.category))).scope = "row";
      cell(tr, label("profileLabels", r.profile));
      cell(tr, number(r.threshold_min, 1), "number");
      cell(tr, number(r.residents_before), "number");
      cell(tr, number(r.residents_after), "number");
      var diff = Math.round(r.difference);
      cell(tr, signed(r.difference), "number difference" + (diff > 0 ? " up" : diff < 0 ? " down" : ""));
      body.appendChild(tr);
    });
    byId("compare-table").hidden = !rows.length;
    var changed = comparison.coverage.filter(changes).length;
    compareSay(changed ? t("{n} of {total} rows change.", {n: changed, total: comparison.coverage.length}) :
      t("No resident crosses a walking-time line: every row stays the same."));
    document.body.setAttribute("data-compared", String(rows.length));
  }

  /* The map first shows the row that changes most (the standard profile on a tie). */
  function fillGainCategories() {
    var select = byId("gain-category"), seen = {}, first = null;
    select.textContent = "";
    comparison.coverage.forEach(function (r) {
      if (changes(r) && (first === null || Math.abs(r.difference) > Math.abs(first.difference) ||
          (Math.abs(r.difference) === Math.abs(first.difference) && r.profile === cfg.profiles[0] && first.profile !== r.profile))) first = r;
      if (seen[r.category]) return;
      seen[r.category] = true;
      var option = el("option", null, label("categoryLabels", r.category));
      option.value = r.category;
      select.appendChild(option);
    });
    if (first) { select.value = first.category; byId("gain-profile").value = first.profile; }
    byId("gains-controls").hidden = false;
  }

  function compareUrl() {
    return scenarioUrl("/compare") + "?minutes=5,10,15&profiles=" + encodeURIComponent(cfg.profiles.join(","));
  }

  function compare() {
    var button = byId("compare");
    button.disabled = true;
    compareSay(t("Computing the walking times before and after…"));
    request("GET", compareUrl()).then(function (result) {
      button.disabled = false;
      if (result.status !== 200) { compareSay(failed(result), true); return; }
      comparison = result.data;
      byId("download-csv").hidden = false;
      showTable();
      fillGainCategories();
      loadGains();
    }).catch(function () { button.disabled = false; compareSay(t("No connection to the server."), true); });
  }

  /* The comparison as German CSV (";", decimal comma), fetched with the token and saved. */
  function downloadCsv() {
    fetch(compareUrl() + "&format=csv", {headers: {Authorization: "Bearer " + session.token()}})
      .then(function (response) { return response.ok ? response.blob() : Promise.reject(response.status); })
      .then(function (blob) {
        var link = el("a");
        link.href = URL.createObjectURL(blob);
        link.download = "scenario-" + scenario.id + ".csv";
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      })
      .catch(function (status) { compareSay(t("Action failed: {message}", {message: status}), true); });
  }

  function changeOf(p) {
    if (p.route === "new") return "new";
    if (p.route === "lost") return "lost";
    return p.gain_min > 0 ? "gain" : "loss";
  }

  function gainTooltip(p, change) {
    var box = el("span");
    box.appendChild(el("strong", null, label("changeLabels", change)));
    var before = p.walk_min_before === null ? "–" : number(p.walk_min_before, 1);
    var after = p.walk_min_after === null ? "–" : number(p.walk_min_after, 1);
    box.appendChild(el("span", null, " " + t("{before} → {after} min", {before: before, after: after})));
    return box;
  }

  function loadGains() {
    var category = byId("gain-category").value, profile = byId("gain-profile").value;
    if (!category || !scenario) return;
    var url = scenarioUrl("/gains") + "?category=" + encodeURIComponent(category) + "&profile=" + encodeURIComponent(profile);
    request("GET", url).then(function (result) {
      if (result.status !== 200) { compareSay(failed(result), true); return; }
      gainLayer.clearLayers();
      var counts = {gain: 0, new: 0, loss: 0, lost: 0}, best = 0;
      var layer = L.geoJSON(result.data, {
        pointToLayer: function (feature, latlng) {
          var change = changeOf(feature.properties);
          return L.circleMarker(latlng, {radius: result.data.features.length > 200 ? 4 : 6, color: "#ffffff", weight: 1, fillColor: colour(change), fillOpacity: 0.95, className: "gq-gain gq-gain-" + change});
        },
        style: function (feature) {
          var c = colour(changeOf(feature.properties));
          return {color: c, fillColor: c, weight: 1, fillOpacity: 0.6};
        },
        onEachFeature: function (feature, l) {
          var change = changeOf(feature.properties);
          counts[change] += 1;
          if (change === "gain") best = Math.max(best, feature.properties.gain_min);
          l.bindTooltip(gainTooltip(feature.properties, change));
        }
      }).addTo(gainLayer);
      var n = result.data.features.length;
      document.querySelectorAll(".gain-legend").forEach(function (node) { node.hidden = false; });
      var names = {category: label("categoryLabels", category), profile: label("profileLabels", profile)};
      var summary = n ? t("{category}, {profile}: homes or cells walking less: {gain}; reaching it now: {new}; walking more: {loss}; no longer reaching it: {lost}.", Object.assign(names, {
        gain: counts.gain, new: counts["new"], loss: counts.loss, lost: counts.lost
      })) : t("{category}, {profile}: no home's walk changes.", names);
      if (counts.gain) summary += " " + t("Largest gain: {minutes} min.", {minutes: number(best, 1)});
      byId("gains-summary").textContent = summary;
      if (n) map.fitBounds(layer.getBounds().extend(editLayer.getLayers().length ? L.featureGroup(editLayer.getLayers()).getBounds() : layer.getBounds()), {maxZoom: 17, padding: [20, 20]});
      document.body.setAttribute("data-gains", String(counts.gain + counts["new"]));
      document.body.setAttribute("data-losses", String(counts.loss + counts.lost));
    });
  }

  // ---- wiring ------------------------------------------------------------------------------------------
  function signIn() {
    return request("GET", "/staff/me").then(function (result) {
      if (result.status !== 200) { say(failed(result), true); signedOut(); return false; }
      if (result.data.role !== "planner") {
        signedOut();
        say(t("This account may not plan scenarios."), true);
        return false;
      }
      session.show(true);
      return loadList().then(function () { return true; });
    });
  }

  function paintSwatches() {
    document.querySelectorAll("[data-colour]").forEach(function (node) {
      var c = colour(node.getAttribute("data-colour"));
      if (node.classList.contains("line")) node.style.borderTopColor = c;
      else node.style.background = c;
    });
  }

  fillFacilities();
  paintSwatches();
  document.querySelectorAll("[data-tool]").forEach(function (b) {
    b.addEventListener("click", function () { chooseTool(b.getAttribute("data-tool")); });
  });
  byId("add-centre").addEventListener("click", function () { if (map) addPoint(map.getCenter()); });
  byId("undo-point").addEventListener("click", function () { points.pop(); drawState(); });
  byId("clear-drawing").addEventListener("click", function () { points = []; drawState(); });
  byId("facility-id").addEventListener("change", function () { chooseFacility(byId("facility-id").value); });
  byId("edit-form").addEventListener("submit", saveEdit);
  byId("new-scenario").addEventListener("submit", create);
  byId("publish").addEventListener("click", publish);
  byId("delete").addEventListener("click", remove);
  byId("compare").addEventListener("click", compare);
  byId("download-csv").addEventListener("click", downloadCsv);
  byId("compare-profile").addEventListener("change", function () { if (comparison) showTable(); });
  byId("changed-only").addEventListener("change", function () { if (comparison) showTable(); });
  byId("gain-category").addEventListener("change", loadGains);
  byId("gain-profile").addEventListener("change", loadGains);
  byId("quartier").addEventListener("change", function () {
    window.location.href = cfg.pageUrl + "?quartier=" + encodeURIComponent(byId("quartier").value) + "&lang=" + encodeURIComponent(cfg.lang);
  });
  byId("signout").addEventListener("click", signedOut);
  session.onSignIn(function () {
    say("");
    signIn().then(function (ok) { if (ok) GQ.focus(byId("list-heading")); });
  });
  (session.token() ? signIn() : Promise.resolve(session.show(false))).then(function () {
    document.body.setAttribute("data-ready", "true");
  });
})();
