/* Shared pieces of the participation, moderation and report pages, added to the GQ
   namespace of geoquartier-base.js (config, labels, kinds and their colours, local time,
   escaping, focus). User texts are only ever written with textContent: never as markup. */
(function () {
  'use strict';
  var GQ = window.GQ, t = GQ.t, el = GQ.el;
  var GEOMETRY_LABELS = { Point: 'Pin', LineString: 'Line', Polygon: 'Area' };

  GQ.geometryLabel = function (type) { return t(GEOMETRY_LABELS[type] || type); };

  /* A popup element for an annotation feature: kind as heading, the text as plain text. */
  GQ.annotationPopup = function (feature) {
    var p = feature.properties || {};
    var box = el('div', 'annotation-popup');
    box.appendChild(el('strong', 'kind', GQ.kindLabel(p.kind)));
    box.appendChild(el('p', 'text', p.text));
    if (p.language) { box.appendChild(el('span', 'language', p.language)); }
    var labels = GQ.config().feedbackLabels || {};
    if (p.feedback_status && labels[p.feedback_status]) {  // the office's public answer
      box.appendChild(el('p', 'feedback-status', labels[p.feedback_status]));
      if (p.answer) { box.appendChild(el('p', 'answer', p.answer)).lang = p.answer_language || ''; }
    }
    return box;
  };

  /* Each shape carries the class gq-annotation-<id> (letters, digits and dashes only), so
     a shape can be found by its contribution. */
  function annotationStyle(feature) {
    var id = String(feature.id || '').replace(/[^A-Za-z0-9-]/g, '');
    return Object.assign(GQ.kindStyle((feature.properties || {}).kind),
      { className: 'gq-annotation gq-annotation-' + id });
  }

  /* Approved contributions as a Leaflet layer: one colour per kind, popups as text. */
  GQ.annotationLayer = function (collection) {
    return L.geoJSON(collection, {
      style: annotationStyle,
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, Object.assign(annotationStyle(feature), { radius: 8, fillOpacity: 0.8 }));
      },
      onEachFeature: function (feature, layer) { layer.bindPopup(GQ.annotationPopup(feature)); }
    });
  };

  /* A Leaflet map with the config's tiles, and a localised attribution. */
  GQ.baseMap = function (id) {
    var map = L.map(id, { zoomControl: true });
    map.attributionControl.setPrefix(false);
    var tiles = GQ.tileLayer({ attribution: GQ.escapeHtml(t('Map data © OpenStreetMap contributors')) });
    if (tiles) { tiles.addTo(map); }
    return map;
  };

  /* The quartier's streets from this server, drawn under everything: the map stays
     readable when the tiles cannot load (no wifi at the event). */
  GQ.streetMap = function (map, url) {
    if (!url) { return; }
    fetch(url).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (collection) {
      if (!collection || !collection.features.length) { return; }
      var pane = map.createPane('streets');
      pane.style.zIndex = 250;
      L.geoJSON(collection, {
        pane: 'streets', interactive: false, style: { color: '#8a8a8a', weight: 1.5, opacity: 0.9 }
      }).addTo(map);
    }).catch(function () { /* the boundary alone still shows where to draw */ });
  };
}());
