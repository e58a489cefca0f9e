// The app's home. With events: each card asks the insights API for its query (prepared by the
// server, in #home-config) after the page has loaded, and draws the answer into its fixed-size
// box. Without events yet: asks every few seconds whether the first one has arrived, and
// reloads into the dashboard when it has.
"use strict";
(() => {
  const { h } = wp;
  const POLL_MS = 3000;

  function waitForFirstEvent(section) {
    const url = section.dataset.statusUrl;
    async function ask() {
      if (!document.hidden) {
        try {
          const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
          if (response.ok && (await response.json()).has_events) {
            wp.say(wp.t("home.setup.arrived"));
            location.reload();
            return;
          }
        } catch {
          // The server may be restarting: ask again later.
        }
      }
      setTimeout(ask, POLL_MS);
    }
    setTimeout(ask, POLL_MS);
  }

  /** A list of labelled horizontal bars: [{label, share, note}]. */
  function shareBars(rows) {
    const list = h("ul", { class: "share-bars" });
    for (const row of rows) {
      const width = Math.max(0, Math.min(1, row.share || 0)) * 100;
      list.append(h("li", {},
        h("span", { class: "label", text: row.label, title: row.label }),
        h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width: ${width}%` })),
        h("span", { class: "num", text: wp.percent(row.share, 0) })));
    }
    return list;
  }

  function metric(value, caption) {
    return [h("p", { class: "metric", text: value }), h("p", { class: "caption", text: caption })];
  }

  function empty(text) {
    return [h("p", { class: "empty", text })];
  }

  const cards = {
    onboarding(result) {
      const overall = result.overall;
      if (!overall.units) return empty(wp.t("home.card.onboarding.empty", { start: config.start }));
      return [
        ...metric(wp.percent(overall.completed_share, 0),
          wp.t("home.card.onboarding.caption", { completed: wp.number(overall.completed), units: wp.number(overall.units) })),
        shareBars(overall.milestones.map((m) => ({ label: m.event || m.action, share: m.share }))),
      ];
    },

    time_to_value(result) {
      const overall = result.overall;
      if (!overall.units) return empty(wp.t("home.card.onboarding.empty", { start: config.start }));
      if (!overall.reached) return empty(wp.t("home.card.ttv.nobody", { value: config.value }));
      return [
        ...metric(wp.duration(overall.median_seconds),
          wp.t("home.card.ttv.caption", { reached: wp.number(overall.reached), units: wp.number(overall.units) })),
        shareBars(overall.within.map((w) => ({ label: wp.t("home.card.ttv.within", { days: w.days }), share: w.share }))),
      ];
    },

    nps(result) {
      if (!result.responded) return empty(wp.t("home.card.nps.empty"));
      const score = result.score;
      const parts = metric(wp.number(score.value, 0),
        wp.t("home.card.nps.caption", { count: wp.number(result.responded), rate: wp.percent(result.response_rate, 0) }));
      if (score.ci_low !== null && score.ci_high !== null) {
        parts.push(h("p", { class: "muted", text: wp.t("home.card.nps.interval", { low: wp.number(score.ci_low, 0), high: wp.number(score.ci_high, 0) }) }));
      } else if (score.note) {
        parts.push(h("p", { class: "muted", text: wp.t("home.card.nps.few") }));
      }
      const total = result.promoters + result.passives + result.detractors;
      const groups = [
        ["promoters", result.promoters, wp.t("home.card.nps.promoters")],
        ["passives", result.passives, wp.t("home.card.nps.passives")],
        ["detractors", result.detractors, wp.t("home.card.nps.detractors")],
      ];
      const stack = h("div", { class: "nps-stack", "aria-hidden": "true" });
      const legend = h("ul", { class: "nps-legend" });
      for (const [name, count, label] of groups) {
        stack.append(h("span", { class: name, style: `flex-grow: ${count}` }));
        legend.append(h("li", { class: name }, h("span", { class: "swatch" }), `${label} ${wp.percent(total ? count / total : 0, 0)}`));
      }
      parts.push(stack, legend);
      return parts;
    },

    funnel(result, body) {
      const steps = result.steps;
      const summary = body.querySelector(".funnel-summary");
      const chart = body.querySelector(".chart");
      if (!steps.length || !steps[0].count) {
        summary.replaceChildren(...empty(wp.t("home.card.onboarding.empty", { start: config.start })));
        chart.hidden = true;
        return null;
      }
      const last = steps[steps.length - 1];
      summary.replaceChildren(
        h("span", { class: "metric", text: wp.percent(last.conversion_from_first, 0) }), " ",
        h("span", { class: "caption", text: wp.t("home.card.funnel.caption", { first: steps[0].event, last: last.event, count: wp.number(last.count) }) }));
      chart.setAttribute("aria-label", steps.map((s) => `${s.event}: ${wp.number(s.count)}`).join(", "));
      const drawn = wpCharts.bars(chart, { labels: steps.map((s) => s.event || s.action), values: steps.map((s) => s.count) });
      // Long step names side by side: wrap each within its own column rather than overlap.
      const column = Math.max(48, Math.floor((chart.clientWidth - 72) / steps.length) - 8);
      drawn.setOption({ grid: { bottom: 56 }, xAxis: { axisLabel: { width: column, overflow: "break", lineHeight: 14 } } });
      return null;
    },

    engagement(result) {
      const broken = result.items
        .filter((item) => item.target_missing_rate > 0)
        .sort((a, b) => b.target_missing_rate - a.target_missing_rate)
        .slice(0, 6);
      if (!broken.length) {
        return [h("p", { class: "all-good" }, h("span", { class: "pill good", text: wp.t("home.card.broken.none_pill") }), " ", wp.t("home.card.broken.none"))];
      }
      const table = h("table", { class: "data" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", text: wp.t("home.card.broken.item") }),
          h("th", { scope: "col", class: "num", text: wp.t("home.card.broken.rate") }),
          h("th", { scope: "col", class: "num", text: wp.t("home.card.broken.count") }))));
      const rows = h("tbody");
      for (const item of broken) {
        rows.append(h("tr", {},
          h("td", { text: item.name || item.key }),
          h("td", { class: "num" }, h("span", { class: "pill bad", text: wp.percent(item.target_missing_rate, 0) })),
          h("td", { class: "num", text: wp.number(item.target_missing) })));
      }
      table.append(rows);
      return [table];
    },
  };

  let config = {};

  async function fill(body) {
    const name = body.dataset.card;
    const query = config.queries[name];
    try {
      const result = await wp.api("/api/v1/insights/query", { method: "POST", body: query });
      const parts = cards[name](result, body);
      if (parts) body.replaceChildren(...parts);
    } catch (error) {
      body.replaceChildren(h("p", { class: "field-error", text: wp.t("common.error", { message: error.message }) }));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  }

  /** The period and segment apply as soon as they are picked with the pointer; picked with the
   * arrow keys, once the member presses Enter or leaves the list (so stepping through the
   * choices does not reload the page at each one). */
  function applyOnChoice(form) {
    let keyboard = false;
    let pending = false;
    form.addEventListener("pointerdown", () => { keyboard = false; });
    form.addEventListener("keydown", (event) => {
      if (!event.target.matches("select")) return;
      if (event.key === "Enter" && pending) {
        event.preventDefault();
        form.submit();
      } else if (event.key !== "Tab") {
        keyboard = true;
      }
    });
    form.addEventListener("change", () => {
      if (keyboard) pending = true;
      else form.submit();
    });
    form.addEventListener("focusout", () => { if (pending) form.submit(); });
  }

  function start() {
    const emptyHome = document.getElementById("home-empty");
    if (emptyHome) {
      waitForFirstEvent(emptyHome);
      return;
    }
    config = JSON.parse(document.getElementById("home-config").textContent);
    applyOnChoice(document.getElementById("home-toolbar"));
    for (const body of document.querySelectorAll("[data-card]")) {
      if (config.queries[body.dataset.card]) {
        fill(body);
      } else {
        body.replaceChildren(...empty(config.own ? wp.t("home.card.no_steps") : wp.t("home.card.no_own_events")));
        body.querySelector(".chart")?.remove();
        body.setAttribute("aria-busy", "false");
      }
    }
  }

  start();
})();
