/* Event report: map of the approved contributions and the event place, local times. */
(function () {
  "use strict";
  var GQ = window.GQ, data = GQ.config();
  var map = GQ.baseMap("map");
  var layer = GQ.annotationLayer(data.annotations).addTo(map);
  var place = L.geoJSON(data.event, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 10, color: "#000", weight: 3, fillColor: "#fff", fillOpacity: 1});
    },
    onEachFeature: function (feature, l) {
      l.bindPopup(GQ.el("strong", null, feature.properties.title));
    }
  }).addTo(map);
  var bounds = place.getBounds();
  if (layer.getLayers().length) bounds.extend(layer.getBounds());
  map.fitBounds(bounds, {maxZoom: 17, padding: [20, 20]});
  // dates and times in local time of the configured zone, in the page language
  document.querySelectorAll("time[data-time]").forEach(function (node) {
    node.setAttribute("datetime", node.getAttribute("data-time"));
    node.textContent = GQ.formatTimestamp(node.getAttribute("data-time"));
  });
  document.body.setAttribute("data-ready", "true");
})();
