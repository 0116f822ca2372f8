// The command centre's charts (Apache ECharts); Blazor calls render() with fresh figures whenever cases move.
window.cityopsDashboard = (() => {
  const charts = {};
  const chart = (id) => {
    const el = document.getElementById(id);
    if (!el) return null;
    if (!charts[id] || charts[id].getDom() !== el) charts[id] = echarts.init(el);
    return charts[id];
  };
  const bar = (names, values, color) => ({
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: 110, overflow: 'truncate' } },
    series: [{ type: 'bar', data: values, itemStyle: { color } }],
    animation: false,
  });
  return {
    render(d, labels) {
      chart('chart-channel')?.setOption({
        tooltip: { trigger: 'item' }, animation: false,
        series: [{ type: 'pie', radius: ['35%', '70%'], data: d.byChannel.map(s => ({ name: s.name, value: s.value })), label: { formatter: '{b} {c}' } }],
      }, true);
      chart('chart-category')?.setOption(bar(d.byCategory.map(s => s.name), d.byCategory.map(s => s.value), '#0b5cad'), true);
      chart('chart-district')?.setOption(bar(d.byDistrict.map(s => s.name), d.byDistrict.map(s => s.value), '#2e9b4a'), true);
      chart('chart-trend')?.setOption({
        tooltip: { trigger: 'axis' }, legend: { data: [labels.reported, labels.closed] }, animation: false,
        grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: d.days }, yAxis: { type: 'value', minInterval: 1 },
        series: [
          { name: labels.reported, type: 'line', data: d.reportedPerDay, smooth: true },
          { name: labels.closed, type: 'line', data: d.closedPerDay, smooth: true },
        ],
      }, true);
    },
    resize() { Object.values(charts).forEach(c => c.resize()); },
  };
})();
window.addEventListener('resize', () => window.cityopsDashboard.resize());

// One subject's score and rates period by period (evaluation page).
window.cityopsTrend = (el, labels, series) => {
  el.closest('.trend')?.classList.remove('hidden'); // drawn into a visible box, or it has no width
  const chart = echarts.getInstanceByDom(el) || echarts.init(el);
  chart.setOption({
    tooltip: { trigger: 'axis' }, legend: { data: series.map(s => s.name) }, animation: false,
    grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: labels }, yAxis: { type: 'value', min: 0, max: 100 },
    series: series.map(s => ({ name: s.name, type: 'line', data: s.values, connectNulls: false })),
  }, true);
  chart.resize();
};
