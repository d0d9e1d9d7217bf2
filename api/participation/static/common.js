/* Shared helpers of the participation, moderation and report pages.
   User texts are only ever written with textContent: never as markup. */
"use strict";
var GQ = (function () {
  var i18n = JSON.parse(document.getElementById("i18n").textContent);
  var config = JSON.parse(document.getElementById("config").textContent);

  function t(msgid, values) {
    var text = Object.prototype.hasOwnProperty.call(i18n, msgid) ? i18n[msgid] : msgid;
    if (values) {
      Object.keys(values).forEach(function (key) {
        text = text.split("{" + key + "}").join(String(values[key]));
      });
    }
    return text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var KIND_LABELS = {idea: "Idea", problem: "Problem", praise: "Praise", question: "Question"};
  var KIND_COLOURS = {idea: "#1b7837", problem: "#b2182b", praise: "#2166ac", question: "#8c510a"};
  var GEOMETRY_LABELS = {Point: "Pin", LineString: "Line", Polygon: "Area"};

  function kindLabel(kind) { return t(KIND_LABELS[kind] || kind); }

  /* A popup element for an annotation feature: kind as heading, the text as plain text. */
  function annotationPopup(feature) {
    var p = feature.properties || {};
    var box = el("div", "annotation-popup");
    box.appendChild(el("strong", "kind", kindLabel(p.kind)));
    box.appendChild(el("p", "text", p.text));
    if (p.language) box.appendChild(el("span", "language", p.language));
    return box;
  }

  function annotationStyle(feature) {
    var colour = KIND_COLOURS[(feature.properties || {}).kind] || "#444";
    return {color: colour, weight: 4, fillOpacity: 0.25};
  }

  /* A Leaflet map with the OSM basemap and a localised attribution (set as text). */
  function baseMap(id, tileUrl) {
    var map = L.map(id, {zoomControl: true});
    map.attributionControl.setPrefix(false);
    var attribution = document.createElement("span");
    attribution.textContent = t("Map data © OpenStreetMap contributors");
    L.tileLayer(tileUrl || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: attribution.outerHTML
    }).addTo(map);
    return map;
  }

  /* The quartier's streets from this server, drawn under everything: the map stays
     readable when the tiles cannot load (no wifi at the event). */
  function streetMap(map, url) {
    if (!url) return;
    fetch(url).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (collection) {
      if (!collection || !collection.features.length) return;
      var pane = map.createPane("streets");
      pane.style.zIndex = 250;
      L.geoJSON(collection, {
        pane: "streets", interactive: false, style: {color: "#8a8a8a", weight: 1.5, opacity: 0.9}
      }).addTo(map);
    }).catch(function () { /* the boundary alone still shows where to draw */ });
  }

  function annotationLayer(collection) {
    return L.geoJSON(collection, {
      style: annotationStyle,
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, Object.assign(annotationStyle(feature), {radius: 8, fillOpacity: 0.8}));
      },
      onEachFeature: function (feature, layer) { layer.bindPopup(annotationPopup(feature)); }
    });
  }

  return {t: t, el: el, config: config, kindLabel: kindLabel, geometryLabel: function (type) {
    return t(GEOMETRY_LABELS[type] || type);
  }, annotationPopup: annotationPopup, annotationLayer: annotationLayer, baseMap: baseMap,
    streetMap: streetMap};
})();
