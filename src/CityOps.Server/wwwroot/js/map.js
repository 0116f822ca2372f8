// The live map (Leaflet): boundaries drawn from the platform's own layers, so it works with no tile
// source at all; cases as clustered markers coloured by deadline, and a heat layer.
window.cityopsMap = (() => {
  let map, clusters, heat, control;
  const colours = { Red: '#d93025', Yellow: '#f2b01e', Green: '#2e9b4a', None: '#5b6675', Closed: '#8a94a3' };
  const styles = {
    District: { color: '#12324f', weight: 2.5, fill: false },
    Subdistrict: { color: '#0b5cad', weight: 1.5, fill: false, dashArray: '4 3' },
    Community: { color: '#7a8ca3', weight: 0.8, fill: true, fillOpacity: 0.03 },
    Cell: { color: '#b0bac6', weight: 0.4, fill: false },
  };
  const icon = (c) => L.divIcon({ className: 'case-marker', html: `<span style="background:${colours[c.status] || colours.None}"></span>`, iconSize: [14, 14] });

  function init(el, o) {
    map = L.map(el, { preferCanvas: true, zoomControl: true, maxZoom: 18, minZoom: 8 }).setView([24.48, 118.12], 11);
    if (o.tileUrl) L.tileLayer(o.tileUrl, { attribution: o.attribution || '', maxZoom: 18 }).addTo(map);
    control = L.control.layers(null, null, { collapsed: false }).addTo(map);
    // The grid (thousands of cells) is fetched only when its layer is switched on.
    const cells = L.layerGroup();
    control.addOverlay(cells, o.labels.Cell);
    map.on('overlayadd', e => {
      if (e.layer !== cells || cells.getLayers().length) return;
      fetch(`api/areas/layers/Cell?coordinateSystem=${o.coordinateSystem}`, { credentials: 'same-origin' })
        .then(r => r.ok ? r.json() : null)
        .then(fc => { if (fc) cells.addLayer(L.geoJSON(fc, { style: styles.Cell, onEachFeature: (f, l) => l.bindTooltip(`${f.properties.name} ${f.properties.code}`, { sticky: true }) })); });
    });
    for (const level of ['District', 'Subdistrict', 'Community']) {
      fetch(`api/areas/layers/${level}?coordinateSystem=${o.coordinateSystem}`, { credentials: 'same-origin' })
        .then(r => r.ok ? r.json() : null)
        .then(fc => {
          if (!fc) return;
          const layer = L.geoJSON(fc, { style: styles[level], onEachFeature: (f, l) => l.bindTooltip(`${f.properties.name} ${f.properties.code}`, { sticky: true }) });
          if (level !== 'Community') layer.addTo(map);
          control.addOverlay(layer, o.labels[level]);
          if (level === 'District') map.fitBounds(layer.getBounds());
          el.dataset.layers = String(Number(el.dataset.layers || 0) + 1);
        });
    }
    clusters = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 50 }).addTo(map);
    heat = L.heatLayer([], { radius: 18, blur: 20, maxZoom: 15 });
    control.addOverlay(clusters, o.labels.cases);
    control.addOverlay(heat, o.labels.heat);
  }

  return {
    render(el, o, cases) {
      if (!map || map.getContainer() !== el) init(el, o);
      clusters.clearLayers();
      clusters.addLayers(cases.map(c => L.marker([c.lat, c.lon], { icon: icon(c), title: `#${c.id}` })
        .bindPopup(() => { const a = document.createElement('a'); a.href = `cases/${c.id}`; a.textContent = `#${c.id} ${c.category} · ${c.state}`; return a; })));
      heat.setLatLngs(cases.map(c => [c.lat, c.lon, 0.6]));
      el.dataset.cases = String(cases.length);
    },
  };
})();

// The intake desk's location picker: a click reports the point in the map's coordinate system.
window.cityopsPicker = (() => {
  let map, marker, dotnet;
  return {
    init(el, o, ref) {
      dotnet = ref;
      if (map && map.getContainer() === el) return;
      map = L.map(el, { maxZoom: 18, minZoom: 8 }).setView([24.48, 118.12], 11);
      if (o.tileUrl) L.tileLayer(o.tileUrl, { attribution: o.attribution || '', maxZoom: 18 }).addTo(map);
      fetch(`api/areas/layers/District?coordinateSystem=${o.coordinateSystem}`, { credentials: 'same-origin' })
        .then(r => r.ok ? r.json() : null)
        .then(fc => { if (fc) { const l = L.geoJSON(fc, { style: { color: '#12324f', weight: 2, fill: false } }).addTo(map); map.fitBounds(l.getBounds()); el.dataset.ready = '1'; } });
      map.on('click', e => {
        if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(map);
        dotnet.invokeMethodAsync('Picked', e.latlng.lat, e.latlng.lng);
      });
    },
    show(lat, lon) {
      if (!map) return;
      if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon]).addTo(map);
    },
  };
})();

// The case file's map: the place of one case among the district boundaries. Called after every
// render: it draws when the element has no map of this place yet (first render, another case, or an
// element Blazor replaced) and does nothing otherwise, or when the element is not in the page.
window.cityopsSpot = (el, o, lat, lon) => {
  if (!(el instanceof HTMLElement) || !el.isConnected) return;
  const place = `${lat},${lon}`;
  if (el._map && el._place === place) return;
  if (el._map) { el._map.remove(); el._map = null; }
  if (el._leaflet_id) delete el._leaflet_id; // an element Blazor reused from an earlier map
  const map = el._map = L.map(el, { maxZoom: 18, minZoom: 8 }).setView([lat, lon], 15);
  if (o.tileUrl) L.tileLayer(o.tileUrl, { attribution: o.attribution || '', maxZoom: 18 }).addTo(map);
  for (const level of ['District', 'Community']) {
    fetch(`api/areas/layers/${level}?coordinateSystem=${o.coordinateSystem}`, { credentials: 'same-origin' })
      .then(r => r.ok ? r.json() : null)
      .then(fc => { if (fc) L.geoJSON(fc, { style: { color: level === 'District' ? '#12324f' : '#7a8ca3', weight: level === 'District' ? 2 : 0.8, fill: false } }).addTo(map); });
  }
  L.marker([lat, lon]).addTo(map);
  el._place = place;
  el.dataset.ready = '1';
};
