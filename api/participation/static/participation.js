/* Shared pieces of the participation, moderation and report pages, added to the GQ
   namespace of geoquartier-base.js (config, labels, kinds and their colours, local time,
   escaping, focus). User texts are only ever written with textContent: never as markup. */
(function () {
  'use strict';
  var GQ = window.GQ, t = GQ.t, el = GQ.el;
  var GEOMETRY_LABELS = { Point: 'Pin', LineString: 'Line', Polygon: 'Area' };

  GQ.geometryLabel = function (type) { return t(GEOMETRY_LABELS[type] || type); };

  /* Where a contribution came from in the page language: "Online", "Paper (square C4)". */
  GQ.sourceLabel = function (p) {
    var label = (GQ.config().sourceLabels || {})[p.source] || p.source || '';
    return p.grid_cell ? label + ' (' + t('square {cell}', { cell: p.grid_cell }) + ')' : label;
  };

  /* The source line of a popup: shown for a contribution typed in from paper only. */
  function sourceNote(p) {
    var note = el('p', 'source', GQ.sourceLabel(p));
    note.hidden = p.source !== 'paper';
    return note;
  }

  /* A popup element for an annotation feature: kind as heading, the text as plain text. */
  GQ.annotationPopup = function (feature) {
    var p = feature.properties || {};
    var box = el('div', 'annotation-popup');
    box.appendChild(el('strong', 'kind', GQ.kindLabel(p.kind)));
    box.appendChild(el('p', 'text', p.text));
    if (p.language) { box.appendChild(el('span', 'language', p.language)); }
    box.appendChild(sourceNote(p));
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

  // ---- finding one's place: boundary, offices, named streets, tile notice -----------------
  /* Local metres (east, north) of [lon, lat] around the reference latitude lat0 (degrees);
     good to a few centimetres over a quartier, enough for the check while drawing. */
  function metres(lonlat, lon0, lat0) {
    var k = Math.cos(lat0 * Math.PI / 180);
    return [(lonlat[0] - lon0) * 111320 * k, (lonlat[1] - lat0) * 110574];
  }

  function polygonsOf(geometry) {
    if (!geometry) { return []; }
    if (geometry.type === 'Polygon') { return [geometry.coordinates]; }
    if (geometry.type === 'MultiPolygon') { return geometry.coordinates; }
    return [];
  }

  function insideRing(p, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if ((a[1] > p[1]) !== (b[1] > p[1]) &&
          p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]) { inside = !inside; }
    }
    return inside;
  }

  function segmentDistance(p, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1], len2 = dx * dx + dy * dy;
    var s = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
    var x = a[0] + s * dx - p[0], y = a[1] + s * dy - p[1];
    return Math.sqrt(x * x + y * y);
  }

  /* A checker of positions against a quartier boundary (GeoJSON Polygon or MultiPolygon,
     EPSG:4326) widened by marginM metres, as the server checks a submission. */
  GQ.boundaryCheck = function (boundary, marginM) {
    var polygons = polygonsOf(boundary);
    var first = polygons.length ? polygons[0][0][0] : [0, 0];
    var lon0 = first[0], lat0 = first[1];
    var rings = polygons.map(function (poly) {
      return poly.map(function (ring) { return ring.map(function (c) { return metres(c, lon0, lat0); }); });
    });
    function allowed(p) {
      var near = false;
      var inside = rings.some(function (poly) {
        if (!insideRing(p, poly[0])) { return false; }
        return !poly.slice(1).some(function (hole) { return insideRing(p, hole); });
      });
      if (inside) { return true; }
      rings.forEach(function (poly) {
        poly.forEach(function (ring) {
          for (var i = 1; i < ring.length && !near; i++) {
            if (segmentDistance(p, ring[i - 1], ring[i]) <= marginM) { near = true; }
          }
        });
      });
      return near;
    }
    /* Whether every point of the path [[lon, lat], ...] (sampled every 5 m) is allowed. */
    function pathAllowed(path) {
      var pts = path.map(function (c) { return metres(c, lon0, lat0); });
      if (!pts.length) { return true; }
      if (!allowed(pts[0])) { return false; }
      for (var i = 1; i < pts.length; i++) {
        var a = pts[i - 1], b = pts[i];
        var steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 5));
        for (var s = 1; s <= steps; s++) {
          if (!allowed([a[0] + (b[0] - a[0]) * s / steps, a[1] + (b[1] - a[1]) * s / steps])) { return false; }
        }
      }
      return true;
    }
    return {
      /* Whether a GeoJSON Point, LineString or Polygon (EPSG:4326) lies within the margin. */
      geometry: function (g) {
        if (!rings.length || !g) { return true; }
        if (g.type === 'Point') { return pathAllowed([g.coordinates]); }
        if (g.type === 'LineString') { return pathAllowed(g.coordinates); }
        if (g.type === 'Polygon') { return g.coordinates.every(pathAllowed); }
        return true;
      },
      /* Whether one position [lon, lat] lies within the margin. */
      position: function (c) { return !rings.length || allowed(metres(c, lon0, lat0)); }
    };
  };

  /* The offices ({name, lon, lat}) as labelled markers: a dark ring with the name beside it
     (as text). */
  GQ.officeLayer = function (offices) {
    var group = L.layerGroup();
    (offices || []).forEach(function (office) {
      var marker = L.circleMarker([office.lat, office.lon], {
        radius: 8, color: '#1a1a1a', weight: 3, fillColor: '#ffffff', fillOpacity: 1,
        className: 'gq-office', interactive: false
      });
      marker.bindTooltip(el('span', 'gq-office-name', office.name), {
        permanent: true, direction: 'right', offset: [8, 0], className: 'gq-office-label'
      });
      group.addLayer(marker);
    });
    return group;
  };

  function longestPart(geometry) {
    var lines = geometry.type === 'MultiLineString' ? geometry.coordinates : [geometry.coordinates];
    var best = lines[0], bestLen = -1;
    lines.forEach(function (line) {
      var len = 0;
      for (var i = 1; i < line.length; i++) { len += Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]); }
      if (len > bestLen) { bestLen = len; best = line; }
    });
    return { line: best, len: bestLen };
  }

  /* The quartier's streets from this server (pane 'streets', under everything); from zoom
     labelZoom on, one label per street name (the streets themselves are not interactive:
     no tab stop per street for keyboard users). Calls done(layer) when drawn. The map
     stays readable when the tiles cannot load. */
  GQ.namedStreets = function (map, url, labelZoom, done) {
    if (!url) { return; }
    fetch(url).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (collection) {
      if (!collection || !collection.features.length) { return; }
      var pane = map.getPane('streets') || map.createPane('streets');
      pane.style.zIndex = 250;
      var longest = {};
      var streets = L.geoJSON(collection, {
        pane: 'streets', interactive: false, style: { color: '#7a7a7a', weight: 3, opacity: 0.9 },
        onEachFeature: function (feature) {
          var name = (feature.properties || {}).name;
          if (!name) { return; }
          var part = longestPart(feature.geometry);
          if (!longest[name] || part.len > longest[name].len) { longest[name] = part; }
        }
      }).addTo(map);
      var labels = L.layerGroup();
      Object.keys(longest).forEach(function (name) {
        var line = longest[name].line, mid = line[Math.floor(line.length / 2)];
        labels.addLayer(L.tooltip({ permanent: true, direction: 'center', className: 'gq-street-label', interactive: false })
          .setLatLng([mid[1], mid[0]]).setContent(el('span', null, name)));
      });
      function toggle() {
        if (map.getZoom() >= labelZoom) { labels.addTo(map); } else { labels.remove(); }
      }
      map.on('zoomend', toggle);
      toggle();
      if (done) { done(streets); }
    }).catch(function () { /* the boundary alone still shows where to draw */ });
  };

  /* Call onFail once when a tile of the map's online tile layers fails to load. */
  GQ.onTileFailure = function (map, onFail) {
    var told = false;
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) {
        layer.on('tileerror', function () { if (!told) { told = true; onFail(); } });
      }
    });
  };
}());

/* Shared pieces of the staff pages (moderation, public answers, events): the staff token
   in sessionStorage only, the sign-in form, requests that carry the token, a status line
   (the resident pages use the status line too) and the report of a failed request. */
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

  /* A .catch handler that reports a request that failed (e.g. no network) with `say`. */
  GQ.failedWith = function (say) {
    return function (error) { say(GQ.t('Action failed: {message}', {message: String(error)}), true); };
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
