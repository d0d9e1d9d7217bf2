"""Readers of real data sources; each returns GeoDataFrames in EPSG:4326 ready for
:func:`geoquartier.layers.validate`.

* :mod:`.osm` — OpenStreetMap from a local extract or from Overpass (via OSMnx), with the
  tag table of :mod:`.osm_tags`
* :mod:`.zensus` — Zensus 2022 100 m population grid; :mod:`.population` — residents
  estimated over buildings where no grid exists
* :mod:`.gtfs` — transit stops from a GTFS feed
* :mod:`.amenity_points` — categorised OSM-derived points (no names), e.g. Magdeburg's
* :mod:`.files` — planners' own CSV / GeoJSON / GeoPackage files
"""
