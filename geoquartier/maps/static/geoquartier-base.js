/* geoquartier page base: the one GQ namespace of the quartier maps and of the participation,
 * moderation and report pages. Page scripts (geoquartier-map.js, participation.js, ...) add
 * their own functions to it.
 *
 * Everything a page needs to know — kinds of contribution and their colours, the time zone,
 * the tile URL, month and weekday names, date patterns — is read from the page config (the
 * JSON script element #gq-config), which the Python side fills from
 * geoquartier.vocabulary.page_constants(); labels from the JSON script element #gq-i18n.
 * Nothing of that vocabulary is written into the scripts.
 *
 * User texts are only ever written with textContent or escaped with GQ.escapeHtml.
 */
(function () {
  'use strict';
  var GQ = window.GQ = window.GQ || {};
  var cfg = null;
  var messages = null;
  var has = function (obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); };

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // ---- config and labels ---------------------------------------------------------------
  /* The page config (read once, on first use). */
  GQ.config = function () {
    if (!cfg) { cfg = readJson('gq-config') || {}; }
    return cfg;
  };

  /* "{name}" placeholders of template replaced by values (as plain text). */
  GQ.fill = function (template, values) {
    var out = String(template);
    Object.keys(values || {}).forEach(function (k) { out = out.split('{' + k + '}').join(String(values[k])); });
    return out;
  };

  /* The label of msgid in the page language (the msgid itself if the catalog lacks it). */
  GQ.t = function (msgid, values) {
    if (!messages) { messages = readJson('gq-i18n') || {}; }
    var text = has(messages, msgid) ? messages[msgid] : msgid;
    return values ? GQ.fill(text, values) : text;
  };

  // ---- escaping -----------------------------------------------------------------------------
  var HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  var COLOUR = /^#[0-9a-fA-F]{6}$/;

  /* value as HTML text (for the few Leaflet options that take markup, e.g. attribution). */
  GQ.escapeHtml = function (value) {
    return String(value === null || value === undefined ? '' : value)
      .replace(/[&<>"']/g, function (c) { return HTML_ESCAPES[c]; });
  };

  /* A new element with an optional class and text (set as text, never as markup). */
  GQ.el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  };

  /* value if it is a #rrggbb colour, else fallback (colours go into style attributes). */
  GQ.colour = function (value, fallback) { return COLOUR.test(value || '') ? value : fallback; };

  // ---- kinds of contribution --------------------------------------------------------------
  /* The colour of a kind of contribution, the same on every map and page. */
  GQ.kindColour = function (kind) {
    var colours = GQ.config().kindColours || {};
    return GQ.colour(has(colours, kind) ? colours[kind] : '', '#555555');
  };

  /* The label of a kind of contribution in the page language. */
  GQ.kindLabel = function (kind) {
    var labels = GQ.config().kindLabels || {};
    return has(labels, kind) ? labels[kind] : String(kind);
  };

  /* Leaflet path options of a contribution of this kind (lines, areas and circle markers). */
  GQ.kindStyle = function (kind) {
    var colour = GQ.kindColour(kind);
    return { color: colour, fillColor: colour, weight: 4, fillOpacity: 0.25 };
  };

  // ---- local time in the configured time zone ---------------------------------------------
  GQ.nowMin = function () { return Math.floor(Date.now() / 60000); };

  var zoneFormat = null;
  function zoneOffsetMin(epochMin) {
    if (zoneFormat === null) {
      try {
        zoneFormat = new Intl.DateTimeFormat('en-US', {
          timeZone: GQ.config().timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric',
          day: 'numeric', hour: 'numeric', minute: 'numeric'
        });
      } catch {
        zoneFormat = false;  // no time zone data for the configured zone in this browser
      }
    }
    if (!zoneFormat) { return null; }
    var p = {};
    zoneFormat.formatToParts(new Date(epochMin * 60000)).forEach(function (part) { p[part.type] = Number(part.value); });
    return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute) / 60000 - epochMin;
  }

  /* UTC offset (minutes) of the configured time zone (config.timeZone) at an epoch minute:
     from the browser's time zone data, else from the table a standalone map embeds for the
     months it shows (config.tz, [[from epoch minute, offset], ...]). */
  function offsetMin(epochMin) {
    var offset = GQ.config().timeZone ? zoneOffsetMin(epochMin) : null;
    var table = GQ.config().tz;
    if (offset !== null || !table || !table.length) { return offset || 0; }
    offset = table[0][1];
    for (var i = 0; i < table.length; i++) { if (epochMin >= table[i][0]) { offset = table[i][1]; } }
    return offset;
  }

  /* Wall-clock parts of an epoch minute in the configured time zone (wd: 0 = Monday). */
  GQ.localParts = function (epochMin) {
    var l = epochMin + offsetMin(epochMin);
    var days = Math.floor(l / 1440), mins = l - days * 1440;
    var d = new Date(days * 86400000);
    return { days: days, y: d.getUTCFullYear(), M: d.getUTCMonth() + 1, d: d.getUTCDate(),
             wd: ((days + 3) % 7 + 7) % 7, H: Math.floor(mins / 60), m: mins % 60 };
  };

  function pad(v, n) { v = String(v); while (v.length < n) { v = '0' + v; } return v; }
  function field(c, n, p) {
    var c0 = GQ.config();
    switch (c) {
      case 'y': return n === 2 ? pad(p.y % 100, 2) : String(p.y);
      case 'M': case 'L': return n >= 3 ? c0.months[p.M - 1] : pad(p.M, n);
      case 'd': return pad(p.d, n);
      case 'E': case 'c': return c0.weekdays[p.wd];
      case 'H': return pad(p.H, n);
      case 'h': return pad(p.H % 12 === 0 ? 12 : p.H % 12, n);
      case 'm': return pad(p.m, n);
      case 'a': return c0.dayPeriods[p.H < 12 ? 0 : 1];
      default: return '';
    }
  }

  /* Format local-time parts with an LDML pattern from CLDR (delivered by Babel). */
  GQ.ldml = function (pattern, p) {
    var out = '', i = 0;
    while (i < pattern.length) {
      var c = pattern.charAt(i), j;
      if (c === "'") {
        j = pattern.indexOf("'", i + 1);
        if (j === i + 1) { out += "'"; i += 2; continue; }
        if (j < 0) { j = pattern.length; }
        out += pattern.slice(i + 1, j); i = j + 1; continue;
      }
      if (/[A-Za-z]/.test(c)) {
        j = i; while (j < pattern.length && pattern.charAt(j) === c) { j++; }
        out += field(c, j - i, p); i = j; continue;
      }
      out += c; i++;
    }
    return out;
  };

  /* An epoch minute as local 'time' or 'date' in the page language. */
  GQ.formatLocal = function (epochMin, which) {
    return GQ.ldml(GQ.config().patterns[which], GQ.localParts(epochMin));
  };

  /* An ISO 8601 timestamp (with offset) as local date and time; unparsable text as it is. */
  GQ.formatTimestamp = function (iso) {
    var ms = Date.parse(iso || '');
    if (isNaN(ms)) { return iso || ''; }
    var epochMin = Math.floor(ms / 60000), glue = GQ.config().patterns.dateTime || '{1} {0}';
    return GQ.fill(glue, { 1: GQ.formatLocal(epochMin, 'date'), 0: GQ.formatLocal(epochMin, 'time') });
  };

  // ---- map pieces -----------------------------------------------------------------------------
  /* The online tile layer of the config's tileUrl (null when the page has none). */
  GQ.tileLayer = function (options) {
    var url = GQ.config().tileUrl;
    return url ? L.tileLayer(url, Object.assign({ maxZoom: 19 }, options || {})) : null;
  };

  // ---- focus and keyboard ------------------------------------------------------------------
  /* Move the keyboard focus to node (made focusable by script if it is not). */
  GQ.focus = function (node, preventScroll) {
    if (!node) { return; }
    if (node.tabIndex < 0 && !node.hasAttribute('tabindex')) { node.setAttribute('tabindex', '-1'); }
    node.focus({ preventScroll: Boolean(preventScroll) });
  };

  /* Run action when node is activated with Enter or Space (for elements that are no buttons). */
  GQ.onActivate = function (node, action) {
    if (!node || node.gqActivate) { return; }
    node.gqActivate = true;
    node.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); action(e); }
    });
  };

  /* Give every element matching selector the accessible name value (title and aria-label). */
  GQ.label = function (selector, value, root) {
    if (!value) { return; }
    (root || document).querySelectorAll(selector).forEach(function (node) {
      node.title = value; node.setAttribute('aria-label', value);
    });
  };
}());
