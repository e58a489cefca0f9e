// A person's event timeline: their events newest first from the events API, a page at a time,
// narrowed to one event name if the member likes.
"use strict";
(() => {
  const { h } = wp;
  const section = document.getElementById("timeline");
  if (!section) return;
  const PAGE = 50;
  const body = document.getElementById("timeline-body");
  const more = document.getElementById("timeline-more");
  const filter = document.getElementById("timeline-filter");
  let cursor = null;

  // Events Waypost itself names, said in words (the name stays beside them).
  const named = {
    $page: wp.t("people.event.page"),
    $screen: wp.t("people.event.screen"),
    $identify: wp.t("people.event.identify"),
    $group: wp.t("people.event.group"),
    $alias: wp.t("people.event.alias"),
    $autocapture: wp.t("people.event.autocapture"),
    $guide_shown: wp.t("people.event.guide_shown"),
    $guide_step_viewed: wp.t("people.event.guide_step_viewed"),
    $guide_completed: wp.t("people.event.guide_completed"),
    $guide_dismissed: wp.t("people.event.guide_dismissed"),
    $guide_cta_clicked: wp.t("people.event.guide_cta_clicked"),
    $guide_target_missing: wp.t("people.event.guide_target_missing"),
    $task_completed: wp.t("people.event.task_completed"),
    $survey_shown: wp.t("people.event.survey_shown"),
    $survey_answered: wp.t("people.event.survey_answered"),
    $survey_dismissed: wp.t("people.event.survey_dismissed"),
    $holdout_assigned: wp.t("people.event.holdout_assigned"),
  };

  function value(v) {
    if (v === null || v === undefined) return "";
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  /** What matters about an event besides its name: its content item, element or properties. */
  function details(event) {
    const parts = [];
    if (event.content_id) parts.push([wp.t("people.timeline.content"), event.content_id + (event.content_step !== null ? ` #${event.content_step + 1}` : "")]);
    if (event.element_text) parts.push([wp.t("people.timeline.element"), event.element_text]);
    for (const [key, v] of Object.entries(event.properties || {})) {
      if (key.startsWith("$content") || ["url", "path", "referrer", "title", "search"].includes(key)) continue;
      parts.push([key.replace(/^\$/, ""), value(v)]);
      if (parts.length >= 5) break;
    }
    const list = h("span", { class: "props" });
    for (const [key, v] of parts) list.append(h("span", { class: "prop" }, h("span", { class: "key", text: `${key}:` }), " ", v.length > 80 ? `${v.slice(0, 79)}…` : v));
    return list;
  }

  function row(event) {
    const name = event.event;
    const label = named[name];
    const cell = h("td", {}, label ? h("span", { text: label }) : h("strong", { text: name }));
    if (label) cell.append(" ", h("code", { class: "muted small", text: name }));
    return h("tr", {},
      h("td", { class: "when", text: wp.when(event.timestamp, { dateStyle: "medium", timeStyle: "medium" }) }),
      cell,
      h("td", { class: "path", text: event.path || event.name || "" }),
      h("td", {}, details(event)));
  }

  async function load(reset) {
    if (reset) {
      cursor = null;
      body.replaceChildren(h("tr", {}, h("td", { colspan: "4", class: "loading", text: wp.t("common.loading") })));
    }
    body.setAttribute("aria-busy", "true");
    more.disabled = true;
    const query = new URLSearchParams({ person: section.dataset.person, limit: String(PAGE) });
    if (filter.elements.event.value) query.set("event", filter.elements.event.value);
    if (cursor) query.set("cursor", cursor);
    try {
      const page = await wp.api(`/api/v1/events?${query}`);
      if (reset) body.replaceChildren();
      body.append(...page.events.map(row));
      if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: "4", class: "empty", text: wp.t("people.timeline.none") })));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: "4", class: "field-error", text: wp.t("common.error", { message: error.message }) })));
    } finally {
      body.setAttribute("aria-busy", "false");
      more.disabled = false;
    }
  }

  more.addEventListener("click", () => load(false));
  filter.addEventListener("change", () => load(true));
  filter.addEventListener("submit", (event) => { event.preventDefault(); load(true); });
  load(true);
})();
