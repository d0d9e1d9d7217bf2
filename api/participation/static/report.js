/* Event report: the quartier's streets and boundary, the event's place (point, route or
   area) and the approved contributions, each numbered like its row in the table; a legend
   in the kinds' colours; local times. Printing: the map is fitted again to the paper. */
(function () {
  "use strict";
  var GQ = window.GQ, data = GQ.config();
  var map = GQ.baseMap("map");
  GQ.streetMap(map, data.streetsUrl);
  var boundary = data.boundary ? L.geoJSON(data.boundary, {
    style: {color: "#333", weight: 2, dashArray: "6 4", fill: false}, interactive: false
  }).addTo(map) : null;
  var place = L.geoJSON(data.event, {
    style: {color: "#000", weight: 5, opacity: 0.7, dashArray: "2 8", fillOpacity: 0.05},
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 10, color: "#000", weight: 3, fillColor: "#fff", fillOpacity: 1});
    },
    onEachFeature: function (feature, l) {
      l.bindPopup(GQ.el("strong", null, feature.properties.title));
    }
  }).addTo(map);
  var surveys = surveyLayer(data.surveys).addTo(map);
  var layer = GQ.annotationLayer(data.annotations).addTo(map);
  // the number of each contribution's table row, next to its shape
  layer.eachLayer(function (l) {
    var n = l.feature && l.feature.properties.number;
    if (!n) return;
    l.bindTooltip(String(n), {permanent: true, direction: "right", className: "gq-number", offset: [6, 0]});
  });
  // the legend's swatches in the kinds' colours (from the config, like the map)
  document.querySelectorAll(".swatch[data-kind]").forEach(function (node) {
    node.style.background = GQ.kindColour(node.getAttribute("data-kind"));
  });

  /* Survey answers: 100 m cells shaded by their count (points: orange, routes: purple),
     the routes as lines, the places as dots. */
  function surveyLayer(collection) {
    var features = (collection && collection.features) || [];
    var most = 1;
    features.forEach(function (f) {
      if (f.properties.layer === "cell") most = Math.max(most, f.properties.answers);
    });
    var ordered = features.filter(function (f) { return f.properties.layer === "cell"; })
      .concat(features.filter(function (f) { return f.properties.layer === "route"; }))
      .concat(features.filter(function (f) { return f.properties.layer === "point"; }));
    return L.geoJSON({type: "FeatureCollection", features: ordered}, {
      interactive: false,
      style: function (f) {
        if (f.properties.layer === "route") return {color: "#6a3d9a", weight: 4, opacity: 0.8};
        var colour = f.properties.type === "route" ? "#6a3d9a" : "#e6550d";
        return {color: colour, weight: 1, fillColor: colour, fillOpacity: 0.15 + 0.5 * f.properties.answers / most};
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 5, color: "#fff", weight: 1, fillColor: "#1a1a1a", fillOpacity: 1});
      }
    });
  }

  function fit() {
    var bounds = place.getBounds();
    if (layer.getLayers().length) bounds.extend(layer.getBounds());
    if (surveys.getLayers().length) bounds.extend(surveys.getBounds());
    if (!layer.getLayers().length && boundary) bounds.extend(boundary.getBounds());
    map.invalidateSize();
    map.fitBounds(bounds, {maxZoom: 17, padding: [30, 30]});
  }
  fit();
  // the printed map has another size: fit it again before printing and after
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) print.addEventListener("change", fit);
  }
  // dates and times in local time of the configured zone, in the page language
  document.querySelectorAll("time[data-time]").forEach(function (node) {
    node.setAttribute("datetime", node.getAttribute("data-time"));
    node.textContent = GQ.formatTimestamp(node.getAttribute("data-time"));
  });
  document.body.setAttribute("data-ready", "true");
})();
