// Charts for console pages, drawn by the vendored Apache ECharts (static/vendor). Each chart
// fills a container whose height the stylesheet fixes (.chart), so drawing never moves the
// page. Labels and numbers come formatted by wp (console.js) in the member's language.
"use strict";
(() => {
  const palette = ["#3451d1", "#16a394", "#e08a1e", "#c2417a", "#6b57d6", "#3c8d2f", "#8a6d3b"];
  const drawn = new WeakMap();

  function chart(element) {
    let instance = drawn.get(element);
    if (!instance) {
      instance = window.echarts.init(element, null, { renderer: "svg" });
      drawn.set(element, instance);
      new ResizeObserver(() => instance.resize()).observe(element);
    }
    return instance;
  }

  const base = { color: palette, animation: !matchMedia("(prefers-reduced-motion: reduce)").matches,
                 textStyle: { fontFamily: "system-ui, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif" } };

  /** Vertical bars, one per label (a funnel: each step's count), with values written on them. */
  function bars(element, { labels, values, format = (v) => wp.number(v), onClick }) {
    const instance = chart(element);
    instance.setOption({
      ...base,
      grid: { left: 56, right: 16, top: 24, bottom: 48 },
      tooltip: { trigger: "axis", valueFormatter: format },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, overflow: "truncate", width: 120 } },
      yAxis: { type: "value", axisLabel: { formatter: (v) => wp.number(v) } },
      series: [{ type: "bar", data: values, barMaxWidth: 64, label: { show: true, position: "top", formatter: (p) => format(p.value) } }],
    }, true);
    instance.off("click");
    if (onClick) instance.on("click", (p) => onClick(p.dataIndex));
    return instance;
  }

  /** Lines over time: `x` labels, `series` [{name, values}]. */
  function lines(element, { x, series, format = (v) => wp.number(v), area = false }) {
    const instance = chart(element);
    instance.setOption({
      ...base,
      grid: { left: 56, right: 16, top: 32, bottom: 40 },
      legend: { top: 0, type: "scroll" },
      tooltip: { trigger: "axis", valueFormatter: format },
      xAxis: { type: "category", data: x, boundaryGap: false },
      yAxis: { type: "value", axisLabel: { formatter: (v) => format(v) } },
      series: series.map((s) => ({ type: "line", name: s.name, data: s.values, showSymbol: x.length < 40, areaStyle: area ? { opacity: 0.15 } : undefined })),
    }, true);
    return instance;
  }

  /** A heat map: rows by columns of shares (retention: cohorts by periods later). */
  function heatmap(element, { rows, columns, cells }) {
    const instance = chart(element);
    instance.setOption({
      ...base,
      grid: { left: 120, right: 16, top: 16, bottom: 56 },
      tooltip: { formatter: (p) => `${rows[p.value[1]]} · ${columns[p.value[0]]}: ${wp.percent(p.value[2])}` },
      xAxis: { type: "category", data: columns, splitArea: { show: true } },
      yAxis: { type: "category", data: rows, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: 1, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, inRange: { color: ["#eef1fb", "#3451d1"] }, formatter: (v) => wp.percent(v, 0) },
      series: [{ type: "heatmap", data: cells, label: { show: true, formatter: (p) => wp.percent(p.value[2], 0) } }],
    }, true);
    return instance;
  }

  /** A Sankey diagram of paths: `nodes` [{name}], `links` [{source, target, value}]. */
  function sankey(element, { nodes, links }) {
    const instance = chart(element);
    instance.setOption({
      ...base,
      tooltip: { trigger: "item", valueFormatter: (v) => wp.number(v) },
      series: [{ type: "sankey", data: nodes, links, emphasis: { focus: "adjacency" }, nodeAlign: "left", lineStyle: { color: "gradient", curveness: 0.5 }, label: { overflow: "truncate", width: 140 } }],
    }, true);
    return instance;
  }

  /** A histogram: bins [{label, count}]. */
  function histogram(element, { labels, counts }) {
    return bars(element, { labels, values: counts });
  }

  window.wpCharts = { bars, lines, heatmap, sankey, histogram };
})();
