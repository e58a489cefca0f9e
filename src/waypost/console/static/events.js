// Events and actions: a live stream of the app's events (newest first, polled every few
// seconds, pausable), filtered by person, event and page URL; an event's details; and actions
// defined from an autocaptured click (builders and up), listed with how often they matched.
"use strict";
(() => {
  const { h } = wp;
  const root = document.getElementById("events-page");
  if (!root) return;
  const POLL_MS = Number(root.dataset.poll || 4) * 1000;
  const canDefine = root.dataset.canDefine === "true";
  const AUTOCAPTURE = "$autocapture";
  // The most rows the stream keeps, so a busy app does not grow the page without end.
  const KEEP = 500;
  // How far before the newest event shown each poll looks, for events sent with a late clock.
  const SLACK_MS = 15 * 60 * 1000;
  const $ = (id) => document.getElementById(id);

  const rows = $("event-rows");
  const form = $("event-filters");
  const known = new Map(); // message id -> event, for the rows shown
  const names = new Set(["$autocapture", "$page", "$identify"]);
  let cursor = null;
  let paused = false;
  let polling = null;
  let selected = null;
  let generation = 0; // filters changed: answers to older requests are dropped

  // --- filters: held in the URL, so a link shows the same stream ---

  function filters() {
    const data = new FormData(form);
    return { person: String(data.get("person") || "").trim(), event: String(data.get("event") || "").trim(), url: String(data.get("url") || "").trim() };
  }
  function keepInUrl(chosen) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(chosen)) if (value) params.set(name, value);
    history.replaceState(null, "", params.toString() ? `${location.pathname}?${params}` : location.pathname);
  }
  async function fetchEvents(chosen, from = null, after = null) {
    const params = new URLSearchParams();
    if (chosen.person) params.set("person", chosen.person);
    if (chosen.event) params.set("event", chosen.event);
    if (chosen.url) params.set("url", chosen.url);
    if (after) params.set("since", after);
    params.set("limit", "60");
    if (from) params.set("cursor", from);
    const page = await wp.api(`/api/v1/events?${params}`);
    return { events: page.events, next: page.next_cursor };
  }

  // --- rows ---

  const order = (event) => `${event.timestamp}|${event.message_id}`;

  function label(event) {
    const kinds = { $autocapture: wp.t("events.kind.click"), $page: wp.t("events.kind.page"), $screen: wp.t("events.kind.screen"),
                    $identify: wp.t("events.kind.identify"), $group: wp.t("events.kind.group"), $alias: wp.t("events.kind.alias") };
    return kinds[event.event] || event.event;
  }
  function who(event) {
    return event.user_id || event.anonymous_id || event.distinct_id;
  }

  /** A time short enough for the stream: the time alone today, the day and time before. */
  function shortTime(iso) {
    const today = wp.when(new Date().toISOString(), { dateStyle: "short" });
    if (wp.when(iso, { dateStyle: "short" }) === today) return wp.when(iso, { timeStyle: "medium" });
    return wp.when(iso, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  }

  function row(event) {
    const button = h("button", { type: "button", class: "link", title: event.event }, label(event));
    const what = h("td", { class: "what" });
    const line1 = h("span", { class: "name" }, button);
    if (event.event === AUTOCAPTURE && event.element_text) line1.append(" ", h("span", { class: "element-text", text: wp.t("events.quoted", { text: event.element_text }) }));
    what.append(line1);
    const where = h("td", { class: "where" });
    if (event.path || event.url) where.append(h("span", { class: "path", title: event.url || "", text: event.path || event.url }));
    if (event.event === AUTOCAPTURE && event.element_selector) where.append(h("code", { class: "selector", title: event.element_selector, text: event.element_selector }));
    const line = h("tr", { "data-id": event.message_id },
      h("td", { class: "time" }, h("time", { datetime: event.timestamp, title: wp.when(event.timestamp, { dateStyle: "medium", timeStyle: "medium" }), text: shortTime(event.timestamp) })),
      what,
      h("td", { class: "person", title: who(event) }, who(event)),
      where);
    if (event.event === AUTOCAPTURE) line.classList.add("click");
    return line;
  }

  /** Put events into the table in order (newest first); returns how many were new. */
  function place(events, fresh) {
    let added = 0;
    const existing = () => [...rows.querySelectorAll("tr[data-id]")];
    for (const event of [...events].sort((a, b) => (order(a) < order(b) ? 1 : -1))) {
      if (known.has(event.message_id)) continue;
      known.set(event.message_id, event);
      names.add(event.event);
      const made = row(event);
      if (fresh) made.classList.add("new");
      const later = existing().find((other) => order(known.get(other.dataset.id)) < order(event));
      if (later) rows.insertBefore(made, later);
      else rows.append(made);
      added += 1;
    }
    rows.querySelector("tr.placeholder")?.remove();
    for (const extra of existing().slice(KEEP)) { known.delete(extra.dataset.id); extra.remove(); }
    if (!known.size) rows.replaceChildren(h("tr", { class: "placeholder" }, h("td", { colspan: "4", class: "empty", text: emptyText() })));
    updateNames();
    $("stream-count").textContent = wp.t("events.count", { count: wp.number(known.size) });
    if (fresh) setTimeout(() => rows.querySelectorAll("tr.new").forEach((line) => line.classList.remove("new")), 4000);
    return added;
  }

  function emptyText() {
    const chosen = filters();
    return chosen.person || chosen.event || chosen.url ? wp.t("events.empty_filtered") : wp.t("events.empty");
  }

  function updateNames() {
    const list = $("event-names");
    if (list.children.length === names.size) return;
    list.replaceChildren(...[...names].sort().map((name) => h("option", { value: name })));
  }

  // --- loading and polling ---

  async function reload() {
    generation += 1;
    const mine = generation;
    const chosen = filters();
    keepInUrl(chosen);
    known.clear();
    rows.replaceChildren(h("tr", { class: "placeholder" }, h("td", { colspan: "4", class: "empty", text: wp.t("common.loading") })));
    select(null);
    try {
      const page = await fetchEvents(chosen);
      if (mine !== generation) return;
      cursor = page.next;
      rows.replaceChildren();
      place(page.events, false);
      $("older").hidden = !cursor;
      status();
    } catch (error) {
      if (mine !== generation) return;
      rows.replaceChildren(h("tr", {}, h("td", { colspan: "4", class: "field-error", text: wp.t("common.error", { message: error.message }) })));
    }
  }

  async function poll() {
    if (paused || document.hidden) return;
    const mine = generation;
    try {
      const page = await fetchEvents(filters(), null, since());
      if (mine !== generation || paused) return;
      const added = place(page.events, true);
      if (added) $("stream-news").textContent = wp.t("events.news", { count: wp.number(added) });
      status();
    } catch (error) {
      $("live-text").textContent = wp.t("common.error", { message: error.message });
    }
  }

  /** Where a poll starts reading: a while before the newest event shown, so the store reads
   * only recent data on each poll yet events that arrive a little late still show. */
  function since() {
    let newest = null;
    for (const event of known.values()) if (newest === null || event.timestamp > newest) newest = event.timestamp;
    if (newest === null) return null;
    // An event from a clock running ahead must not hide the ones that follow it.
    return new Date(Math.min(Date.parse(newest), Date.now()) - SLACK_MS).toISOString();
  }

  function status() {
    const live = $("live-status");
    live.dataset.state = paused ? "paused" : "live";
    $("live-text").textContent = paused
      ? wp.t("events.paused")
      : wp.t("events.live", { time: wp.when(new Date().toISOString(), { timeStyle: "medium" }) });
  }

  function start() {
    clearInterval(polling);
    polling = setInterval(poll, POLL_MS);
  }

  $("pause").addEventListener("click", (event) => {
    paused = !paused;
    event.currentTarget.setAttribute("aria-pressed", String(paused));
    event.currentTarget.textContent = paused ? wp.t("events.resume") : wp.t("events.pause");
    status();
    if (!paused) poll();
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });

  $("older").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    if (!cursor) return;
    button.disabled = true;
    const mine = generation;
    try {
      const page = await fetchEvents(filters(), cursor);
      if (mine !== generation) return;
      cursor = page.next;
      place(page.events, false);
      button.hidden = !cursor;
    } catch (error) {
      wp.say(wp.t("common.error", { message: error.message }));
    } finally {
      button.disabled = false;
    }
  });

  let typing = null;
  form.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(reload, 500); });
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(typing); reload(); });
  $("clear-filters").addEventListener("click", () => { form.reset(); for (const input of form.querySelectorAll("input")) input.value = ""; reload(); });

  // --- one event's details ---

  function select(id) {
    selected = id ? known.get(id) : null;
    for (const line of rows.querySelectorAll("tr[aria-selected]")) line.removeAttribute("aria-selected");
    $("detail-empty").hidden = Boolean(selected);
    $("detail-body").hidden = !selected;
    if (!selected) { closeEditor(); return; }
    rows.querySelector(`tr[data-id="${CSS.escape(id)}"]`)?.setAttribute("aria-selected", "true");
    const event = selected;
    const facts = [
      [wp.t("events.fact.event"), event.event],
      [wp.t("events.fact.time"), wp.when(event.timestamp, { dateStyle: "medium", timeStyle: "medium" })],
      [wp.t("events.fact.person"), who(event)],
      [wp.t("events.fact.user_id"), event.user_id],
      [wp.t("events.fact.anonymous_id"), event.anonymous_id],
      [wp.t("events.fact.account"), event.account_id],
      [wp.t("events.fact.url"), event.url],
      [wp.t("events.fact.selector"), event.element_selector],
      [wp.t("events.fact.text"), event.element_text],
      [wp.t("events.fact.href"), event.properties?.$element_href],
      [wp.t("events.fact.content"), event.content_id],
      [wp.t("events.fact.session"), event.session_id],
    ];
    $("detail-facts").replaceChildren(...facts.filter(([, value]) => value !== null && value !== undefined && value !== "")
      .flatMap(([name, value]) => [h("dt", { text: name }), h("dd", { text: String(value) })]));
    $("detail-properties").textContent = JSON.stringify(event.properties, null, 2);
    $("person-profile").href = `${root.dataset.people}${encodeURIComponent(who(event))}`;
    const define = $("define-action");
    if (define) define.hidden = event.event !== AUTOCAPTURE;
    if (canDefine && !$("action-editor").hidden) openEditor(event, false);
  }

  rows.addEventListener("click", (event) => {
    const line = event.target.closest("tr[data-id]");
    if (!line) return;
    select(line.dataset.id);
    // On a narrow screen the details are below the stream: bring them into view.
    if (event.target.closest("button") && matchMedia("(max-width: 1100px)").matches) $("event-detail").focus();
  });
  $("only-person").addEventListener("click", () => {
    if (!selected) return;
    form.elements.person.value = who(selected);
    reload();
  });
  $("only-event").addEventListener("click", () => {
    if (!selected) return;
    form.elements.event.value = selected.event;
    reload();
  });

  // --- defining an action from an autocaptured click ---

  const editor = $("action-editor");
  const actionForm = $("action-form");

  function openEditor(event, focus = true) {
    if (!actionForm) return;
    actionForm.reset();
    const fields = actionForm.elements;
    const text = event.element_text || "";
    fields.name.value = text ? wp.t("events.action.default_name", { text: text }) : wp.t("events.action.default_name_selector", { selector: event.element_selector || "" });
    fields.selector.value = event.element_selector || "";
    fields.use_selector.checked = Boolean(event.element_selector);
    fields.text.value = text;
    fields.use_text.checked = Boolean(text);
    fields.url.value = event.path || event.url || "";
    fields.use_url.checked = false;
    const href = event.properties?.$element_href || "";
    fields.href.value = href;
    fields.use_href.checked = false;
    $("href-condition").hidden = !href;
    $("action-error").textContent = "";
    $("action-name-error").textContent = "";
    fields.name.removeAttribute("aria-invalid");
    editor.hidden = false;
    preview();
    if (focus) { fields.name.focus(); fields.name.select(); }
  }
  function closeEditor() {
    if (editor) editor.hidden = true;
  }

  /** The action's one step, as the actions API takes it. */
  function step() {
    const fields = actionForm.elements;
    const made = { event: AUTOCAPTURE };
    if (fields.use_selector.checked && fields.selector.value.trim()) made.selector = fields.selector.value.trim();
    if (fields.use_text.checked && fields.text.value.trim()) made.text = fields.text.value.trim();
    if (fields.use_url.checked && fields.url.value.trim()) { made.url = fields.url.value.trim(); made.url_match = fields.url_match.value; }
    if (fields.use_href.checked && fields.href.value.trim()) made.where = [{ property: "$element_href", op: "eq", value: fields.href.value.trim() }];
    return made;
  }

  /** Whether an event would count as the step (as the server matches: case counts). */
  function matches(made, event) {
    if (event.event !== made.event) return false;
    if (made.selector !== undefined && event.element_selector !== made.selector) return false;
    if (made.text !== undefined && event.element_text !== made.text) return false;
    if (made.where && event.properties?.$element_href !== made.where[0].value) return false;
    if (made.url !== undefined) {
      const url = event.url || "";
      if (made.url_match === "exact" && url !== made.url) return false;
      if (made.url_match === "contains" && !url.includes(made.url)) return false;
      if (made.url_match === "regex") {
        try { if (!new RegExp(made.url).test(url)) return false; } catch { return false; }
      }
    }
    return true;
  }

  function preview() {
    const made = step();
    const clicks = [...known.values()].filter((event) => event.event === AUTOCAPTURE);
    const hits = clicks.filter((event) => matches(made, event)).length;
    $("action-preview").textContent = wp.t("events.action.preview", { count: wp.number(hits), clicks: wp.number(clicks.length) });
  }

  if (actionForm) {
    $("define-action").addEventListener("click", () => { if (selected) openEditor(selected); });
    $("action-cancel").addEventListener("click", () => { closeEditor(); $("define-action").focus(); });
    actionForm.addEventListener("input", preview);
    actionForm.addEventListener("change", preview);
    actionForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = actionForm.elements;
      const name = fields.name.value.trim();
      $("action-error").textContent = "";
      $("action-name-error").textContent = "";
      if (!name) {
        fields.name.setAttribute("aria-invalid", "true");
        $("action-name-error").textContent = wp.t("events.action.name_needed");
        fields.name.focus();
        return;
      }
      const made = step();
      if (Object.keys(made).length === 1) {
        $("action-error").textContent = wp.t("events.action.condition_needed");
        return;
      }
      const button = actionForm.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const saved = await wp.api("/api/v1/actions", { method: "POST", body: { name, description: fields.description.value.trim(), steps: [made] } });
        closeEditor();
        wp.say(wp.t("events.action.saved", { name: saved.name }));
        await loadActions(saved.id);
      } catch (error) {
        if (error.status === 409 || error.field === "name") {
          fields.name.setAttribute("aria-invalid", "true");
          $("action-name-error").textContent = error.status === 409 ? wp.t("events.action.name_taken") : error.message;
          fields.name.focus();
        } else {
          $("action-error").textContent = wp.t("common.error", { message: error.message });
        }
      } finally {
        button.disabled = false;
      }
    });
  }

  // --- the app's actions ---

  function stepWords(made) {
    const parts = [];
    if (made.event) parts.push(made.event === AUTOCAPTURE ? wp.t("events.kind.click") : made.event);
    if (made.selector) parts.push(wp.t("events.step.selector", { selector: made.selector }));
    if (made.text) parts.push(wp.t("events.step.text", { text: made.text }));
    if (made.url) parts.push(wp.t("events.step.url", { url: made.url }));
    if (made.where?.length) parts.push(wp.t("events.step.where", { count: wp.number(made.where.length) }));
    return parts.join(" · ");
  }

  async function loadActions(highlight = null) {
    const body = $("action-rows");
    const columns = canDefine ? 5 : 4;
    let actions;
    try {
      actions = await wp.api("/api/v1/actions");
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: String(columns), class: "field-error", text: wp.t("common.error", { message: error.message }) })));
      return;
    }
    if (!actions.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: String(columns), class: "empty", text: canDefine ? wp.t("events.actions.none_builder") : wp.t("events.actions.none") })));
      return;
    }
    body.replaceChildren(...actions.map((action) => {
      const line = h("tr", { "data-action": action.id },
        h("th", { scope: "row" }, action.name, action.description ? h("div", { class: "muted small", text: action.description }) : null),
        h("td", {}, ...action.steps.map((made) => h("div", { class: "step", text: stepWords(made) }))),
        h("td", { class: "num", "data-part": "matches", text: "\u2026" }),
        h("td", { text: wp.when(action.created_at, { dateStyle: "medium" }) }));
      if (canDefine) {
        const remove = h("button", { type: "button", class: "quiet danger-text", "aria-label": wp.t("events.actions.delete_named", { name: action.name }) }, wp.t("events.actions.delete"));
        remove.addEventListener("click", () => removeAction(action));
        line.append(h("td", {}, remove));
      }
      if (action.id === highlight) line.classList.add("new");
      return line;
    }));
    countMatches(actions);
  }

  async function removeAction(action) {
    if (!confirm(wp.t("events.actions.confirm_delete", { name: action.name }))) return;
    try {
      await wp.api(`/api/v1/actions/${encodeURIComponent(action.id)}`, { method: "DELETE" });
      wp.say(wp.t("events.actions.deleted", { name: action.name }));
      loadActions();
    } catch (error) {
      wp.say(wp.t("common.error", { message: error.message }));
    }
  }

  /** How often each action happened in the last 30 days: trends, ten actions a query. */
  async function countMatches(actions) {
    const to = new Date();
    const from = new Date(to.getTime() - 30 * 86400000);
    for (let first = 0; first < actions.length; first += 10) {
      const batch = actions.slice(first, first + 10);
      try {
        const result = await wp.api("/api/v1/insights/query", { method: "POST", body: {
          kind: "trends", date_from: from.toISOString(), date_to: new Date(to.getTime() + 60000).toISOString(), interval: "week",
          series: batch.map((action) => ({ action: action.name, math: "total" })) } });
        batch.forEach((action, index) => {
          const total = result.series.filter((series) => series.index === index).reduce((sum, series) => sum + series.total, 0);
          const cell = document.querySelector(`tr[data-action="${CSS.escape(action.id)}"] [data-part="matches"]`);
          if (cell) cell.textContent = wp.t("events.actions.matches_count", { count: wp.number(total) });
        });
      } catch {
        for (const action of batch) {
          const cell = document.querySelector(`tr[data-action="${CSS.escape(action.id)}"] [data-part="matches"]`);
          if (cell) cell.textContent = "\u2013";
        }
      }
    }
  }

  reload().then(start);
  loadActions();
})();
