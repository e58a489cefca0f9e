// Insights: the builder's form <-> an insight query, the query kept in the page's URL (?q=), and
// each kind's answer drawn as a chart with its numbers in a table. The drawing functions are
// shared with dashboards (window.wpInsights), which load this file too.
"use strict";
(() => {
  const { h } = wp;
  const zone = document.querySelector('meta[name="wp-timezone"]')?.getAttribute("content") || "UTC";

  // --- Days in the member's zone: date inputs hold days, queries hold instants. ---

  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
  const clockFormat = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });

  /** How far the zone's clock is ahead of UTC at an instant (ms). */
  function zoneOffset(ms) {
    const parts = Object.fromEntries(clockFormat.formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
    const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return asUtc - Math.floor(ms / 1000) * 1000;
  }
  /** Midnight starting a day (YYYY-MM-DD) in the member's zone, as an ISO instant. */
  function dayStart(day) {
    const [y, m, d] = day.split("-").map(Number);
    const wall = Date.UTC(y, m - 1, d);
    // Twice: the offset at the guess can differ from the offset at midnight itself (DST).
    const guess = wall - zoneOffset(wall);
    return new Date(wall - zoneOffset(guess)).toISOString();
  }
  /** The day (YYYY-MM-DD) an instant falls on in the member's zone. */
  function dayOf(instant) {
    return dayFormat.format(new Date(instant));
  }
  function addDays(day, n) {
    const [y, m, d] = day.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
  }
  const today = () => dayOf(Date.now());

  // --- Small DOM helpers. ---

  /** A data table: `columns` [{label, num}], `rows` of cells (text or nodes). */
  function table(columns, rows, caption, className = "") {
    return h("div", { class: "table-scroll" }, h("table", { class: `data ${className}`.trim() },
      caption ? h("caption", { class: "visually-hidden", text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null, text: c.label })))),
      h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 && !columns[0].num
        ? h("th", { scope: "row" }, cell)
        : h("td", { class: columns[i].num ? "num" : null }, cell))))))));
  }

  function metric(label, value, note) {
    return h("div", { class: "stat" },
      h("div", { class: "stat-label", text: label }),
      h("div", { class: "metric", text: value }),
      note ? h("div", { class: "muted small", text: note }) : null);
  }

  // --- How each kind's answer is drawn (shared with dashboards). ---

  const anyEvent = () => wp.t("insights.any_event");
  const stepName = (step) => step.event ?? step.action ?? anyEvent();
  const blankValue = (value) => (value === "" || value === null || value === undefined ? wp.t("insights.empty_value") : value);

  function dateLabel(iso, interval) {
    if (interval === "hour") return wp.when(iso, { dateStyle: "short", timeStyle: "short" });
    if (interval === "month") return wp.when(iso, { year: "numeric", month: "short" });
    return wp.when(iso, { dateStyle: "medium" });
  }

  /** A funnel's steps as stacked bars: who reached each step, and who dropped before it. */
  function drawFunnel(element, steps, onStep) {
    const labels = steps.map((s, i) => `${i + 1}. ${stepName(s)}`);
    const counts = steps.map((s) => s.count);
    const dropped = steps.map((s, i) => (i === 0 ? 0 : steps[i - 1].count - s.count));
    const reached = wp.t("insights.funnel.series.reached");
    const lost = wp.t("insights.funnel.series.dropped");
    const chart = wpCharts.bars(element, { labels, values: counts, onClick: onStep });
    chart.setOption({
      legend: { top: 0, data: [reached, lost] },
      grid: { top: 48 },
      series: [
        { name: reached, stack: "funnel", label: { show: false }, cursor: onStep ? "pointer" : "default" },
        {
          name: lost, type: "bar", stack: "funnel", data: dropped, barMaxWidth: 64,
          cursor: onStep ? "pointer" : "default",
          itemStyle: { color: "#c9d1f0" },
          label: {
            show: true, position: "top", color: "#1d2433",
            formatter: (p) => `${wp.number(counts[p.dataIndex])} · ${wp.percent(steps[p.dataIndex].conversion_from_first)}`,
          },
        },
      ],
    });
    return chart;
  }

  function unitWords(aggregateBy) {
    if (aggregateBy === "account") return wp.t("insights.unit.accounts");
    if (aggregateBy === "session") return wp.t("insights.unit.sessions");
    return wp.t("insights.unit.persons");
  }

  /** A funnel's numbers per step; `onStep(k)` adds a "who dropped" button to steps after the first. */
  function funnelTable(result, query, onStep) {
    const steps = result.steps;
    const columns = [
      { label: wp.t("insights.funnel.col.step") },
      { label: unitWords(query?.aggregate_by), num: true },
      { label: wp.t("insights.funnel.col.from_previous"), num: true },
      { label: wp.t("insights.funnel.col.from_first"), num: true },
      { label: wp.t("insights.funnel.col.dropped"), num: true },
      { label: wp.t("insights.funnel.col.median"), num: true },
    ];
    const rows = steps.map((s, i) => {
      const lost = i === 0 ? null : steps[i - 1].count - s.count;
      // The number of drop-offs opens who they were (the keyboard's way to what a bar's click shows).
      const dropped = lost === null ? "\u2013" : !onStep || !lost ? wp.number(lost) : h("button", {
        type: "button", class: "link", "data-step": String(i),
        "aria-label": wp.t("insights.funnel.who_dropped_before", { step: stepName(s), count: wp.number(lost) }),
        title: wp.t("insights.funnel.who_dropped_before", { step: stepName(s), count: wp.number(lost) }),
        onclick: () => onStep(i),
      }, wp.number(lost));
      return [
        `${i + 1}. ${stepName(s)}`,
        wp.number(s.count),
        i === 0 ? "\u2013" : wp.percent(s.conversion_from_previous),
        wp.percent(s.conversion_from_first),
        dropped,
        i === 0 ? "\u2013" : wp.duration(s.median_seconds_from_previous),
      ];
    });
    const parts = [table(columns, rows, wp.t("insights.kind.funnel"), "steps")];
    if (result.breakdowns?.length) {
      const property = query?.breakdown?.property || "";
      parts.push(h("h3", { text: wp.t("insights.breakdown.by", { property: property }) }));
      parts.push(table(
        [{ label: wp.t("insights.breakdown.value") }, ...steps.map((s, i) => ({ label: `${i + 1}. ${stepName(s)}`, num: true })), { label: wp.t("insights.funnel.col.conversion"), num: true }],
        result.breakdowns.map((b) => [blankValue(b.value), ...b.steps.map((s) => wp.number(s.count)), wp.percent(b.steps[b.steps.length - 1].conversion_from_first)]),
      ));
    }
    return parts;
  }

  function seriesName(s) {
    const counted = s.math === "persons" ? unitWords("person") : s.math === "accounts" ? unitWords("account") : null;
    const label = (s.label || s.event || anyEvent()) + (counted ? ` (${counted})` : "");
    return s.breakdown_value === null || s.breakdown_value === undefined ? label : `${label} · ${blankValue(s.breakdown_value)}`;
  }

  function drawTrends(element, result) {
    return wpCharts.lines(element, {
      x: result.buckets.map((b) => dateLabel(b, result.interval)),
      series: result.series.map((s) => ({ name: seriesName(s), values: s.values })),
    });
  }

  function trendsTable(result) {
    const totals = table(
      [{ label: wp.t("insights.trends.col.series") }, { label: wp.t("insights.trends.col.total"), num: true }],
      result.series.map((s) => [seriesName(s), wp.number(s.total)]),
    );
    const byInterval = table(
      [{ label: wp.t("insights.trends.col.interval") }, ...result.series.map((s) => ({ label: seriesName(s), num: true }))],
      result.buckets.map((b, i) => [dateLabel(b, result.interval), ...result.series.map((s) => wp.number(s.values[i]))]),
    );
    return [totals, h("details", {}, h("summary", { text: wp.t("insights.show_table") }), byInterval)];
  }

  function periodName(interval, n) {
    if (interval === "day") return wp.t("insights.retention.day_n", { n: n });
    if (interval === "month") return wp.t("insights.retention.month_n", { n: n });
    return wp.t("insights.retention.week_n", { n: n });
  }

  function drawRetention(element, result) {
    const cohorts = result.cohorts;
    const periods = Math.max(0, ...cohorts.map((c) => c.rates.length));
    const cells = [];
    cohorts.forEach((c, row) => c.rates.forEach((rate, column) => cells.push([column, row, rate])));
    return wpCharts.heatmap(element, {
      rows: cohorts.map((c) => `${dateLabel(c.start, result.interval)} (${wp.number(c.size)})`),
      columns: Array.from({ length: periods }, (_, n) => periodName(result.interval, n)),
      cells,
    });
  }

  function retentionTable(result) {
    const periods = Math.max(0, ...result.cohorts.map((c) => c.rates.length));
    const detail = table(
      [{ label: wp.t("insights.retention.col.cohort") }, { label: wp.t("insights.retention.col.size"), num: true },
        ...Array.from({ length: periods }, (_, n) => ({ label: periodName(result.interval, n), num: true }))],
      result.cohorts.map((c) => [dateLabel(c.start, result.interval), wp.number(c.size),
        ...Array.from({ length: periods }, (_, n) => (n < c.rates.length ? wp.percent(c.rates[n], 0) : ""))]),
    );
    return [h("details", {}, h("summary", { text: wp.t("insights.show_table") }), detail)];
  }

  /** Paths as a Sankey: a node per (position, step), so a path that loops back stays acyclic.
   * The most common paths only: past a dozen, the smallest ribbons are too thin to read (the
   * table lists them all). */
  function drawPaths(element, result) {
    const shown = result.paths.slice(0, SANKEY_PATHS);
    const total = shown.reduce((sum, path) => sum + path.sessions, 0);
    const nodes = new Map();
    const links = new Map();
    for (const path of shown) {
      path.steps.forEach((step, k) => {
        const name = `${k + 1}. ${step}`;
        const seen = nodes.get(name) || { name, sessions: 0 };
        seen.sessions += path.sessions;
        nodes.set(name, seen);
        if (k > 0) {
          const source = `${k}. ${path.steps[k - 1]}`;
          const key = `${source}\u0000${name}`;
          const link = links.get(key) || { source, target: name, value: 0 };
          link.value += path.sessions;
          links.set(key, link);
        }
      });
    }
    // A thin node's name would sit on its neighbours': its tooltip still names it.
    const data = [...nodes.values()].map(({ name, sessions }) => (sessions < total * SANKEY_LABEL_SHARE ? { name, label: { show: false } } : { name }));
    const chart = wpCharts.sankey(element, { nodes: data, links: [...links.values()] });
    // A label wraps before the next column (ECharts leaves 75% of the width to the columns),
    // and shows the step without its column number, which only keeps the nodes apart.
    const columns = Math.max(2, ...shown.map((p) => p.steps.length));
    const room = Math.max(60, (element.clientWidth * 0.75) / (columns - 1) - 30);
    chart.setOption({ series: [{ label: { width: room, overflow: "breakAll", lineHeight: 14, formatter: (p) => p.name.replace(/^\d+\. /, "") } }] });
    return chart;
  }

  function pathsTable(result) {
    return [table(
      [{ label: wp.t("insights.paths.col.path") }, { label: wp.t("insights.paths.col.sessions"), num: true }, { label: wp.t("insights.paths.col.share"), num: true }],
      result.paths.map((p) => [p.steps.join(" \u2192 "), wp.number(p.sessions), wp.percent(result.sessions ? p.sessions / result.sessions : null)]),
    )];
  }

  function ttvStats(stats) {
    return h("div", { class: "stats" },
      metric(wp.t("insights.ttv.started"), wp.number(stats.units)),
      metric(wp.t("insights.ttv.reached"), wp.number(stats.reached), stats.units ? wp.percent(stats.reached / stats.units) : null),
      metric(wp.t("insights.ttv.median"), wp.duration(stats.median_seconds)),
      metric(wp.t("insights.ttv.p75"), wp.duration(stats.p75_seconds)),
      metric(wp.t("insights.ttv.p90"), wp.duration(stats.p90_seconds)),
      stats.within.map((w) => metric(wp.t("insights.ttv.within_n", { time: wp.duration(w.days * 86400) }), wp.percent(w.share), wp.number(w.count))));
  }

  function drawHistogram(element, bins) {
    const chart = wpCharts.histogram(element, {
      labels: bins.map((b) => `${wp.duration(b.from_seconds)}\u2013${wp.duration(b.to_seconds)}`),
      counts: bins.map((b) => b.count),
    });
    // Each bar is a range; its axis label gives where it ends, the tooltip the whole range.
    chart.setOption({ xAxis: { axisLabel: { width: 80, hideOverlap: true, formatter: (range) => `\u2264 ${range.split("\u2013")[1]}` } } });
    return chart;
  }

  function ttvTables(result) {
    return [
      ttvStats(result.overall),
      h("details", {}, h("summary", { text: wp.t("insights.ttv.cohorts") }), table(
        [{ label: wp.t("insights.retention.col.cohort") }, { label: wp.t("insights.ttv.started"), num: true },
          { label: wp.t("insights.ttv.reached"), num: true }, { label: wp.t("insights.ttv.median"), num: true }],
        result.cohorts.map((c) => [dateLabel(c.start, "week"), wp.number(c.units), wp.number(c.reached), wp.duration(c.median_seconds)]),
      )),
    ];
  }

  // Comparisons: the measures the API names, in the member's words.
  function measureName(measure, steps) {
    const conversion = /^conversion from step (\d+) to step (\d+)$/.exec(measure);
    if (conversion) {
      const from = steps?.[Number(conversion[1])];
      const to = steps?.[Number(conversion[2])];
      return wp.t("insights.compare.measure_conversion", { from: from ? stepName(from) : conversion[1], to: to ? stepName(to) : conversion[2] });
    }
    const within = /^share reaching value within (\d+) days$/.exec(measure);
    if (within) return wp.t("insights.compare.measure_within", { days: within[1] });
    if (measure === "time to value") return wp.t("insights.compare.measure_ttv");
    return measure;
  }

  function compareValue(d, value) {
    return d.test === "mann_whitney" ? wp.duration(value) : wp.percent(value);
  }
  function compareDifference(d, value) {
    if (value === null || value === undefined) return "\u2013";
    const sign = value > 0 ? "+" : value < 0 ? "\u2212" : "";
    if (d.test === "mann_whitney") return sign + wp.duration(Math.abs(value));
    const points = sign + wp.number(Math.abs(value) * 100, 1);
    return wp.t("insights.compare.points", { value: points });
  }
  /** A period (an instant up to, not including, another) as the days it covers. */
  function periodText(period) {
    const last = new Date(Date.parse(period.date_to) - 1).toISOString();
    return `${wp.when(period.date_from, { dateStyle: "medium" })} \u2013 ${wp.when(last, { dateStyle: "medium" })}`;
  }
  const pValue = (p) => (p === null || p === undefined ? "\u2013" : p < 0.0001 ? "< 0.0001" : wp.number(p, p < 0.01 ? 4 : 3));

  /** The verdict on one measure, in words. */
  function verdict(d, steps) {
    const measure = measureName(d.measure, steps);
    if (d.p_value === null || d.p_value === undefined) return wp.t("insights.compare.verdict_no_data", { measure: measure });
    const before = compareValue(d, d.before);
    const after = compareValue(d, d.after);
    const p = pValue(d.p_value);
    if (!d.significant) return wp.t("insights.compare.verdict_chance", { measure: measure, before: before, after: after, p: p });
    if (d.difference > 0) return wp.t("insights.compare.verdict_up", { measure: measure, before: before, after: after, p: p });
    return wp.t("insights.compare.verdict_down", { measure: measure, before: before, after: after, p: p });
  }

  function comparisonSteps(result, query) {
    return query?.insight?.steps || result.before?.steps || null;
  }

  function drawComparison(element, result, query) {
    const steps = comparisonSteps(result, query);
    const shares = result.differences.filter((d) => d.test === "two_proportion");
    const chart = wpCharts.bars(element, {
      labels: shares.map((d) => measureName(d.measure, steps)),
      values: shares.map((d) => d.before),
      format: (v) => wp.percent(v),
    });
    const before = wp.t("insights.compare.before");
    const after = wp.t("insights.compare.after");
    chart.setOption({
      legend: { top: 0, data: [before, after] },
      grid: { top: 40 },
      xAxis: { axisLabel: { width: 240 } },
      yAxis: { axisLabel: { formatter: (v) => wp.percent(v, 0) } },
      series: [
        { name: before, itemStyle: { color: "#9aa6d6" } },
        { name: after, type: "bar", data: shares.map((d) => d.after), barMaxWidth: 64, label: { show: true, position: "top", formatter: (p) => wp.percent(p.value) } },
      ],
    });
    return chart;
  }

  function comparisonTables(result, query) {
    const steps = comparisonSteps(result, query);
    const sentences = h("ul", { class: "verdicts" }, result.differences.map((d) => h("li", {},
      h("span", { class: `pill ${d.significant ? (d.difference > 0 ? "good" : "bad") : ""}`, text: d.significant ? wp.t("insights.compare.significant") : wp.t("insights.compare.not_significant") }),
      " ", verdict(d, steps))));
    const numbers = table(
      [{ label: wp.t("insights.compare.col.measure") }, { label: wp.t("insights.compare.before"), num: true }, { label: wp.t("insights.compare.after"), num: true },
        { label: wp.t("insights.compare.col.difference"), num: true }, { label: wp.t("insights.compare.col.interval"), num: true }, { label: wp.t("insights.compare.col.p"), num: true }],
      result.differences.map((d) => [measureName(d.measure, steps), compareValue(d, d.before), compareValue(d, d.after), compareDifference(d, d.difference),
        d.ci_low === null ? "\u2013" : `${compareDifference(d, d.ci_low)} \u2026 ${compareDifference(d, d.ci_high)}`, pValue(d.p_value)]),
    );
    return [sentences, numbers, h("p", { class: "muted small", text: wp.t("insights.compare.caution") })];
  }

  const SANKEY_PATHS = 12;
  const SANKEY_LABEL_SHARE = 0.05;

  // Which kinds draw a chart, and how tall their box is (fixed before the answer comes, so
  // nothing moves when it does).
  const CHART_CLASS = { funnel: "chart", trends: "chart", retention: "chart tall", paths: "chart tall", time_to_value: "chart small", comparison: "chart small" };

  window.wpInsights = {
    table, metric, stepName, measureName, verdict, dateLabel, unitWords, blankValue,
    draw: { funnel: drawFunnel, trends: drawTrends, retention: drawRetention, paths: drawPaths, histogram: drawHistogram, comparison: drawComparison },
    numbers: { funnel: funnelTable, trends: trendsTable, retention: retentionTable, paths: pathsTable, time_to_value: ttvTables, comparison: comparisonTables },
    ttvStats, CHART_CLASS, dayStart, dayOf, addDays, today, zone,
    filters: filterEditor,
  };

  // --- The filter editor (also the dashboards'). ---

  /** Text typed as a value, read as the JSON value it most likely means (5 and true are not "5"
   * and "true": filters compare by type). */
  function typedValue(text, op) {
    const trimmed = text.trim();
    if (["gt", "gte", "lt", "lte"].includes(op)) return trimmed === "" ? null : Number(trimmed);
    if (op === "contains" || op === "regex") return text;
    if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
    if (trimmed === "true" || trimmed === "false") return trimmed === "true";
    return trimmed;
  }

  function filterEditor(list, template) {
    const add = (filter = {}) => {
      const row = template.content.firstElementChild.cloneNode(true);
      const source = row.querySelector('[data-f="source"]');
      const property = row.querySelector('[data-f="property"]');
      const op = row.querySelector('[data-f="op"]');
      const value = row.querySelector('[data-f="value"]');
      source.value = filter.source || "event";
      property.value = filter.property || "";
      op.value = filter.op || "eq";
      const given = filter.value;
      value.value = Array.isArray(given) ? given.join(", ") : given === undefined || given === null ? "" : String(given);
      const sync = () => {
        property.setAttribute("list", `names-${source.value}`);
        value.disabled = op.value === "is_set" || op.value === "is_not_set";
      };
      source.addEventListener("change", sync);
      op.addEventListener("change", sync);
      row.querySelector("[data-remove]").addEventListener("click", () => { row.remove(); });
      sync();
      list.append(row);
      return row;
    };
    const read = () => [...list.children].map((row) => {
      const property = row.querySelector('[data-f="property"]').value.trim();
      if (!property) return null;
      const op = row.querySelector('[data-f="op"]').value;
      const filter = { source: row.querySelector('[data-f="source"]').value, property, op };
      if (op === "is_set" || op === "is_not_set") return filter;
      const text = row.querySelector('[data-f="value"]').value;
      filter.value = op === "in" ? text.split(",").map((part) => typedValue(part, "eq")).filter((v) => v !== "") : typedValue(text, op);
      return filter;
    }).filter(Boolean);
    const set = (filters) => { list.replaceChildren(); (filters || []).forEach((f) => add(f)); };
    return { add, read, set };
  }

  // --- The builder (only on the Insights page). ---

  const form = document.getElementById("insight-builder");
  if (!form) return;

  const vocabulary = JSON.parse(document.getElementById("insight-vocabulary").textContent);
  const canSave = form.dataset.canSave === "true";
  let actions = [];
  let current = null; // {query, result}: what the page shows
  let saved = null; // {id, name, json}: the saved insight the shown query is, if any

  const $ = (selector, root = document) => root.querySelector(selector);
  const field = (name) => form.elements.namedItem(name);
  const chartBox = $("#insight-chart");
  const numbers = $("#insight-numbers");
  const note = $("#result-note");
  const title = $("#result-title");
  const loading = $("#insight-loading");
  const builderError = $("#builder-error");
  const filters = filterEditor($("#insight-filters"), $("#tpl-filter"));

  // Event-or-action pickers: "event:Name" or "action:Name".
  function fillPicker(select, value = select.value) {
    const groups = [
      [wp.t("insights.pick.events"), vocabulary.events.map((name) => `event:${name}`)],
      [wp.t("insights.pick.actions"), actions.map((a) => `action:${a.name}`)],
    ];
    const known = new Set(groups.flatMap(([, values]) => values));
    if (value && !known.has(value)) groups.push([wp.t("insights.pick.other"), [value]]);
    select.replaceChildren(h("option", { value: "", text: wp.t("insights.pick.placeholder") }),
      ...groups.filter(([, values]) => values.length).map(([label, values]) => h("optgroup", { label },
        values.map((v) => h("option", { value: v, text: v.slice(v.indexOf(":") + 1) })))));
    select.value = value || "";
  }
  const pickOf = (match) => (match?.action ? `action:${match.action}` : match?.event ? `event:${match.event}` : "");
  function matchOf(select) {
    const value = select.value;
    if (!value) return null;
    const at = value.indexOf(":");
    return { [value.slice(0, at)]: value.slice(at + 1) };
  }

  // Rows of steps, series and exclusions.
  const stepsList = $("#funnel-steps");
  const seriesList = $("#trend-series");
  const exclusionsList = $("#funnel-exclusions");

  function addRow(list, templateId, value, extra) {
    const row = $(templateId).content.firstElementChild.cloneNode(true);
    const select = $("[data-pick]", row);
    fillPicker(select, pickOf(value));
    row.querySelector("[data-remove]").addEventListener("click", () => { row.remove(); renumber(); });
    if (extra) extra(row);
    list.append(row);
    renumber();
    return row;
  }
  const addStep = (match) => addRow(stepsList, "#tpl-step", match);
  const addSeries = (series) => addRow(seriesList, "#tpl-series", series, (row) => { $("[data-math]", row).value = series?.math || "total"; });
  const addExclusion = (exclusion) => addRow(exclusionsList, "#tpl-exclusion", exclusion, (row) => {
    row.dataset.from = String(exclusion?.from_step ?? 0);
    row.dataset.to = String(exclusion?.to_step ?? 1);
  });

  function renumber() {
    const steps = [...stepsList.children];
    steps.forEach((row, i) => {
      $("[data-n]", row).textContent = wp.t("insights.funnel.step_n", { n: i + 1 });
      const remove = $("[data-remove]", row);
      remove.setAttribute("aria-label", wp.t("insights.funnel.remove_step", { n: i + 1 }));
      remove.title = remove.getAttribute("aria-label");
      remove.disabled = steps.length <= 2;
    });
    const series = [...seriesList.children];
    series.forEach((row, i) => {
      $("[data-n]", row).textContent = wp.t("insights.trends.series_n", { n: i + 1 });
      const remove = $("[data-remove]", row);
      remove.setAttribute("aria-label", wp.t("insights.trends.remove_series", { n: i + 1 }));
      remove.title = remove.getAttribute("aria-label");
      remove.disabled = series.length <= 1;
    });
    // An exclusion lies between two steps: offer the steps there are now.
    for (const row of exclusionsList.children) {
      for (const [attr, first] of [["from", 0], ["to", 1]]) {
        const select = $(`[data-${attr}]`, row);
        const chosen = select.value || row.dataset[attr];
        select.replaceChildren(...steps.slice(first, steps.length - 1 + first).map((_, i) => h("option", { value: String(i + first), text: String(i + first + 1) })));
        if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
      }
    }
  }

  function breakdownOf(kind) {
    const box = $(`[data-breakdown="${kind}"]`);
    const property = $('[data-b="property"]', box).value.trim();
    return property ? { source: $('[data-b="source"]', box).value, property } : null;
  }
  function setBreakdown(kind, breakdown) {
    const box = $(`[data-breakdown="${kind}"]`);
    $('[data-b="source"]', box).value = breakdown?.source || "event";
    $('[data-b="property"]', box).value = breakdown?.property || "";
    $('[data-b="property"]', box).setAttribute("list", `names-${breakdown?.source || "event"}`);
  }
  form.querySelectorAll('[data-b="source"]').forEach((select) => select.addEventListener("change", () => {
    select.closest("[data-breakdown]").querySelector('[data-b="property"]').setAttribute("list", `names-${select.value}`);
  }));

  // --- Form -> query. A missing choice is said here, before asking the server. ---

  class Incomplete extends Error {}
  function need(match, message) {
    if (!match) throw new Incomplete(message);
    return match;
  }

  const kind = () => form.querySelector('input[name="kind"]:checked').value;

  function range() {
    const from = field("date_from").value;
    const to = field("date_to").value;
    if (!from || !to) throw new Incomplete(wp.t("insights.error.dates"));
    if (to < from) throw new Incomplete(wp.t("insights.error.dates_order"));
    return { from, to };
  }

  function scope() {
    const { from, to } = range();
    const common = { date_from: dayStart(from), date_to: dayStart(addDays(to, 1)) };
    const where = filters.read();
    if (where.length) common.where = where;
    if (field("filter_test_accounts").checked) common.filter_test_accounts = true;
    return common;
  }

  function funnelFields() {
    const steps = [...stepsList.children].map((row, i) => need(matchOf($("[data-pick]", row)), wp.t("insights.error.step", { n: i + 1 })));
    const query = {
      kind: "funnel",
      steps,
      window_seconds: Math.max(1, Math.round(Number(field("window_value").value || 14) * Number(field("window_unit").value))),
    };
    if (field("order").value !== "ordered") query.order = field("order").value;
    if (field("aggregate_by").value !== "person") query.aggregate_by = field("aggregate_by").value;
    const exclusions = [...exclusionsList.children].map((row) => ({
      ...need(matchOf($("[data-pick]", row)), wp.t("insights.error.exclusion")),
      from_step: Number($("[data-from]", row).value),
      to_step: Number($("[data-to]", row).value),
    }));
    if (exclusions.length) query.exclusions = exclusions;
    return query;
  }

  function ttvFields() {
    const within = field("ttv_within").value.split(/[,\s\u3001]+/).filter(Boolean).map(Number);
    return {
      kind: "time_to_value",
      start: need(matchOf(field("ttv_start")), wp.t("insights.error.ttv_start")),
      value: need(matchOf(field("ttv_value")), wp.t("insights.error.ttv_value")),
      window_days: Number(field("ttv_window").value || 30),
      within_days: within.length ? within : [1, 7, 30],
      timezone: zone,
    };
  }

  function readQuery() {
    const chosen = kind();
    if (chosen === "comparison") {
      const { from, to } = range();
      const change = field("change_date").value;
      if (!change || change <= from || change > to) throw new Incomplete(wp.t("insights.error.change"));
      const insight = field("compare_measure").value === "funnel" ? funnelFields() : ttvFields();
      const { date_from: _from, date_to: _to, ...filtersOnly } = scope();
      return {
        kind: "comparison",
        insight: { ...insight, ...filtersOnly },
        before: { date_from: dayStart(from), date_to: dayStart(change) },
        after: { date_from: dayStart(change), date_to: dayStart(addDays(to, 1)) },
      };
    }
    if (chosen === "funnel") {
      const query = { ...funnelFields(), ...scope() };
      const breakdown = breakdownOf("funnel");
      if (breakdown) query.breakdown = breakdown;
      return query;
    }
    if (chosen === "trends") {
      const series = [...seriesList.children].map((row, i) => {
        const match = need(matchOf($("[data-pick]", row)), wp.t("insights.error.series", { n: i + 1 }));
        const math = $("[data-math]", row).value;
        return math === "total" ? match : { ...match, math };
      });
      const query = { kind: "trends", series, interval: field("trend_interval").value, timezone: zone, ...scope() };
      const breakdown = breakdownOf("trends");
      if (breakdown) query.breakdown = breakdown;
      return query;
    }
    if (chosen === "retention") {
      return {
        kind: "retention",
        start: need(matchOf(field("retention_start")), wp.t("insights.error.retention_start")),
        returning: need(matchOf(field("retention_returning")), wp.t("insights.error.retention_returning")),
        cohort_type: field("cohort_type").value,
        interval: field("retention_interval").value,
        timezone: zone,
        ...scope(),
      };
    }
    if (chosen === "paths") {
      const anchor = field("paths_anchor").value.trim();
      if (!anchor) throw new Incomplete(wp.t("insights.error.anchor"));
      const end = field("paths_direction").value === "end";
      return { kind: "paths", [end ? "end_event" : "start_event"]: anchor, length: Number(field("paths_length").value || 5), ...scope() };
    }
    return { ...ttvFields(), ...scope() };
  }

  // --- Query -> form: what a link or a saved insight brings back. ---

  function setRange(dateFrom, dateTo) {
    if (!dateFrom || !dateTo) return;
    const from = dayOf(dateFrom);
    const to = dayOf(new Date(new Date(dateTo).getTime() - 1));
    field("date_from").value = from;
    field("date_to").value = to;
    const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000) + 1;
    field("preset").value = to === today() && ["7", "30", "90"].includes(String(days)) ? String(days) : "custom";
  }

  function setFunnel(query) {
    stepsList.replaceChildren();
    exclusionsList.replaceChildren();
    (query.steps || []).forEach((s) => addStep(s));
    while (stepsList.children.length < 2) addStep(null);
    const seconds = query.window_seconds || 14 * 86400;
    const unit = seconds % 86400 === 0 ? 86400 : seconds % 3600 === 0 ? 3600 : 60;
    field("window_unit").value = String(unit);
    field("window_value").value = String(Math.round(seconds / unit));
    field("order").value = query.order || "ordered";
    field("aggregate_by").value = query.aggregate_by || "person";
    (query.exclusions || []).forEach((e) => addExclusion(e));
    renumber();
    setBreakdown("funnel", query.breakdown);
    $("#funnel-more").open = Boolean(query.exclusions?.length || query.breakdown || query.order || query.aggregate_by);
  }

  function setTtv(query) {
    fillPicker(field("ttv_start"), pickOf(query.start));
    fillPicker(field("ttv_value"), pickOf(query.value));
    field("ttv_window").value = String(query.window_days || 30);
    field("ttv_within").value = (query.within_days || [1, 7, 30]).join(", ");
  }

  function fillForm(query) {
    const chosen = query.kind;
    form.querySelector(`input[name="kind"][value="${chosen}"]`).checked = true;
    const inner = chosen === "comparison" ? query.insight || {} : query;
    if (chosen === "comparison") {
      field("compare_measure").value = inner.kind === "time_to_value" ? "time_to_value" : "funnel";
      setRange(query.before?.date_from, query.after?.date_to);
      field("change_date").value = query.after?.date_from ? dayOf(query.after.date_from) : "";
    } else {
      setRange(query.date_from, query.date_to);
    }
    filters.set(inner.where);
    field("filter_test_accounts").checked = Boolean(inner.filter_test_accounts);
    if (inner.kind === "funnel") setFunnel(inner);
    if (inner.kind === "time_to_value") setTtv(inner);
    if (chosen === "trends") {
      seriesList.replaceChildren();
      (query.series || []).forEach((s) => addSeries(s));
      if (!seriesList.children.length) addSeries(null);
      field("trend_interval").value = query.interval || "day";
      setBreakdown("trends", query.breakdown);
    }
    if (chosen === "retention") {
      fillPicker(field("retention_start"), pickOf(query.start));
      fillPicker(field("retention_returning"), pickOf(query.returning));
      field("cohort_type").value = query.cohort_type || "recurring";
      field("retention_interval").value = query.interval || "week";
    }
    if (chosen === "paths") {
      field("paths_direction").value = query.end_event ? "end" : "start";
      field("paths_anchor").value = query.end_event || query.start_event || "";
      field("paths_length").value = String(query.length || 5);
    }
    showParts();
  }

  function showParts() {
    const chosen = kind();
    const inner = chosen === "comparison" ? field("compare_measure").value : chosen;
    form.querySelectorAll("[data-for]").forEach((part) => {
      part.hidden = !(part.dataset.for === chosen || part.dataset.for === inner);
    });
    // A comparison compares as they are: no breakdown.
    form.querySelectorAll('[data-breakdown="funnel"]').forEach((box) => { box.hidden = chosen === "comparison"; });
  }

  // --- Running a query and showing its answer. ---

  const KIND_TITLE = {
    funnel: () => wp.t("insights.kind.funnel"),
    trends: () => wp.t("insights.kind.trends"),
    retention: () => wp.t("insights.kind.retention"),
    paths: () => wp.t("insights.kind.paths"),
    time_to_value: () => wp.t("insights.kind.time_to_value"),
    comparison: () => wp.t("insights.kind.comparison"),
  };

  function urlFor(query) {
    const url = new URL(location.href);
    url.searchParams.delete("lang");
    url.searchParams.set("q", JSON.stringify(query));
    return url;
  }

  /** The language links keep the query, so switching language keeps the view. */
  function keepQueryInLanguageLinks(query) {
    document.querySelectorAll("a[hreflang]").forEach((link) => {
      const params = new URLSearchParams({ lang: link.getAttribute("hreflang") });
      if (query) params.set("q", JSON.stringify(query));
      link.setAttribute("href", `?${params}`);
    });
  }

  function showError(error) {
    builderError.hidden = false;
    builderError.textContent = error instanceof Incomplete
      ? error.message
      : error.field
        ? wp.t("insights.error.field", { field: error.field, message: error.message })
        : wp.t("common.error", { message: error.message });
  }

  let running = 0;
  async function run(query, { push = true } = {}) {
    const ticket = ++running;
    builderError.hidden = true;
    hideDropped();
    if (push && urlFor(query).href !== location.href) history.pushState({ q: query }, "", urlFor(query));
    keepQueryInLanguageLinks(query);
    title.textContent = KIND_TITLE[query.kind]();
    chartBox.className = CHART_CLASS[query.kind] || "chart";
    chartBox.hidden = false;
    $("#chart-box").hidden = false;
    loading.hidden = false;
    chartBox.setAttribute("aria-busy", "true");
    note.textContent = "";
    try {
      const requests = [wp.api("/api/v1/insights/query", { method: "POST", body: query })];
      if (query.kind === "time_to_value") {
        // The distribution: the same start and value as a two-step funnel, whose histogram
        // is the time each unit took.
        requests.push(wp.api("/api/v1/insights/query", { method: "POST", body: {
          kind: "funnel", steps: [query.start, query.value], window_seconds: query.window_days * 86400, histogram_bins: 12,
          date_from: query.date_from, date_to: query.date_to, where: query.where || [], filter_test_accounts: Boolean(query.filter_test_accounts),
        } }));
      }
      const [result, histogram] = await Promise.all(requests);
      if (ticket !== running) return;
      current = { query, result };
      show(query, result, histogram);
      wp.say(wp.t("insights.shown", { kind: KIND_TITLE[query.kind]() }));
    } catch (error) {
      if (ticket !== running) return;
      current = null;
      echarts.getInstanceByDom(chartBox)?.clear();
      numbers.replaceChildren();
      showError(error);
    } finally {
      if (ticket === running) {
        loading.hidden = true;
        chartBox.removeAttribute("aria-busy");
        updateSave();
      }
    }
  }

  function show(query, result, histogram) {
    numbers.replaceChildren();
    const onStep = (index) => { if (index > 0) openDropped(index); };
    if (query.kind === "funnel") {
      drawFunnel(chartBox, result.steps, onStep);
      note.textContent = wp.t("insights.funnel.hint");
      numbers.append(...funnelTable(result, query, onStep));
    } else if (query.kind === "trends") {
      drawTrends(chartBox, result);
      numbers.append(...trendsTable(result));
    } else if (query.kind === "retention") {
      if (!result.cohorts.length) return empty();
      drawRetention(chartBox, result);
      note.textContent = wp.t("insights.retention.hint");
      numbers.append(...retentionTable(result));
    } else if (query.kind === "paths") {
      if (!result.paths.length) return empty();
      drawPaths(chartBox, result);
      note.textContent = wp.t("insights.paths.summary", { sessions: wp.number(result.sessions), anchor: query.start_event || query.end_event });
      numbers.append(...pathsTable(result));
    } else if (query.kind === "time_to_value") {
      note.textContent = wp.t("insights.ttv.distribution");
      drawHistogram(chartBox, histogram?.histogram || []);
      numbers.append(...ttvTables(result));
    } else if (query.kind === "comparison") {
      const before = periodText(query.before);
      const after = periodText(query.after);
      note.textContent = wp.t("insights.compare.periods", { before: before, after: after });
      drawComparison(chartBox, result, query);
      numbers.append(...comparisonTables(result, query));
    }
    return null;
  }

  function empty() {
    echarts.getInstanceByDom(chartBox)?.clear();
    chartBox.hidden = true;
    note.textContent = wp.t("insights.result.nothing");
    return null;
  }

  // --- Who dropped before a step, and what they did instead. ---

  const dropped = $("#insight-dropped");
  let droppedQuery = null;
  function hideDropped() {
    dropped.hidden = true;
    droppedQuery = null;
  }

  function dropOffQuery(funnel, index) {
    const { kind: _kind, breakdown: _b, histogram_steps: _h, histogram_bins: _n, ...rest } = funnel;
    return { ...rest, kind: "dropoff", step: index - 1, limit: 25, top: 10 };
  }

  async function openDropped(index) {
    if (!current || current.query.kind !== "funnel") return;
    const { query, result } = current;
    const from = stepName(result.steps[index - 1]);
    const to = stepName(result.steps[index]);
    droppedQuery = dropOffQuery(query, index);
    dropped.hidden = false;
    $("#dropped-title").textContent = wp.t("insights.dropped.title", { from: from, to: to });
    $("#dropped-summary").textContent = wp.t("common.loading");
    const body = $("#dropped-body");
    body.replaceChildren();
    dropped.scrollIntoView({ block: "start" });
    dropped.focus({ preventScroll: true });
    try {
      const answer = await wp.api("/api/v1/insights/query", { method: "POST", body: droppedQuery });
      $("#dropped-summary").textContent = wp.t("insights.dropped.summary", {
        dropped: wp.number(answer.dropped), converted: wp.number(answer.converted), from: from, to: to,
      });
      if (!answer.dropped) {
        body.append(h("p", { class: "empty", text: wp.t("insights.dropped.none") }));
        return;
      }
      const instead = answer.instead.length
        ? table([{ label: wp.t("insights.dropped.col.event") }, { label: unitWords(query.aggregate_by), num: true }, { label: wp.t("insights.dropped.col.share"), num: true }],
          answer.instead.map((e) => [e.event, wp.number(e.units), wp.percent(e.share)]))
        : h("p", { class: "muted", text: wp.t("insights.dropped.nothing_instead") });
      const apart = answer.over_represented.length
        ? table([{ label: wp.t("insights.dropped.col.event") }, { label: wp.t("insights.dropped.col.dropped"), num: true }, { label: wp.t("insights.dropped.col.converted"), num: true }, { label: wp.t("insights.dropped.col.odds"), num: true }],
          answer.over_represented.map((e) => [e.event, wp.number(e.dropped), wp.number(e.converted), wp.number(e.odds_ratio, 2)]))
        : h("p", { class: "muted", text: wp.t("insights.dropped.nothing_apart") });
      const people = table([{ label: wp.t("insights.dropped.col.person") }, { label: wp.t("insights.dropped.col.reached_at", { step: from }), num: true }],
        answer.units.map((u) => [u.user_ids.length ? u.user_ids.join(", ") : wp.t("insights.dropped.anonymous", { unit: u.unit }), wp.when(u.reached_at)]));
      const more = answer.dropped > answer.units.length
        ? h("p", { class: "muted small", text: wp.t("insights.dropped.more", { shown: wp.number(answer.units.length), total: wp.number(answer.dropped) }) })
        : null;
      body.append(
        h("h3", { text: wp.t("insights.dropped.instead") }), instead,
        h("h3", { text: wp.t("insights.dropped.apart") }), apart,
        h("h3", { text: wp.t("insights.dropped.people") }), people, more,
      );
      wp.say($("#dropped-summary").textContent);
    } catch (error) {
      $("#dropped-summary").textContent = wp.t("common.error", { message: error.message });
    }
  }

  $("#dropped-csv").addEventListener("click", async () => {
    if (!droppedQuery) return;
    const { limit: _limit, ...everyone } = droppedQuery;
    const response = await wp.api("/api/v1/insights/query", { method: "POST", body: { ...everyone, format: "csv" }, raw: true });
    if (!response.ok) {
      wp.say(wp.t("common.error", { message: response.statusText }));
      return;
    }
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `dropoff-step-${droppedQuery.step + 1}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
  });

  // --- Saving, and adding to a dashboard. ---

  const saveForm = $("#save-form");
  const addForm = $("#add-form");
  const saveStatus = $("#save-status");

  function updateSave() {
    if (!canSave) return;
    const same = current && saved && saved.json === JSON.stringify(current.query);
    addForm.hidden = !same;
    if (!same) saved = null;
  }

  // Lists kept here and updated from each write's answer: a read right after a write could be
  // answered before the write is committed.
  let dashboards = [];
  const byName = (a, b) => a.name.localeCompare(b.name);

  function showDashboards(chosen) {
    const select = addForm.elements.namedItem("dashboard");
    select.replaceChildren(h("option", { value: "", text: wp.t("insights.add.new") }),
      ...dashboards.map((d) => h("option", { value: d.id, text: d.name })));
    select.value = chosen ?? (dashboards.length ? dashboards[0].id : "");
    syncNewDashboard();
  }
  async function loadDashboards() {
    dashboards = await wp.api("/api/v1/dashboards");
    showDashboards();
  }
  function syncNewDashboard() {
    const isNew = !addForm.elements.namedItem("dashboard").value;
    addForm.querySelector("[data-new-dashboard]").hidden = !isNew;
  }

  if (canSave) {
    saveForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = saveForm.elements.namedItem("name").value.trim();
      if (!current) { saveStatus.textContent = wp.t("insights.save.run_first"); return; }
      if (!name) { saveStatus.textContent = wp.t("insights.save.name_needed"); saveForm.elements.namedItem("name").focus(); return; }
      try {
        const made = await wp.api("/api/v1/insights/saved", { method: "POST", body: { name, query: current.query } });
        saved = { id: made.id, name: made.name, json: JSON.stringify(current.query) };
        saveStatus.textContent = wp.t("insights.save.saved", { name: made.name });
        wp.say(saveStatus.textContent);
        savedList = [...savedList, made].sort(byName);
        showSaved();
        updateSave();
      } catch (error) {
        saveStatus.textContent = wp.t("common.error", { message: error.message });
      }
    });
    addForm.elements.namedItem("dashboard").addEventListener("change", syncNewDashboard);
    addForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!saved) return;
      const chosen = addForm.elements.namedItem("dashboard").value;
      const tile = { insight_id: saved.id, width: ["retention", "paths", "trends"].includes(current.query.kind) ? 12 : 6, height: 4 };
      try {
        let board;
        if (chosen) {
          const { id: _id, created_by: _by, created_at: _at, updated_at: _up, ...arrangement } = await wp.api(`/api/v1/dashboards/${encodeURIComponent(chosen)}`);
          board = await wp.api(`/api/v1/dashboards/${encodeURIComponent(chosen)}`, { method: "PUT", body: { ...arrangement, tiles: [...arrangement.tiles, tile] } });
        } else {
          const name = addForm.elements.namedItem("new_name").value.trim() || saved.name;
          board = await wp.api("/api/v1/dashboards", { method: "POST", body: { name, last_days: 30, tiles: [tile] } });
        }
        const appId = document.querySelector('meta[name="wp-app"]').getAttribute("content");
        saveStatus.replaceChildren(wp.t("insights.add.added", { name: board.name }), " ",
          h("a", { href: `/console/apps/${appId}/dashboards/${board.id}`, text: wp.t("insights.add.open", { name: board.name }) }));
        wp.say(wp.t("insights.add.added", { name: board.name }));
        dashboards = [...dashboards.filter((d) => d.id !== board.id), board].sort(byName);
        showDashboards(board.id);
      } catch (error) {
        saveStatus.textContent = wp.t("common.error", { message: error.message });
      }
    });
  }

  // --- Saved insights: open one into the builder. ---

  let savedList = [];
  const openSaved = $("#open-saved");
  async function loadSaved() {
    savedList = await wp.api("/api/v1/insights/saved");
    showSaved();
  }
  function showSaved() {
    const chosen = openSaved.value;
    openSaved.replaceChildren(h("option", { value: "", text: wp.t("insights.open_saved.choose") }),
      ...savedList.map((s) => h("option", { value: s.id, text: `${s.name} (${KIND_TITLE[s.kind] ? KIND_TITLE[s.kind]() : s.kind})` })));
    openSaved.value = chosen;
  }
  openSaved.addEventListener("change", () => {
    const chosen = savedList.find((s) => s.id === openSaved.value);
    if (!chosen) return;
    if (!KIND_TITLE[chosen.query.kind]) {
      showError(new Incomplete(wp.t("insights.error.kind_elsewhere")));
      return;
    }
    fillForm(chosen.query);
    saved = { id: chosen.id, name: chosen.name, json: JSON.stringify(chosen.query) };
    if (canSave) saveForm.elements.namedItem("name").value = chosen.name;
    run(chosen.query);
  });

  // --- Wiring. ---

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      run(readQuery());
    } catch (error) {
      showError(error);
    }
  });
  form.addEventListener("click", (event) => {
    const adding = event.target.closest("[data-add]");
    if (!adding) return;
    const row = { step: () => addStep(null), series: () => addSeries(null), exclusion: () => addExclusion(null), filter: () => filters.add() }[adding.dataset.add]();
    row?.querySelector("select, input")?.focus();
  });
  form.querySelectorAll('input[name="kind"]').forEach((radio) => radio.addEventListener("change", showParts));
  field("compare_measure").addEventListener("change", showParts);
  field("preset").addEventListener("change", () => setPreset(field("preset").value));
  for (const name of ["date_from", "date_to"]) field(name).addEventListener("change", () => { field("preset").value = "custom"; });

  function setPreset(value) {
    if (value === "custom") return;
    const end = today();
    field("date_to").value = end;
    field("date_from").value = addDays(end, 1 - Number(value));
  }

  function queryInUrl() {
    const text = new URLSearchParams(location.search).get("q");
    if (!text) return null;
    try {
      const query = JSON.parse(text);
      return query && typeof query === "object" && KIND_TITLE[query.kind] ? query : null;
    } catch {
      return null;
    }
  }

  window.addEventListener("popstate", () => {
    const query = queryInUrl();
    if (query) {
      fillForm(query);
      run(query, { push: false });
    }
  });

  async function start() {
    setPreset("30");
    try {
      actions = await wp.api("/api/v1/actions");
    } catch {
      actions = [];
    }
    for (const select of form.querySelectorAll("select[data-pick]")) fillPicker(select);
    const query = queryInUrl();
    if (query) {
      fillForm(query);
      run(query, { push: false });
    } else {
      addStep(null);
      addStep(null);
      addSeries(null);
      showParts();
    }
    const loads = [loadSaved()];
    if (canSave) loads.push(loadDashboards());
    await Promise.allSettled(loads);
  }
  start();
})();
