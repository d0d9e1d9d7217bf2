/* geoquartier map runtime: markers, popups, opening status at view time, tile fallback.
 *
 * Runs after geoquartier-base.js (the shared GQ namespace: config, local time, escaping,
 * focus). Every text this script puts into the page arrives already HTML-escaped from
 * Python (popups, tooltips, legend) or is set through DOM properties (title, aria-label,
 * textContent).
 */
(function () {
  'use strict';
  var GQ = window.GQ;
  GQ.layers = {};
  GQ.counts = {};
  GQ.basemapState = 'tiles';
  var config = GQ.config, fill = GQ.fill;

  function when(t, now) {
    var c0 = config(), S = c0.strings, a = GQ.localParts(t), b = GQ.localParts(now);
    var time = GQ.ldml(c0.patterns.time, a), dd = a.days - b.days;
    if (dd === 0) { return fill(S.today, { time: time }); }
    if (dd === 1) { return fill(S.tomorrow, { time: time }); }
    if (dd < 7) { return fill(S.weekdayTime, { weekday: c0.weekdays[a.wd], time: time }); }
    return fill(S.dateTime, { date: GQ.ldml(c0.patterns.date, a), time: time });
  }

  /* Opening status of encoded hours {t0, t1, s, d} at nowMin (epoch minutes). */
  GQ.status = function (h, nowMin) {
    var S = config().strings;
    if (!h || nowMin < h.t0 || nowMin >= h.t1) { return { state: 'u', text: S.statusUnknown }; }
    var t = h.t0, i = 0;
    while (i < h.d.length && t + h.d[i] <= nowMin) { t += h.d[i]; i++; }
    var st = h.s.charAt(i), next = null, k = i, tn = t;
    while (k < h.d.length) {
      tn += h.d[k]; k++;
      if (h.s.charAt(k) !== st) { next = tn; break; }
    }
    if (st === 'o') {
      return { state: 'o', text: S.openNow + (next !== null ? ' · ' + fill(S.closes, { when: when(next, nowMin) }) : '') };
    }
    if (st === 'c') {
      return { state: 'c', text: S.closedNow + ' · ' + (next !== null ? fill(S.opens, { when: when(next, nowMin) }) : S.noOpening) };
    }
    return { state: 'u', text: S.statusUnknown };
  };

  /* Write the opening status into every [data-hours] element below root. */
  GQ.refresh = function (root) {
    var hours = config().hours, now = GQ.nowMin();
    (root || document).querySelectorAll('[data-hours]').forEach(function (el) {
      var res = GQ.status(hours[el.getAttribute('data-hours')], now);
      el.textContent = res.text;
      el.classList.remove('gq-st-o', 'gq-st-c', 'gq-st-u');
      el.classList.add('gq-st-' + res.state);
    });
  };

  // ---- markers ----
  var GLYPHS = {
    office: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 3 2 12h3v8h5v-5h4v5h5v-8h3z" fill="#fff"/></svg>',
    service: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="6" r="2.2" fill="#fff"/><path d="M10 10h4v10h-4z" fill="#fff"/></svg>',
    poi: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="4.5" fill="#fff"/></svg>',
    stop: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M7 5h10v3h-3.5v11h-3V8H7z" fill="#fff"/></svg>'
  };

  /* Popups scroll instead of outgrowing the map on small screens. */
  function popupMaxHeight() {
    var el = GQ.map && GQ.map.getContainer();
    var h = el ? el.clientHeight : window.innerHeight;
    return Math.max(200, Math.round(h * 0.62));
  }

  /* A number (item.n, e.g. the rank of a proposed site) or the glyph of the kind. */
  function glyph(item) {
    var n = parseInt(item.n, 10);
    return n > 0 ? '<b class="gq-pin-n" aria-hidden="true">' + n + '</b>' : (GLYPHS[item.g] || GLYPHS.poi);
  }

  function markerIcon(item) {
    var color = GQ.colour(item.c, '#555555');
    var shape = item.a ? ' gq-pin-approx' : '';
    var size = item.g === 'office' ? 34 : (item.n ? 30 : 26);
    return L.divIcon({
      className: 'gq-marker gq-marker-' + item.g,
      html: '<span class="gq-pin' + shape + '" style="background:' + color + '">' + glyph(item) + '</span>',
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
      popupAnchor: [0, -12]
    });
  }

  /* Add point items {lat, lon, t (label), p (popup HTML, escaped), g (glyph), c (colour), a (approximate), n (number shown instead of the glyph)}. */
  GQ.points = function (group, name, items) {
    items.forEach(function (item) {
      var m = L.marker([item.lat, item.lon], {
        icon: markerIcon(item), title: item.t, alt: item.t, keyboard: true, riseOnHover: true,
        zIndexOffset: item.g === 'office' ? 1000 : (item.n ? 500 : 0), gqKind: item.k || ''
      });
      // room above the popup for the map controls, so its close button stays reachable
      m.bindPopup(item.p, { maxWidth: 320, autoPanPaddingTopLeft: [12, 64], autoPanPaddingBottomRight: [12, 12],
                            maxHeight: popupMaxHeight() });
      m.on('add', function () {
        var el = m.getElement();
        if (el) {
          el.setAttribute('aria-label', item.t);
          el.setAttribute('role', 'button');
          el.setAttribute('data-layer', name);
          GQ.onActivate(el, function () { openWithFocus(m, el); });
        }
      });
      m.gqId = item.id;
      group.addLayer(m);
    });
    GQ.layers[name] = group;
    GQ.counts[name] = items.length;
    return group;
  };

  /* Open marker's popup and put the keyboard focus into it; when the popup closes with the
     focus inside, the focus goes back to opener (the marker or a button of the place list). */
  function openWithFocus(marker, opener, open) {
    var focusPopup = function () {
      var popup = marker.getPopup() && marker.getPopup().getElement();
      GQ.focus(popup && popup.querySelector('.leaflet-popup-content'), true);
    };
    if (marker.isPopupOpen()) { focusPopup(); return; }
    marker.once('popupopen', function () {
      focusPopup();
      var popupEl = marker.getPopup().getElement();
      marker.once('popupclose', function () {
        // the popup fades out: the focus may still be inside it
        var active = document.activeElement;
        if (!active || active === document.body || (popupEl && popupEl.contains(active))) { GQ.focus(opener, true); }
      });
    });
    (open || function () { marker.openPopup(); })();
  }

  /* Open the popup of a marker by its feature id (used by the place list, opener its button). */
  GQ.show = function (name, id, opener) {
    var group = GQ.layers[name];
    if (!group) { return false; }
    var found = null;
    group.eachLayer(function (m) { if (m.gqId === id) { found = m; } });
    if (!found) { return false; }
    if (!GQ.map.hasLayer(group)) { GQ.map.addLayer(group); }
    openWithFocus(found, opener, function () {
      var open = function () { found.openPopup(); };
      if (group.zoomToShowLayer) { group.zoomToShowLayer(found, open); } else { GQ.map.panTo(found.getLatLng()); open(); }
    });
    return true;
  };

  // ---- GeoJSON layers: styles per class, escaped popups/tooltips in properties ----
  GQ.geojson = function (name, data, opts) {
    opts = opts || {};
    var renderer = opts.canvas ? L.canvas({ padding: 0.2, pane: opts.pane || 'overlayPane' }) : undefined;
    function styleOf(f) {
      var p = f.properties || {};
      if (opts.classes && p._c !== undefined && p._c !== null) { return opts.classes[p._c]; }
      return opts.style || {};
    }
    var layer = L.geoJSON(data, {
      pane: opts.pane || 'overlayPane',
      interactive: opts.interactive !== false,
      style: styleOf,
      pointToLayer: function (f, ll) {
        var s = Object.assign({ radius: opts.radius || 4, renderer: renderer, pane: opts.pane || 'overlayPane' }, styleOf(f));
        return L.circleMarker(ll, s);
      },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        if (p._p) { l.bindPopup(p._p, { maxWidth: 320, maxHeight: popupMaxHeight() }); }
        if (p._t) { l.bindTooltip(p._t, { sticky: true }); }
        if (renderer && l.options) { l.options.renderer = renderer; }
        l.on('add', function () { shapeAccess(l, p); });
      }
    });
    GQ.layers[name] = layer;
    GQ.counts[name] = (data.features || []).length;
    return layer;
  };

  /* Plain text of pre-escaped HTML from Python (the heading of a popup if it has one). */
  function plainText(html) {
    var doc = new DOMParser().parseFromString(String(html || ''), 'text/html');
    var head = doc.querySelector('h3');
    return (head || doc.body).textContent.trim();
  }

  /* A shape with a popup is a named button reachable by keyboard; any other shape (areas,
     cells: their content is in the legend or the list) is taken out of the tab order. */
  function shapeAccess(layer, p) {
    var el = layer.getElement && layer.getElement();
    if (!el) { return; }
    if (p._p) {
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'button');
      el.setAttribute('aria-label', plainText(p._t || p._p));
      GQ.onActivate(el, function () { layer.openPopup(); GQ.focus(layer.getPopup().getElement().querySelector('.leaflet-popup-content'), true); });
    } else {
      el.setAttribute('tabindex', '-1');
      el.setAttribute('aria-hidden', 'true');
    }
  }

  // ---- keyboard: controls first, named clusters, Escape ----
  /* Leaflet puts its controls after the marker pane: move them first, so that Tab reaches
     zoom, layers and legend before the markers (their place on screen is unchanged). */
  function controlsFirst(map) {
    var box = map.getContainer(), ctl = map._controlContainer;
    if (ctl && box.firstChild !== ctl) { box.insertBefore(ctl, box.firstChild); }
  }

  /* "3 places: Pharmacy, School" — the accessible name of a cluster of markers. */
  GQ.clusterName = function (cluster) {
    var kinds = [];
    cluster.getAllChildMarkers().forEach(function (m) {
      var kind = m.options.gqKind || m.options.title;
      if (kind && kinds.indexOf(kind) < 0) { kinds.push(kind); }
    });
    return fill(config().strings.cluster, { count: cluster.getChildCount(), kinds: kinds.join(', ') });
  };

  function nameCluster(layer) {
    var el = layer && layer.getElement && layer.getElement();
    if (!el || !L.MarkerCluster || !(layer instanceof L.MarkerCluster)) { return; }
    var name = GQ.clusterName(layer);
    el.setAttribute('role', 'button');
    el.setAttribute('aria-label', name);
    el.title = name;
  }

  function nameClusters(map) {
    map.eachLayer(nameCluster);
    map.on('layeradd', function (e) { nameCluster(e.layer); });
  }

  /* Escape closes the open popup; the focus goes back to what opened it. */
  function escapeCloses(map) {
    document.addEventListener('keydown', function (e) {
      var popup = map._popup;
      if (e.key !== 'Escape' || !popup || !map.hasLayer(popup)) { return; }
      var source = popup._source, el = popup.getElement(), active = document.activeElement;
      var inside = !active || active === document.body || (el && el.contains(active));
      map.closePopup();
      e.preventDefault();
      active = document.activeElement;
      var stillInside = !active || active === document.body || (el && el.contains(active));
      if (inside && stillInside && source && source.getElement) { GQ.focus(source.getElement(), true); }
    });
  }

  // ---- the place list: search box, categories folded on phones ----
  function listFilter() {
    var input = document.getElementById('gq-filter'), none = document.getElementById('gq-filter-none');
    var lang = config().lang || 'de';
    if (!input) { return; }
    var phone = window.matchMedia && window.matchMedia('(max-width: 800px)').matches;
    document.querySelectorAll('details.gq-cat').forEach(function (d) {
      if (phone && d.querySelectorAll('li').length > 3) { d.open = false; }
    });
    input.addEventListener('input', function () {
      var q = input.value.trim().toLocaleLowerCase(lang), shown = 0;
      document.querySelectorAll('.gq-list section li').forEach(function (li) {
        var cat = li.closest('details.gq-cat'), catText = cat ? cat.querySelector('summary').textContent : '';
        var hit = !q || (li.textContent + ' ' + catText).toLocaleLowerCase(lang).indexOf(q) >= 0;
        li.hidden = !hit;
        if (hit) { shown += 1; }
      });
      document.querySelectorAll('details.gq-cat').forEach(function (d) {
        var any = d.querySelector('li:not([hidden])');
        d.hidden = !any;
        if (q && any) { d.open = true; }
      });
      if (none) { none.hidden = shown > 0; }
    });
  }

  // ---- walking times from another place (offline estimates) ----
  function findMarker(name, id) {
    var group = GQ.layers[name], found = null;
    if (group && group.eachLayer) { group.eachLayer(function (m) { if (m.gqId === id) { found = m; } }); }
    return found;
  }

  /* Straight line × detour factor at the profile's speed, rounded up (minutes). */
  GQ.estimateMin = function (a, b) {
    var W = config().walkFrom;
    return Math.max(1, Math.ceil(GQ.map.distance(a, b) * W.detour / (W.speedKmh * 1000 / 60)));
  };

  GQ.walkFrom = function (latlng, name) {
    var S = config().strings;
    if (GQ.origin) { GQ.map.removeLayer(GQ.origin); }
    GQ.origin = L.circleMarker(latlng, { radius: 9, color: '#111111', weight: 4, fillColor: '#ffffff', fillOpacity: 1, interactive: false });
    GQ.origin.addTo(GQ.map).bindTooltip(GQ.escapeHtml(S.startingPoint + ': ' + name), { permanent: true, direction: 'top' });
    var count = 0;
    document.querySelectorAll('.gq-list li [data-gq-show]').forEach(function (btn) {
      var m = findMarker(btn.getAttribute('data-gq-layer'), btn.getAttribute('data-gq-show')), li = btn.closest('li');
      if (!m || !li) { return; }
      var line = li.querySelector('.gq-from-line') || li.appendChild(GQ.el('div', 'gq-meta gq-from-line'));
      line.textContent = fill(S.fromPlace, { minutes: GQ.estimateMin(latlng, m.getLatLng()), place: name });
      count += 1;
    });
    document.getElementById('gq-from-reset').hidden = false;
    return count;
  };

  function walkFromForm(map) {
    var W = config().walkFrom, S = config().strings, box = document.getElementById('gq-from');
    if (!W || !box) { return; }
    box.hidden = false;
    var input = document.getElementById('gq-from-address'), status = document.getElementById('gq-from-status');
    var list = document.getElementById('gq-from-list'), form = document.getElementById('gq-from-form');
    if (!W.addresses.length) { form.hidden = true; }
    W.addresses.forEach(function (a) { var o = document.createElement('option'); o.value = a[0]; list.appendChild(o); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var q = input.value.trim().toLocaleLowerCase(config().lang), hit = null;
      W.addresses.forEach(function (a) { if (!hit && a[0].toLocaleLowerCase(config().lang) === q) { hit = a; } });
      W.addresses.forEach(function (a) { if (!hit && q && a[0].toLocaleLowerCase(config().lang).indexOf(q) === 0) { hit = a; } });
      if (!hit) { status.textContent = S.noAddress; return; }
      status.textContent = '';
      GQ.walkFrom(L.latLng(hit[1], hit[2]), hit[0]);
    });
    document.getElementById('gq-from-here').addEventListener('click', function () {
      if (!navigator.geolocation) { status.textContent = S.noLocation; return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        status.textContent = '';
        GQ.walkFrom(L.latLng(pos.coords.latitude, pos.coords.longitude), S.yourLocation);
      }, function () { status.textContent = S.noLocation; }, { timeout: 15000 });
    });
    document.getElementById('gq-from-pick').addEventListener('click', function () {
      status.textContent = S.pickPoint;
      map.getContainer().style.cursor = 'crosshair';
      map.once('click', function (e) {
        map.getContainer().style.cursor = '';
        status.textContent = '';
        GQ.walkFrom(e.latlng, S.chosenPoint);
      });
      GQ.focus(map.getContainer(), false);
    });
    document.getElementById('gq-from-reset').addEventListener('click', function () {
      if (GQ.origin) { map.removeLayer(GQ.origin); GQ.origin = null; }
      document.querySelectorAll('.gq-from-line').forEach(function (n) { n.remove(); });
      this.hidden = true;
    });
  }

  // ---- legend control ----
  GQ.legend = function (map, html) {
    var ctl = L.control({ position: 'bottomleft' });
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', 'gq-legend leaflet-bar');
      div.innerHTML = html; // built and escaped in Python
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    var details = ctl.getContainer().querySelector('details');
    var phone = window.matchMedia && window.matchMedia('(max-width: 700px)').matches;
    if (details && phone) { details.open = false; }
    // the legend lists only the layers that are switched on
    var sync = function () {
      ctl.getContainer().querySelectorAll('[data-gq-legend]').forEach(function (sec) {
        var layer = GQ.layers[sec.getAttribute('data-gq-legend')];
        sec.hidden = Boolean(layer) && !map.hasLayer(layer);
      });
    };
    sync();
    map.on('overlayadd overlayremove', sync);
    // on a phone an opened legend and a popup do not share the screen
    if (details && phone) {
      details.addEventListener('toggle', function () { if (details.open) { map.closePopup(); } });
    }
    window.addEventListener('beforeprint', function () { if (details) { details.open = true; } });
    // an open popup goes above the legend: fold the legend while a popup is open
    var reopen = false;
    map.on('popupopen', function () { if (details && details.open) { reopen = true; details.open = false; } });
    map.on('popupclose', function () { if (details && reopen) { details.open = true; } reopen = false; });
    return ctl;
  };

  // ---- basemap: tiles with fallback to the offline street map ----
  GQ.basemap = function (map, tiles, vector, noticeId) {
    function showVector() {
      if (!map.hasLayer(vector)) { vector.addTo(map); }
      GQ.basemapState = 'vector';
    }
    if (!tiles) { showVector(); return; }
    var loaded = false, failed = 0, switched = false;
    function fallback() {
      if (switched || loaded) { return; }
      switched = true;
      if (map.hasLayer(tiles)) { map.removeLayer(tiles); }
      showVector();
      var note = document.getElementById(noticeId);
      if (note) { note.hidden = false; GQ.fit(); }
    }
    tiles.on('tileload', function () { loaded = true; GQ.basemapState = 'tiles'; });
    tiles.on('tileerror', function () { failed += 1; if (failed >= 2) { fallback(); } });
    if (navigator.onLine === false) { fallback(); }
    window.setTimeout(function () { if (!loaded && map.hasLayer(tiles)) { fallback(); } }, 8000);
  };

  /* Fit the quartier into the visible part of the map (beside an open legend on wide screens). */
  GQ.fit = function () {
    var map = GQ.map, target = GQ.layers.boundary || GQ.layers.population || GQ.layers.offices;
    if (!map || !target || !target.getBounds) { return; }
    var bounds = target.getBounds();
    if (!bounds.isValid()) { return; }
    if (map._animatingZoom) { map.once('zoomend', GQ.fit); return; }
    map.invalidateSize(false);
    var size = map.getSize(), left = 12;
    var legend = map.getContainer().querySelector('.gq-legend');
    if (legend && size.x > 700) { left = Math.min(legend.offsetWidth + 16, size.x / 3); }
    map.fitBounds(bounds, { paddingTopLeft: [left, 12], paddingBottomRight: [56, 24], animate: false });
  };

  GQ.start = function (map) {
    var c0 = config();
    GQ.map = map;
    GQ.label('.leaflet-control-zoom-in', c0.strings.zoomIn);
    GQ.label('.leaflet-control-zoom-out', c0.strings.zoomOut);
    GQ.label('.leaflet-control-layers-toggle', c0.strings.layers);
    if (map.attributionControl && c0.attribution) {
      map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
      map.attributionControl.addAttribution(c0.attribution);
    }
    controlsFirst(map);
    nameClusters(map);
    escapeCloses(map);
    listFilter();
    walkFromForm(map);
    map.on('popupopen', function (e) { GQ.refresh(e.popup.getElement()); });
    GQ.refresh(document);
    window.setInterval(function () { GQ.refresh(document); }, 60000);
    document.querySelectorAll('[data-gq-show]').forEach(function (btn) {
      btn.addEventListener('click', function () {
        var target = document.getElementById(GQ.map.getContainer().id);
        GQ.show(btn.getAttribute('data-gq-layer'), btn.getAttribute('data-gq-show'), btn);
        if (target && target.scrollIntoView) { target.scrollIntoView({ block: 'nearest' }); }
      });
    });
  };
}());
