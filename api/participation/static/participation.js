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

/* Shared pieces of the staff pages (moderation, public answers, events): the staff token
   in sessionStorage only, the sign-in form, requests that carry the token, a status line. */
(function () {
  'use strict';
  var GQ = window.GQ;

  /* A function writing `text` into the status line `node` (class "error" for errors). */
  GQ.statusLine = function (node) {
    return function (text, isError) {
      node.textContent = text || '';
      node.className = isError ? 'error' : '';
    };
  };

  /* A staff page's session: the token lives in sessionStorage under `key`; the form #signin
     (field #token) shows while signed out, the element `sectionId` while signed in;
     `onShow(signedIn)`, if given, runs after each switch. */
  GQ.staffSession = function (key, sectionId, onShow) {
    var session = {};
    session.token = function () { return sessionStorage.getItem(key); };
    session.show = function (signedIn) {
      document.getElementById('signin').hidden = signedIn;
      document.getElementById(sectionId).hidden = !signedIn;
      if (onShow) { onShow(signedIn); }
    };
    session.signOut = function () {
      sessionStorage.removeItem(key);
      session.show(false);
      GQ.focus(document.getElementById('token'));
    };
    /* fetch with the token: resolves to {status, data} (data {} if the answer is no JSON). */
    session.request = function (method, url, body) {
      var headers = { Authorization: 'Bearer ' + session.token(), Accept: 'application/json' };
      var init = { method: method, headers: headers };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      return fetch(url, init).then(GQ.jsonResult);
    };
    /* On submitting the sign-in form: keep the typed token, clear the field, `signIn()`. */
    session.onSignIn = function (signIn) {
      document.getElementById('signin').addEventListener('submit', function (event) {
        event.preventDefault();
        var field = document.getElementById('token');
        var value = field.value.trim();
        if (!value) { return; }
        sessionStorage.setItem(key, value);
        field.value = '';
        signIn();
      });
    };
    return session;
  };
}());

/* Shared pieces of the map pages (kiosk, survey, staff pages): the quartier outline and
   its map, and JSON requests answered as {status, data}. */
(function () {
  'use strict';
  var GQ = window.GQ;
  var OUTLINE = { color: '#333', weight: 2, dashArray: '6 4', fill: false };

  /* A fetch response as {status, data}; data is {} when the answer is no JSON. */
  GQ.jsonResult = function (response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      return { status: response.status, data: data };
    });
  };

  /* POST `body` as JSON (with `headers` added); resolves to {status, data}. */
  GQ.postJSON = function (url, body, headers) {
    return fetch(url, {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json', Accept: 'application/json' }, headers || {}),
      body: JSON.stringify(body)
    }).then(GQ.jsonResult);
  };

  /* A quartier boundary (GeoJSON, EPSG:4326) drawn as a dashed outline on `map`. */
  GQ.boundaryOutline = function (map, boundary) {
    return L.geoJSON(boundary, { style: OUTLINE, interactive: false }).addTo(map);
  };

  /* The page's quartier map in element `id`: the config's boundary as outline, fitted,
     over the quartier's streets from this server. Returns {map, outline}. */
  GQ.quartierMap = function (id) {
    var cfg = GQ.config();
    var map = GQ.baseMap(id);
    var outline = GQ.boundaryOutline(map, cfg.boundary);
    map.fitBounds(outline.getBounds());
    GQ.streetMap(map, cfg.streetsUrl);  // offline vector basemap from this server
    return { map: map, outline: outline };
  };
}());
