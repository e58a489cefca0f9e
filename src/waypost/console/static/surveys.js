// Surveys: fills the list's responses and scores, and draws one survey's results question by
// question (score with its 95% interval, distribution, trend with the interval as a band,
// breakdown, choices, answers in words with search), counts who met each follow-up, and
// downloads the answers as CSV or XLSX. Every number comes from the insights API.
"use strict";
(() => {
  const { h } = wp;
  const zone = document.querySelector('meta[name="wp-timezone"]')?.content || "UTC";
  const colors = { promoters: "#1b7a3d", passives: "#858ea1", detractors: "#c0392b", accent: "#3451d1", band: "rgba(52, 81, 209, 0.18)" };

  // --- dates: a day in the member's zone as the instant its midnight falls on ---

  /** Minutes the zone is ahead of UTC at an instant (Tokyo: 540). */
  function offsetMinutes(at) {
    const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(at)).find((part) => part.type === "timeZoneName")?.value || "";
    const found = /([+-])(\d{1,2}):?(\d{2})?/.exec(name);
    if (!found) return 0;
    return (found[1] === "-" ? -1 : 1) * (Number(found[2]) * 60 + Number(found[3] || 0));
  }
  /** ISO time of a day's (YYYY-MM-DD) midnight in the member's zone. */
  function midnight(day) {
    const asUtc = Date.parse(`${day}T00:00:00Z`);
    const first = asUtc - offsetMinutes(asUtc) * 60000;
    return new Date(asUtc - offsetMinutes(first) * 60000).toISOString();
  }
  /** The day after a YYYY-MM-DD day. */
  function nextDay(day) {
    const moment = new Date(`${day}T00:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() + 1);
    return moment.toISOString().slice(0, 10);
  }
  /** Today in the member's zone, as YYYY-MM-DD. */
  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date());
  }
  function daysBefore(day, days) {
    const moment = new Date(`${day}T00:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() - days);
    return moment.toISOString().slice(0, 10);
  }

  // --- how scores read ---

  /** A score as its kind reads: NPS in points, CSAT a share, CES and ratings a mean. */
  function score(measure, value) {
    if (value === null || value === undefined) return "\u2013";
    if (measure === "nps") return wp.number(value, 0);
    if (measure === "csat") return wp.percent(value, 0);
    return wp.number(value, 1);
  }
  /** The scale a score lives on, for drawing its interval. */
  function scaleOf(question, measure) {
    if (measure === "nps") return [-100, 100];
    if (measure === "csat") return [0, 1];
    return [question.low ?? 1, question.high ?? 5];
  }
  /** The interval in words, or why there is none. */
  function intervalWords(result) {
    if (!result || result.value === null) return wp.t("surveys.score.no_answers");
    if (result.ci_low === null || result.ci_high === null) {
      return wp.t("surveys.score.too_few", { count: wp.number(result.n) });
    }
    return wp.t("surveys.score.interval", { low: score(result.measure, result.ci_low), high: score(result.measure, result.ci_high), count: wp.number(result.n) });
  }

  /** An interval drawn on the score's scale: a band from low to high and a mark at the score. */
  function intervalBar(container, result, scale, mini = false) {
    const [low, high] = scale;
    const at = (value) => `${Math.max(0, Math.min(100, ((value - low) / (high - low)) * 100))}%`;
    container.replaceChildren();
    container.className = `ci${mini ? " mini" : ""}`;
    const track = h("div", { class: "track" });
    const known = result && result.value !== null;
    const banded = known && result.ci_low !== null && result.ci_high !== null;
    if (low < 0 && high > 0) track.append(h("span", { class: "zero", style: `left:${at(0)}` }));
    if (banded) {
      const band = h("span", { class: "band" });
      band.style.left = at(result.ci_low);
      band.style.width = `calc(${at(result.ci_high)} - ${at(result.ci_low)})`;
      track.append(band);
    } else {
      container.classList.add("none");
    }
    if (known) track.append(h("span", { class: "mark", style: `left:${at(result.value)}` }));
    container.append(track);
    if (!mini) {
      const ends = [score(result?.measure, low), ...(low < 0 && high > 0 ? [score(result?.measure, 0)] : []), score(result?.measure, high)];
      container.append(h("div", { class: "scale", "aria-hidden": "true" }, ...ends.map((end) => h("span", { text: end }))));
    }
    container.setAttribute("role", "img");
    container.setAttribute("aria-label", known ? `${score(result.measure, result.value)} · ${intervalWords(result)}` : intervalWords(result));
  }

  // --- the list of surveys ---

  async function fillList(table) {
    const days = Number(document.getElementById("period-days").value);
    const to = today();
    const from = daysBefore(to, days - 1);
    await Promise.all([...table.querySelectorAll("tbody tr[data-survey]")].map(async (row) => {
      const question = JSON.parse(row.dataset.question);
      const cells = Object.fromEntries([...row.querySelectorAll("[data-cell]")].map((cell) => [cell.dataset.cell, cell]));
      cells.responses.innerHTML = `<span class="loading">${wp.t("common.loading")}</span>`;
      try {
        const result = await wp.api("/api/v1/insights/query", { method: "POST", body: {
          kind: "survey", survey: row.dataset.survey, question: question.key, date_from: midnight(from),
          date_to: midnight(nextDay(to)), timezone: zone, answers_limit: 0 } });
        cells.responses.textContent = wp.number(result.responded);
        cells.rate.textContent = wp.percent(result.response_rate, 0);
        cells.score.replaceChildren(listScore(result, question));
      } catch (error) {
        cells.responses.textContent = "\u2013";
        cells.score.replaceChildren(h("span", { class: "field-error", text: wp.t("common.error", { message: error.message }) }));
      }
    }));
  }

  function listScore(result, question) {
    if (result.score) {
      const holder = h("span", { class: "score" });
      holder.append(h("strong", { text: `${measureName(result.score.measure)} ${score(result.score.measure, result.score.value)}` }));
      holder.append(" ", h("span", { class: "muted small", text: intervalWords(result.score) }));
      return holder;
    }
    if (result.options.length && result.responded) {
      const top = [...result.options].sort((a, b) => b.count - a.count)[0];
      const label = question.options.find((option) => option.key === top.key)?.label || optionLabel(top);
      return h("span", { text: wp.t("surveys.list.top_option", { option: label, share: wp.percent(top.share, 0) }) });
    }
    return h("span", { class: "muted", text: "\u2013" });
  }

  function measureName(measure) {
    const names = { nps: wp.t("surveys.measure.nps"), csat: wp.t("surveys.measure.csat"), ces: wp.t("surveys.measure.ces"), rating: wp.t("surveys.measure.rating") };
    return names[measure] || measure;
  }
  function optionLabel(option) {
    return option.key === "other" ? wp.t("surveys.options.other") : option.label;
  }

  // --- one survey's results ---

  const form = document.getElementById("survey-filters");
  const segments = JSON.parse(document.getElementById("survey-segments")?.textContent || "[]");
  const segmentNames = Object.fromEntries(segments.map((segment) => [segment.key, segment.name]));
  const results = new Map(); // question key -> its latest result

  function filters() {
    const data = new FormData(form);
    const from = data.get("from") || daysBefore(today(), 89);
    const to = data.get("to") || today();
    return { from, to, interval: data.get("interval") || "week", by: data.get("by") || "", trait: String(data.get("trait") || "").trim() };
  }

  function baseQuery(question, chosen) {
    return { kind: "survey", survey: form.dataset.survey, question: question.key, date_from: midnight(chosen.from),
             date_to: midnight(nextDay(chosen.to)), timezone: zone, interval: chosen.interval };
  }

  function breakdownOf(chosen) {
    if (chosen.by === "segments" && segments.length) return { segments: segments.slice(0, 20).map((segment) => segment.key) };
    if ((chosen.by === "account" || chosen.by === "person") && chosen.trait) return { source: chosen.by, property: chosen.trait };
    return null;
  }

  async function loadQuestion(section, chosen) {
    const question = JSON.parse(section.dataset.question);
    const part = (name) => section.querySelector(`[data-part="${name}"]`);
    const query = baseQuery(question, chosen);
    const breakdown = question.group === "scale" ? breakdownOf(chosen) : null;
    if (breakdown) query.breakdown = breakdown;
    query.answers_limit = question.group === "scale" ? 0 : PAGE;
    part("summary").innerHTML = `<span class="loading">${wp.t("common.loading")}</span>`;
    section.setAttribute("aria-busy", "true");
    try {
      const result = await wp.api("/api/v1/insights/query", { method: "POST", body: query });
      results.set(question.key, result);
      summary(part("summary"), result);
      if (question.group === "scale") drawScale(section, question, result, breakdown, chosen);
      if (question.group === "choice") drawOptions(part("options"), question, result);
      if (part("answers")) showAnswers(section, result, false);
    } catch (error) {
      part("summary").replaceChildren(h("span", { class: "field-error", text: wp.t("common.error", { message: error.message }) }));
    } finally {
      section.removeAttribute("aria-busy");
    }
  }

  function summary(target, result) {
    const parts = [wp.t("surveys.summary.responses", { count: wp.number(result.responded) })];
    if (result.shown) parts.push(wp.t("surveys.summary.rate", { rate: wp.percent(result.response_rate, 0), shown: wp.number(result.shown) }));
    if (result.ignored) parts.push(wp.t("surveys.summary.ignored", { count: wp.number(result.ignored) }));
    target.textContent = parts.join(" · ");
  }

  function drawScale(section, question, result, breakdown, chosen) {
    const part = (name) => section.querySelector(`[data-part="${name}"]`);
    const measure = result.score?.measure || question.type;
    part("score").textContent = score(measure, result.score?.value);
    intervalBar(part("interval"), result.score, scaleOf(question, measure));
    part("interval-text").textContent = intervalWords(result.score);
    if (question.type === "nps") {
      drawSplit(part("split"), part("groups"), result);
      const total = result.responded;
      part("parts").textContent = total ? wp.t("surveys.score.nps_parts", { promoters: wp.percent(result.promoters / total, 0), detractors: wp.percent(result.detractors / total, 0) }) : "";
    }
    drawDistribution(part("distribution"), question, result);
    drawTrend(part("trend"), question, result, chosen);
    drawBreakdown(section, question, result, breakdown, chosen);
  }

  function drawSplit(bar, legend, result) {
    const total = result.responded || 0;
    const groups = [["promoters", wp.t("surveys.nps.promoters")], ["passives", wp.t("surveys.nps.passives")], ["detractors", wp.t("surveys.nps.detractors")]];
    bar.replaceChildren(...groups.map(([key]) => {
      const span = h("span", { class: key });
      span.style.width = total ? `${(result[key] / total) * 100}%` : "0";
      return span;
    }));
    legend.replaceChildren(...groups.map(([key, name]) => h("li", {},
      h("span", { class: `swatch ${key}`, "aria-hidden": "true" }),
      wp.t("surveys.nps.group", { name: name, count: wp.number(result[key]), share: wp.percent(total ? result[key] / total : null, 0) }))));
  }

  /** The colour of a score's bar: NPS by group, CSAT satisfied or not, others one colour. */
  function barColor(question, value) {
    if (question.type === "nps") return value >= 9 ? colors.promoters : value >= 7 ? colors.passives : colors.detractors;
    if (question.type === "csat") return value >= 4 ? colors.promoters : colors.passives;
    return colors.accent;
  }

  function drawDistribution(target, question, result) {
    const counts = result.distribution;
    wpCharts.bars(target, {
      labels: counts.map((bucket) => String(bucket.value)),
      values: counts.map((bucket) => ({ value: bucket.count, itemStyle: { color: barColor(question, bucket.value) } })),
    });
    target.setAttribute("role", "img");
    target.setAttribute("aria-label", wp.t("surveys.distribution.label", { values: counts.filter((bucket) => bucket.count).map((bucket) => `${bucket.value}: ${wp.number(bucket.count)}`).join(", ") }));
  }

  /** Period labels as the member's language writes dates. */
  function periodLabel(start, interval) {
    const options = interval === "month" ? { year: "numeric", month: "short" } : { month: "short", day: "numeric" };
    return wp.when(start, options);
  }

  function drawTrend(target, question, result, chosen) {
    const measure = result.score?.measure || question.type;
    const labels = result.trend.map((period) => periodLabel(period.start, chosen.interval));
    const value = result.trend.map((period) => period.score?.value ?? null);
    const low = result.trend.map((period) => period.score?.ci_low ?? null);
    const width = result.trend.map((period) => (period.score?.ci_low === null || period.score?.ci_low === undefined ? null : period.score.ci_high - period.score.ci_low));
    const [floor, ceiling] = scaleOf(question, measure);
    const chart = chartOf(target);
    const name = measureName(measure);
    chart.setOption({
      color: [colors.accent],
      animation: !matchMedia("(prefers-reduced-motion: reduce)").matches,
      textStyle: { fontFamily: "system-ui, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif" },
      grid: { left: 56, right: 32, top: 32, bottom: 32 },
      legend: { top: 0, data: [name, wp.t("surveys.trend.band")] },
      tooltip: { trigger: "axis", formatter: (points) => {
        const period = result.trend[points[0].dataIndex];
        return `${labels[points[0].dataIndex]}<br>${name}: ${score(measure, period.score?.value)}<br>${intervalWords(period.score)}`;
      } },
      xAxis: { type: "category", data: labels, boundaryGap: false },
      yAxis: { type: "value", min: floor, max: ceiling, axisLabel: { formatter: (v) => score(measure, v) } },
      series: [
        // The band: an invisible line at the low end, and the interval's width stacked on it
        // ("all": the default stacks a positive width on 0 when the low end is negative).
        { name: "low", type: "line", data: low, stack: "band", stackStrategy: "all", lineStyle: { opacity: 0 }, symbol: "none", silent: true, tooltip: { show: false } },
        { name: wp.t("surveys.trend.band"), type: "line", data: width, stack: "band", stackStrategy: "all", lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: colors.band }, itemStyle: { color: colors.band }, silent: true },
        { name, type: "line", data: value, connectNulls: false, symbolSize: 7, lineStyle: { width: 2 } },
      ],
    }, true);
    target.setAttribute("role", "img");
    target.setAttribute("aria-label", wp.t("surveys.trend.label", { values: result.trend.filter((period) => period.score?.value !== null && period.score?.value !== undefined).map((period) => `${periodLabel(period.start, chosen.interval)}: ${score(measure, period.score.value)}`).join(", ") }));
  }

  const charts = new WeakMap();
  /** An ECharts instance for a container (the trend needs a band, which wpCharts.lines lacks). */
  function chartOf(target) {
    let chart = charts.get(target);
    if (!chart) {
      chart = window.echarts.init(target, null, { renderer: "svg" });
      charts.set(target, chart);
      new ResizeObserver(() => chart.resize()).observe(target);
    }
    return chart;
  }

  function groupName(value, breakdown) {
    if (breakdown?.segments) return segmentNames[value] || value;
    if (value === "") return wp.t("surveys.breakdown.not_set");
    if (value === "Other") return wp.t("surveys.breakdown.other");
    return value;
  }

  function drawBreakdown(section, question, result, breakdown, chosen) {
    const card = section.querySelector('[data-part="breakdown-card"]');
    if (!breakdown) { card.hidden = true; return; }
    card.hidden = false;
    const title = section.querySelector('[data-part="breakdown-title"]');
    title.textContent = breakdown.segments ? wp.t("surveys.breakdown.by_segments") : wp.t("surveys.breakdown.by_trait", { trait: chosen.trait });
    const body = section.querySelector('[data-part="breakdown"]');
    const measure = result.score?.measure || question.type;
    const scale = scaleOf(question, measure);
    if (!result.breakdown.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: "5", class: "empty", text: wp.t("surveys.breakdown.empty") })));
      return;
    }
    body.replaceChildren(...result.breakdown.map((group) => {
      const bar = h("div");
      intervalBar(bar, group.score, scale, true);
      const row = h("tr", {},
        h("th", { scope: "row", text: groupName(group.value, breakdown) }),
        h("td", { class: "num", text: wp.number(group.responded) }),
        h("td", { class: "num", text: score(measure, group.score?.value) }),
        h("td", { class: "interval" }, bar, h("div", { class: "muted small", text: intervalWords(group.score) })));
      if (question.type === "nps") {
        const total = group.responded;
        row.append(h("td", { class: "num small", text: total ? `${wp.percent(group.promoters / total, 0)} / ${wp.percent(group.passives / total, 0)} / ${wp.percent(group.detractors / total, 0)}` : "\u2013" }));
      }
      return row;
    }));
  }

  function drawOptions(body, question, result) {
    if (!result.responded) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: "4", class: "empty", text: wp.t("surveys.options.none") })));
      return;
    }
    body.replaceChildren(...result.options.map((option) => {
      const label = question.options.find((known) => known.key === option.key)?.label || optionLabel(option);
      const bar = h("div", { class: "share-bar", "aria-hidden": "true" }, h("span"));
      bar.firstChild.style.width = `${Math.min(100, option.share * 100)}%`;
      return h("tr", {},
        h("th", { scope: "row", text: label }),
        h("td", { class: "num", text: wp.number(option.count) }),
        h("td", { class: "num", text: wp.percent(option.share, 0) }),
        h("td", { class: "bar" }, bar));
    }));
  }

  // --- answers in words, with search ---

  const PAGE = 10;

  /** The text with every occurrence of the search marked (any language, ignoring case). */
  function marked(text, search) {
    const holder = h("span", { class: "text" });
    if (!search) { holder.textContent = text; return holder; }
    const lower = text.toLocaleLowerCase();
    const needle = search.toLocaleLowerCase();
    let from = 0;
    for (let found = lower.indexOf(needle); found !== -1 && needle; found = lower.indexOf(needle, from)) {
      holder.append(text.slice(from, found), h("mark", { text: text.slice(found, found + needle.length) }));
      from = found + needle.length;
    }
    holder.append(text.slice(from));
    return holder;
  }

  function showAnswers(section, result, more) {
    const list = section.querySelector('[data-part="answers"]');
    const search = section.querySelector('[data-part="search"]').value.trim();
    // Who answered is personal data: named (with a link to their profile) only to members who
    // may read people; the rest see when.
    const people = form.dataset.people;
    const items = result.answers.map((answer) => {
      const meta = h("div", { class: "meta" }, wp.when(answer.answered_at));
      const id = answer.user_id || String(answer.person_id);
      if (people) meta.append(" · ", h("a", { href: `${people}${encodeURIComponent(id)}`, text: answer.user_id || `#${answer.person_id}` }));
      return h("li", {}, marked(answer.text, search), meta);
    });
    if (more) list.append(...items);
    else list.replaceChildren(...items);
    const shown = list.children.length;
    const count = section.querySelector('[data-part="answers-count"]');
    count.textContent = search
      ? wp.t("surveys.answers.matching", { count: wp.number(result.answers_total), search: search })
      : wp.t("surveys.answers.count", { count: wp.number(result.answers_total) });
    if (!shown) list.replaceChildren(h("li", { class: "empty", text: search ? wp.t("surveys.answers.no_match") : wp.t("surveys.answers.none") }));
    const button = section.querySelector('[data-part="more"]');
    button.hidden = shown >= result.answers_total;
    button.dataset.offset = String(shown);
  }

  async function searchAnswers(section, offset = 0) {
    const question = JSON.parse(section.dataset.question);
    const search = section.querySelector('[data-part="search"]').value.trim();
    const query = { ...baseQuery(question, filters()), answers_limit: PAGE, answers_offset: offset };
    if (search) query.search = search;
    try {
      const result = await wp.api("/api/v1/insights/query", { method: "POST", body: query });
      showAnswers(section, result, offset > 0);
    } catch (error) {
      section.querySelector('[data-part="answers-count"]').textContent = wp.t("common.error", { message: error.message });
    }
  }

  function wireAnswers(section) {
    const input = section.querySelector('[data-part="search"]');
    if (!input) return;
    let timer = null;
    let composing = false;
    const later = () => { clearTimeout(timer); timer = setTimeout(() => searchAnswers(section), 300); };
    // Japanese is typed through an input method: search once a word is committed, not per kana.
    input.addEventListener("compositionstart", () => { composing = true; });
    input.addEventListener("compositionend", () => { composing = false; later(); });
    input.addEventListener("input", () => { if (!composing) later(); });
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); searchAnswers(section); } });
    section.querySelector('[data-part="more"]').addEventListener("click", (event) => searchAnswers(section, Number(event.currentTarget.dataset.offset || 0)));
  }

  // --- follow-ups: how many of this period's answers meet each condition ---

  function meets(match, value) {
    const checks = {
      eq: (wanted) => value === wanted, neq: (wanted) => value !== wanted,
      in: (wanted) => wanted.includes(value), not_in: (wanted) => !wanted.includes(value),
      gt: (wanted) => value > wanted, gte: (wanted) => value >= wanted,
      lt: (wanted) => value < wanted, lte: (wanted) => value <= wanted,
      contains: (wanted) => typeof value === "string" && value.includes(wanted),
    };
    return Object.entries(match).every(([name, wanted]) => (checks[name] ? checks[name](wanted) : false));
  }

  function countFollowUps() {
    for (const row of document.querySelectorAll("tr[data-follow-question]")) {
      const result = results.get(row.dataset.followQuestion);
      const cell = row.querySelector('[data-part="met"]');
      if (!result) { cell.textContent = "\u2013"; continue; }
      const match = JSON.parse(row.dataset.match);
      let met = 0;
      for (const bucket of result.distribution) if (meets(match, bucket.value)) met += bucket.count;
      for (const option of result.options) if (meets(match, option.key)) met += option.count;
      cell.textContent = wp.t("surveys.follow_ups.met_count", { count: wp.number(met) });
    }
  }

  // --- exports: the same query as a file ---

  async function download(format, button) {
    const chosen = filters();
    const first = JSON.parse(document.querySelector("section.question").dataset.question);
    button.disabled = true;
    try {
      const response = await wp.api("/api/v1/insights/query", { method: "POST", raw: true, body: { ...baseQuery(first, chosen), format } });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        throw new Error(data?.error?.message || response.statusText);
      }
      const blob = await response.blob();
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || `survey-${form.dataset.survey}.${format}`;
      const link = h("a", { href: URL.createObjectURL(blob), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      wp.say(wp.t("surveys.export.done", { name: name }));
    } catch (error) {
      wp.say(wp.t("common.error", { message: error.message }));
    } finally {
      button.disabled = false;
    }
  }

  async function loadAll() {
    const chosen = filters();
    const sections = [...document.querySelectorAll("section.question")];
    await Promise.all(sections.map((section) => loadQuestion(section, chosen)));
    countFollowUps();
  }

  if (form) {
    const by = document.getElementById("breakdown-by");
    const traitField = document.getElementById("trait-field");
    by.addEventListener("change", () => { traitField.hidden = !["account", "person"].includes(by.value); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      // The URL holds the view, so a link (or a reload) shows the same results.
      const params = new URLSearchParams(new FormData(form));
      if (!["account", "person"].includes(params.get("by"))) params.delete("trait");
      history.replaceState(null, "", `${location.pathname}?${params}`);
      loadAll();
    });
    for (const button of document.querySelectorAll("[data-export]")) {
      button.addEventListener("click", () => download(button.dataset.export, button));
    }
    document.querySelectorAll("section.question").forEach(wireAnswers);
    loadAll();
  }

  const list = document.getElementById("survey-list");
  if (list) {
    document.getElementById("period-days").addEventListener("change", () => fillList(list));
    fillList(list);
  }
})();
