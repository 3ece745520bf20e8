/**
 * The browser side of the charts, shared by `report.html` and the live dashboard: a script that
 * draws `ChartData` (chart-data.ts) with uPlot — shaded time bands under every time chart, dashed
 * threshold lines with their label, dashed planned series, legends that show the latest value when
 * the pointer is elsewhere, a log axis for latency distributions — and redraws in place when new
 * data arrives. It defines `window.tiervecRender(data)` and keeps `window.tiervecCharts` (title,
 * data points and plot of every chart) for tests. Plain ES5 text; it never fetches anything.
 */

export const CHART_STYLE = `
.chart { margin: 16px 0; } .empty { color: #57606a; font-style: italic; }
.bands { font-size: 12px; color: #57606a; margin: 4px 0 8px; }
.bands span.swatch { display: inline-block; width: 12px; height: 12px; margin: 0 4px -2px 10px; border: 1px solid #d0d7de; }
.u-legend { font-size: 12px; } .u-legend .u-value { font-variant-numeric: tabular-nums; }
`;

export const CHART_SCRIPT = `
(function () {
  var palette = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a3069', '#e16f24', '#218bff', '#6e7781'];
  var bandColors = { 'warm-up': 'rgba(110,119,129,0.16)', 'window': 'rgba(130,80,223,0.10)', 'spike': 'rgba(191,57,137,0.16)',
    'partition': 'rgba(207,34,46,0.20)', 'tier moves': 'rgba(154,103,0,0.18)' };
  var container = document.getElementById('charts');
  var bandList = document.getElementById('bands');
  var state = { signature: null, holders: [] };

  function fmt(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    var text = a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : a === 0 ? '0' : v.toFixed(3);
    return unit ? text + ' ' + unit : text;
  }
  function lastValue(values) {
    for (var i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
    return null;
  }
  function points(chart) {
    var n = 0;
    chart.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) n++; }); });
    return n;
  }
  function percentileLabel(x) {
    if (x >= 6) return 'max';
    return 'p' + Number((100 * (1 - Math.pow(10, -x))).toPrecision(6));
  }
  function drawBands(u, holder) {
    if (holder.chart.kind !== 'time') return;
    var ctx = u.ctx, left = u.bbox.left, right = u.bbox.left + u.bbox.width;
    holder.bands.forEach(function (b) {
      var x0 = Math.max(left, u.valToPos(b.startS, 'x', true));
      var x1 = Math.min(right, u.valToPos(b.endS, 'x', true));
      if (!(x1 > x0 - 1)) return;
      ctx.fillStyle = bandColors[b.kind] || 'rgba(0,0,0,0.08)';
      ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
    });
  }
  function drawThresholds(u, holder) {
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = '#cf222e';
    ctx.fillStyle = '#cf222e';
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.font = (11 * devicePixelRatio) + 'px system-ui, sans-serif';
    holder.chart.thresholds.forEach(function (t) {
      var y = u.valToPos(t.value, t.axis === 'right' ? 'r' : 'y', true);
      if (!(y >= u.bbox.top && y <= u.bbox.top + u.bbox.height)) return;
      var x0 = t.fromS === undefined ? u.bbox.left : Math.max(u.bbox.left, u.valToPos(t.fromS, 'x', true));
      var x1 = t.toS === undefined ? u.bbox.left + u.bbox.width : Math.min(u.bbox.left + u.bbox.width, u.valToPos(t.toS, 'x', true));
      ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x1, y); ctx.stroke();
      ctx.fillText(t.label, Math.max(x0, x1 - ctx.measureText(t.label).width - 4), y - 4);
    });
    ctx.restore();
  }
  function linearRange(holder, scale) {
    return function (u, min, max) {
      holder.chart.thresholds.forEach(function (t) {
        if ((t.axis === 'right' ? 'r' : 'y') === scale && t.value > (max === null ? -Infinity : max)) max = t.value;
      });
      if (min === null || max === null) return [0, 1];
      var lo = Math.min(0, min), hi = max > lo ? max * 1.08 : lo + 1;
      return [lo, hi];
    };
  }
  function options(holder, width) {
    var chart = holder.chart, right = chart.series.some(function (s) { return s.axis === 'right'; });
    var time = chart.kind === 'time';
    var xSeries = { label: time ? 'time' : 'percentile', value: function (u, v, sidx, idx) {
      if (idx === null) v = lastValue(u.data[0]);
      return time ? fmt(v, 's') : (v === null ? '–' : percentileLabel(v));
    } };
    var series = [xSeries].concat(chart.series.map(function (s, i) {
      return { label: s.label, stroke: s.label === 'target' ? '#57606a' : palette[i % palette.length], width: s.dash ? 2 : 1.5,
        dash: s.dash ? [8, 5] : undefined, scale: s.axis === 'right' ? 'r' : 'y', spanGaps: false,
        value: function (u, v, sidx, idx) { return fmt(idx === null ? lastValue(u.data[sidx]) : v, s.unit); } };
    }));
    var xAxis = time ? { label: 'seconds' } : { label: 'percentile',
      splits: function () { return chart.xTicks.map(function (t) { return t.value; }); },
      values: function () { return chart.xTicks.map(function (t) { return t.label; }); } };
    var axes = [xAxis, { label: chart.yLabel, scale: 'y' }];
    if (right) axes.push({ label: chart.yLabelRight, scale: 'r', side: 1, grid: { show: false } });
    return {
      title: chart.title, width: width, height: 260, series: series, axes: axes,
      scales: { x: time ? { time: false } : { time: false, range: [0, 6] },
        y: chart.yLog ? { distr: 3 } : { range: linearRange(holder, 'y') }, r: { range: linearRange(holder, 'r') } },
      legend: { live: true },
      hooks: { drawClear: [function (u) { drawBands(u, holder); }], draw: [function (u) { drawThresholds(u, holder); }] },
    };
  }
  function columns(chart, data) {
    return [chart.kind === 'time' ? data.x : chart.x].concat(chart.series.map(function (s) { return s.values; }));
  }
  function showBands(bands) {
    if (!bandList) return;
    bandList.innerHTML = '';
    if (bands.length === 0) return;
    bandList.appendChild(document.createTextNode('Shaded on time charts:'));
    bands.forEach(function (b) {
      var swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = bandColors[b.kind] || 'rgba(0,0,0,0.08)';
      bandList.appendChild(swatch);
      bandList.appendChild(document.createTextNode(b.label + ' ' + fmt(b.startS) + '–' + fmt(b.endS, 's')));
    });
  }
  function build(data) {
    state.holders.forEach(function (h) { if (h.plot) h.plot.destroy(); });
    container.innerHTML = '';
    var width = Math.max(600, Math.min(1150, container.clientWidth || 1000));
    state.holders = data.charts.map(function (chart) {
      var holder = { chart: chart, bands: data.bands, element: document.createElement('div') };
      holder.element.className = 'chart';
      holder.element.setAttribute('data-chart', chart.id);
      container.appendChild(holder.element);
      if (columns(chart, data)[0].length === 0 || points(chart) === 0) {
        var heading = document.createElement('h3');
        heading.textContent = chart.title;
        var note = document.createElement('p');
        note.className = 'empty';
        note.textContent = 'no data yet';
        holder.element.appendChild(heading);
        holder.element.appendChild(note);
        return holder;
      }
      holder.plot = new uPlot(options(holder, width), columns(chart, data), holder.element);
      return holder;
    });
  }
  function signature(data) {
    return data.charts.map(function (c) {
      return c.id + (points(c) > 0 ? '+' : '-') + c.series.map(function (s) { return s.label; }).join(',');
    }).join('|');
  }
  window.tiervecRender = function (data) {
    var next = signature(data);
    if (next !== state.signature) {
      state.signature = next;
      build(data);
    } else {
      data.charts.forEach(function (chart, i) {
        var holder = state.holders[i];
        holder.chart = chart;
        holder.bands = data.bands;
        if (holder.plot) holder.plot.setData(columns(chart, data));
      });
    }
    showBands(data.bands);
    window.tiervecCharts = state.holders.map(function (h) {
      return { id: h.chart.id, title: h.chart.title, points: points(h.chart), plot: h.plot, updates: (window.tiervecUpdates || 0) };
    });
    window.tiervecUpdates = (window.tiervecUpdates || 0) + 1;
  };
  var initial = document.getElementById('tiervec-data');
  if (initial) window.tiervecRender(JSON.parse(initial.textContent));
})();
`;
