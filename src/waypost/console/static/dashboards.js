// A dashboard: each tile's answer drawn in its card (charts for funnels, trends, retention and
// paths, a single number for measurement kinds, a table otherwise), and, for those who may edit
// reports, the range, filters and tiles changed over the admin API.
"use strict";
(() => {
  const { h } = wp;
  const documentNode = document.getElementById("board-document");
  if (!documentNode) return;
  const board = JSON.parse(documentNode.textContent);
  const { table, draw, verdict, ttvStats } = window.wpInsights;
  const appId = document.querySelector('meta[name="wp-app"]').getAttribute("content");
  const listUrl = `/console/apps/${appId}/dashboards`;
  const boardApi = `/api/v1/dashboards/${encodeURIComponent(board.id)}`;

  const tileCards = () => [...document.querySelectorAll("article.tile")];

  // --- Drawing one tile. ---

  function chartIn(body, className = "chart") {
    const element = h("div", { class: className, role: "img", "aria-label": body.closest("article").querySelector("h2").textContent });
    body.append(element);
    return element;
  }

  function big(body, value, words) {
    body.append(h("div", { class: "big", text: value }), words ? h("p", { class: "muted", text: words }) : null);
  }

  const RENDER = {
    funnel(body, result) {
      const steps = result.steps;
      const last = steps[steps.length - 1];
      body.append(h("p", { class: "muted small", text: wp.t("dashboards.tile.funnel", { share: wp.percent(last?.conversion_from_first ?? null), count: wp.number(steps[0]?.count ?? 0) }) }));
      draw.funnel(chartIn(body), steps);
    },
    trends(body, result) {
      draw.trends(chartIn(body), result);
    },
    retention(body, result) {
      if (!result.cohorts.length) return nothing(body);
      draw.retention(chartIn(body), result);
      return null;
    },
    paths(body, result) {
      if (!result.paths.length) return nothing(body);
      draw.paths(chartIn(body), result);
      return null;
    },
    time_to_value(body, result) {
      body.append(ttvStats(result.overall));
    },
    onboarding(body, result) {
      big(body, wp.percent(result.overall.completed_share), wp.t("dashboards.tile.onboarding", { completed: wp.number(result.overall.completed), units: wp.number(result.overall.units) }));
    },
    comparison(body, result, query) {
      const steps = query?.insight?.steps || null;
      body.append(h("ul", { class: "verdicts" }, result.differences.map((d) => h("li", {}, verdict(d, steps)))));
    },
    survey(body, result) {
      const score = result.score;
      if (!score || score.value === null) return big(body, "\u2013", wp.t("dashboards.tile.survey_none", { responded: wp.number(result.responded) }));
      const value = score.measure === "csat" ? wp.percent(score.value) : wp.number(score.value, score.measure === "nps" ? 0 : 1);
      const measure = { nps: wp.t("dashboards.score.nps"), csat: wp.t("dashboards.score.csat"), ces: wp.t("dashboards.score.ces") }[score.measure] || wp.t("dashboards.score.rating");
      return big(body, value, wp.t("dashboards.tile.survey", { measure: measure, count: wp.number(score.n) }));
    },
    goal(body, result) {
      big(body, wp.percent(result.rate), wp.t("dashboards.tile.goal", { reached: wp.number(result.reached), started: wp.number(result.started) }));
    },
    impact_productivity(body, result) {
      big(body, wp.money(result.value), wp.t("dashboards.tile.hours_saved", { hours: wp.number(result.hours_saved, 1) }));
    },
    impact_time_saved(body, result) {
      big(body, wp.money(result.value), wp.t("dashboards.tile.hours_saved", { hours: wp.number(result.hours_saved, 1) }));
    },
    impact_renewal(body, result) {
      big(body, wp.money(result.retained_revenue), wp.t("dashboards.tile.renewals", { count: wp.number(result.additional_renewals, 1) }));
    },
    engagement(body, result) {
      body.append(table(
        [{ label: wp.t("dashboards.col.item") }, { label: wp.t("dashboards.col.people"), num: true }, { label: wp.t("dashboards.col.completion"), num: true }],
        result.items.map((item) => [item.name || item.key, wp.number(item.people), wp.percent(item.completion_rate)]),
      ));
    },
    dropoff(body, result) {
      body.append(h("p", { class: "muted small", text: wp.t("dashboards.tile.dropoff", { dropped: wp.number(result.dropped), converted: wp.number(result.converted) }) }));
      body.append(table(
        [{ label: wp.t("insights.dropped.col.event") }, { label: wp.t("insights.dropped.col.share"), num: true }],
        result.instead.map((e) => [e.event, wp.percent(e.share)]),
      ));
    },
  };

  function nothing(body) {
    body.append(h("p", { class: "empty", text: wp.t("insights.result.nothing") }));
    return null;
  }

  /** Any other answer: its top-level numbers and words, as a table. */
  function plainTable(body, result) {
    const rows = Object.entries(result).filter(([key, value]) => key !== "kind" && (typeof value === "number" || typeof value === "string"))
      .map(([key, value]) => [key, typeof value === "number" ? wp.number(value, Number.isInteger(value) ? 0 : 2) : value]);
    body.append(table([{ label: wp.t("dashboards.col.measure") }, { label: wp.t("dashboards.col.value"), num: true }], rows));
  }

  function renderTile(card, data, query) {
    const body = card.querySelector(".tile-body");
    const noteBox = card.querySelector(".tile-note");
    body.replaceChildren();
    body.removeAttribute("aria-busy");
    const notes = [];
    if (data.ignores_range) notes.push(wp.t("dashboards.tile.ignores_range"));
    if (data.ignores_filters) notes.push(wp.t("dashboards.tile.ignores_filters"));
    noteBox.textContent = notes.join(" ");
    noteBox.hidden = !notes.length;
    if (data.error) {
      body.append(h("p", { class: "field-error", role: "note", text: data.name === null ? wp.t("dashboards.tile.gone") : wp.t("dashboards.tile.error", { message: data.error.message }) }));
      return;
    }
    const render = RENDER[data.kind];
    if (render) render(body, data.result, query);
    else plainTable(body, data.result);
  }

  async function loadTiles() {
    const cards = tileCards();
    if (!cards.length) return;
    try {
      const data = await wp.api(`${boardApi}/data`);
      const queries = JSON.parse(document.getElementById("tile-queries")?.textContent || "{}");
      for (const tile of data.tiles) {
        const card = cards.find((c) => Number(c.dataset.position) === tile.position);
        if (card) renderTile(card, tile, queries[tile.insight_id]);
      }
    } catch (error) {
      for (const card of cards) {
        const body = card.querySelector(".tile-body");
        body.removeAttribute("aria-busy");
        body.replaceChildren(h("p", { class: "field-error", text: wp.t("common.error", { message: error.message }) }));
      }
    }
  }

  // --- Changing the dashboard (those who may; the API checks again). ---

  /** The document as PUT takes it: what GET gives, without what the server keeps itself. */
  function editable() {
    const { id: _id, created_by: _by, created_at: _at, updated_at: _up, ...rest } = board;
    return rest;
  }

  async function save(changes) {
    const saved = await wp.api(boardApi, { method: "PUT", body: { ...editable(), ...changes } });
    Object.assign(board, saved);
    return saved;
  }

  function renumberTiles() {
    tileCards().forEach((card, position) => { card.dataset.position = String(position); });
  }

  document.addEventListener("change", async (event) => {
    const select = event.target.closest("select[data-width]");
    if (!select) return;
    const card = select.closest("article.tile");
    const position = Number(card.dataset.position);
    const width = Number(select.value);
    const tiles = board.tiles.map((tile, i) => (i === position ? { ...tile, width } : tile));
    try {
      await save({ tiles });
      card.className = card.className.replace(/\bw-\d+\b/, `w-${width}`);
      wp.say(wp.t("dashboards.saved"));
    } catch (error) {
      wp.say(wp.t("common.error", { message: error.message }));
    }
  });

  document.addEventListener("click", async (event) => {
    const remove = event.target.closest("[data-remove-tile]");
    if (!remove) return;
    const card = remove.closest("article.tile");
    const position = Number(card.dataset.position);
    const name = card.querySelector("h2").textContent;
    try {
      await save({ tiles: board.tiles.filter((_, i) => i !== position) });
      card.remove();
      renumberTiles();
      wp.say(wp.t("dashboards.tile.removed", { name: name }));
      document.querySelector("main h1").focus?.();
    } catch (error) {
      wp.say(wp.t("common.error", { message: error.message }));
    }
  });

  const form = document.getElementById("board-form");
  if (form) {
    const { dayStart, dayOf, addDays, filters: filterEditor } = window.wpInsights;
    const field = (name) => form.elements.namedItem(name);
    const filters = filterEditor(document.getElementById("board-filters"), document.getElementById("tpl-filter"));
    filters.set(board.where);
    const preset = field("preset");
    if (board.last_days && ["7", "30", "90"].includes(String(board.last_days))) preset.value = String(board.last_days);
    else if (board.last_days) {
      preset.append(h("option", { value: String(board.last_days), text: wp.t("dashboards.range.last_days", { days: wp.number(board.last_days) }) }));
      preset.value = String(board.last_days);
    } else if (board.date_from || board.date_to) preset.value = "custom";
    else preset.value = "none";
    if (board.date_from) field("date_from").value = dayOf(board.date_from);
    if (board.date_to) field("date_to").value = dayOf(new Date(Date.parse(board.date_to) - 1));
    const syncCustom = () => form.querySelectorAll("[data-custom]").forEach((label) => { label.hidden = preset.value !== "custom"; });
    preset.addEventListener("change", syncCustom);
    syncCustom();

    form.addEventListener("click", (event) => {
      if (event.target.closest('[data-add="filter"]')) filters.add().querySelector("input")?.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = document.getElementById("board-error");
      error.hidden = true;
      const changes = { last_days: null, date_from: null, date_to: null, where: filters.read(), filter_test_accounts: field("filter_test_accounts").checked };
      if (preset.value === "custom") {
        if (field("date_from").value) changes.date_from = dayStart(field("date_from").value);
        if (field("date_to").value) changes.date_to = dayStart(addDays(field("date_to").value, 1));
      } else if (preset.value !== "none") {
        changes.last_days = Number(preset.value);
      }
      try {
        await save(changes);
        // The summary, tiles and links all follow the new range: show the page afresh.
        location.reload();
      } catch (failure) {
        error.hidden = false;
        error.textContent = failure.field
          ? wp.t("insights.error.field", { field: failure.field, message: failure.message })
          : wp.t("common.error", { message: failure.message });
      }
    });
    document.getElementById("delete-board").addEventListener("click", async () => {
      if (!window.confirm(wp.t("dashboards.delete_confirm", { name: board.name }))) return;
      try {
        await wp.api(boardApi, { method: "DELETE" });
        location.assign(listUrl);
      } catch (failure) {
        wp.say(wp.t("common.error", { message: failure.message }));
      }
    });
  }

  loadTiles();
})();
