// The content library and editor. The library filters its rows as the builder types and fills
// in engagement (one `engagement` insight for every item) after the page has shown. The editor
// keeps one draft document: the form and the YAML view both edit it; saving, publishing,
// previews, diffs and reverts go to the admin API.
"use strict";
(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const { h } = wp;
  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  /** The list of problems above an editor, and a note beside each field the server named
   * (the longest data-field its name starts with); `inForm` says whether fields are shown. */
  function problemsPanel(root, inForm) {
    const box = $("#problems");
    const list = $("#problem-list");
    function clear() {
      box.hidden = true;
      list.replaceChildren();
      for (const note of $$(".field-error", root)) note.remove();
      for (const el of $$("[aria-invalid]", root)) el.removeAttribute("aria-invalid");
    }
    function fieldElement(field) {
      if (!field) return null;
      let best = null;
      for (const el of $$("[data-field]", root)) {
        if (el.closest("[hidden]")) continue;
        const name = el.dataset.field;
        if (field === name || field.startsWith(`${name}.`) || field.startsWith(`${name}[`)) {
          if (!best || name.length > best.dataset.field.length) best = el;
        }
      }
      return best;
    }
    function show(error) {
      clear();
      for (const problem of error.problems || []) {
        const field = normalField(problem.field);
        const where = problem.line ? wp.t("content.problem.line", { line: problem.line }) : "";
        const message = String(problem.message).replace(/^Value error, /, "");
        const target = inForm() ? fieldElement(field) : null;
        const item = h("li", {}, where, field ? h("code", {}, field) : null, field ? ": " : "", message);
        if (target) {
          const id = nextId("problem");
          target.append(h("p", { class: "field-error", id }, message));
          const control = target.matches("input, select, textarea") ? target : $("input, select, textarea", target);
          if (control) {
            control.setAttribute("aria-invalid", "true");
            control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
          }
          item.append(" ", h("a", { href: "#", onclick: (event) => { event.preventDefault(); (control || target).focus(); } }, wp.t("content.problem.show")));
        } else if (inForm() && field) {
          item.append(" ", h("span", { class: "muted" }, wp.t("content.problem.in_yaml")));
        }
        list.append(item);
      }
      box.hidden = false;
      wp.say(wp.t("content.editor.not_saved"));
    }
    return { clear, show };
  }

  /** An editor's YAML view: the draft written out as content as code writes it, and read
   * back. `read` answers the document, null when the text has not changed, or false (with the
   * problems shown) when it does not parse. */
  function yamlView(area, { yamlUrl, parseUrl, parseBody, problems }) {
    let from = area.value;
    return {
      async write(document) {
        const out = await wp.api(yamlUrl, { method: "POST", body: { document } });
        area.value = out.yaml;
        from = out.yaml;
      },
      async read() {
        if (area.value === from) return null;
        try {
          const out = await wp.api(parseUrl, { method: "POST", body: { yaml: area.value, ...parseBody() } });
          from = area.value;
          return out.document;
        } catch (error) {
          problems.show(error);
          return false;
        }
      },
    };
  }

  /** The tabs between an editor's views. `change(from, to)` does what switching needs and
   * answers false to stay. Arrow keys move between tabs. */
  function viewTabs(root, change) {
    const tabs = $$("[role=tab]", root);
    const state = { current: "form" };
    async function show(view) {
      if (view === state.current) return;
      if ((await change(state.current, view)) === false) return;
      state.current = view;
      for (const tab of tabs) {
        const on = tab.id === `tab-${view}`;
        tab.setAttribute("aria-selected", String(on));
        tab.tabIndex = on ? 0 : -1;
        $(`#${tab.getAttribute("aria-controls")}`).hidden = !on;
      }
    }
    for (const tab of tabs) {
      tab.addEventListener("click", () => show(tab.id.slice(4)));
      tab.addEventListener("keydown", (event) => {
        const shown = tabs.filter((t) => !t.hidden);
        const at = shown.indexOf(tab);
        const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: shown.length - 1 }[event.key];
        if (to === undefined) return;
        event.preventDefault();
        const next = shown[(to + shown.length) % shown.length];
        next.focus();
        show(next.id.slice(4));
      });
    }
    return { show, get current() { return state.current; } };
  }

  /** Ctrl+S (⌘S on a Mac) saves the editor's draft instead of the browser saving the page. */
  function saveOnShortcut(save) {
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") {
        event.preventDefault();
        save();
      }
    });
  }

  /** A key made from a name: lower-case letters, digits and dashes. */
  const slug = (name) => (name || "").toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);

  // ---------------------------------------------------------------------------------------
  // The library
  // ---------------------------------------------------------------------------------------

  function initLibrary(table) {
    const form = $("#library-filters");
    const rows = $$("tbody tr[data-key]", table);
    const empty = $("#library-empty");
    function apply() {
      const words = form.q.value.toLowerCase().split(/\s+/).filter(Boolean);
      const kind = form.kind.value;
      const status = form.status.value;
      let shown = 0;
      for (const row of rows) {
        const keep = (!kind || row.dataset.kind === kind)
          && (status ? row.dataset.status === status : row.dataset.status !== "archived")
          && words.every((word) => row.dataset.name.includes(word));
        row.hidden = !keep;
        if (keep) shown += 1;
      }
      empty.hidden = shown > 0;
      const url = new URL(location.href);
      for (const [name, value] of [["q", form.q.value.trim()], ["kind", kind], ["status", status]]) {
        if (value) url.searchParams.set(name, value);
        else url.searchParams.delete(name);
      }
      history.replaceState(null, "", url);
    }
    form.addEventListener("input", apply);
    form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
    const menu = $("#new-item");
    if (menu) {
      document.addEventListener("click", (event) => { if (!menu.contains(event.target)) menu.open = false; });
      menu.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && menu.open) { menu.open = false; $("summary", menu).focus(); }
      });
    }
    loadEngagement(rows);
  }

  async function loadEngagement(rows) {
    const since = new Date(Date.now() - 30 * 86400e3).toISOString();
    let items = null;
    try {
      const result = await wp.api("/api/v1/insights/query", { method: "POST", body: { kind: "engagement", date_from: since } });
      items = new Map(result.items.map((item) => [item.key, item]));
    } catch (error) {
      wp.say(wp.t("content.library.engagement_failed", { message: error.message }));
    }
    for (const row of rows) {
      const item = items ? items.get(row.dataset.key) : undefined;
      const people = $("[data-people]", row);
      const rate = $("[data-rate]", row);
      people.textContent = items ? wp.number(item ? item.people : 0) : "\u2013";
      rate.textContent = item ? wp.percent(item.completion_rate) : "\u2013";
      // Tasks are ticked off, not shown; resources are opened from the menu.
      if (row.dataset.kind === "task" || row.dataset.kind === "resource") people.textContent = "\u2013";
      if (row.dataset.kind === "task" && items) rate.textContent = wp.t("content.library.done", { count: wp.number(item ? item.completed : 0) });
    }
  }

  // ---------------------------------------------------------------------------------------
  // The editor: paths into the draft document
  // ---------------------------------------------------------------------------------------

  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const splitPath = (path) => (Array.isArray(path) ? path : path.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part)));

  function getAt(doc, path) {
    return splitPath(path).reduce((node, part) => (node === null || node === undefined ? undefined : node[part]), doc);
  }

  /** Set a value; undefined removes it, and objects left empty go with it. */
  function setAt(doc, path, value) {
    const parts = splitPath(path);
    if (value === undefined) return deleteAt(doc, parts);
    let node = doc;
    for (let i = 0; i < parts.length - 1; i++) {
      if (!isObject(node[parts[i]]) && !Array.isArray(node[parts[i]])) node[parts[i]] = typeof parts[i + 1] === "number" ? [] : {};
      node = node[parts[i]];
    }
    node[parts[parts.length - 1]] = value;
  }

  function deleteAt(doc, parts) {
    const trail = [];
    let node = doc;
    for (let i = 0; i < parts.length - 1; i++) {
      if (!isObject(node) && !Array.isArray(node)) return;
      trail.push([node, parts[i]]);
      node = node[parts[i]];
    }
    if (!isObject(node)) return;
    delete node[parts[parts.length - 1]];
    for (let i = trail.length - 1; i >= 0; i--) {
      const [parent, part] = trail[i];
      if (isObject(parent[part]) && Object.keys(parent[part]).length === 0) delete parent[part];
      else break;
    }
  }

  /** A path as the server names fields: steps[0].title. */
  const fieldName = (parts) => parts.map((part, i) => (typeof part === "number" ? `[${part}]` : (i ? `.${part}` : part))).join("");

  const KINDS = ["walkthrough", "smart_tip", "shoutout", "launcher", "shuttle", "task", "resource", "menu", "survey"];
  /** A field the API or a YAML file named, in the form's own notation. */
  function normalField(field) {
    if (!field) return null;
    let parts = String(field).replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
    if (KINDS.includes(parts[0])) parts = parts.slice(1);
    // Pydantic names the member of a union it tried (str, dict[...]); that is no field.
    parts = parts.filter((part) => !/[[\](]/.test(part) && !["str", "int", "float", "bool"].includes(part));
    return fieldName(parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part))) || null;
  }

  // Texts: one string for every language, or one per locale. The form edits English and
  // Japanese and keeps any other locale as it was.
  function textParts(value) {
    if (typeof value === "string") return { plain: true, en: value, ja: "", rest: {} };
    const { en = "", ja = "", ...rest } = isObject(value) ? value : {};
    return { plain: false, en, ja, rest };
  }
  function textValue(parts) {
    if (parts.plain && !parts.ja && Object.keys(parts.rest).length === 0) return parts.en || undefined;
    const out = { ...parts.rest };
    if (parts.en) out.en = parts.en;
    if (parts.ja) out.ja = parts.ja;
    return Object.keys(out).length ? out : undefined;
  }

  // ---------------------------------------------------------------------------------------
  // The editor
  // ---------------------------------------------------------------------------------------

  function initEditor(root) {
    const appId = root.dataset.app;
    const canEdit = root.dataset.canEdit === "true";
    const state = {
      doc: JSON.parse($("#document").textContent),
      key: root.dataset.key || null,
      kind: root.dataset.kind,
      status: root.dataset.status,
      live: Number(root.dataset.live) || null,
      preview: Number(root.dataset.preview) || null,
      draftChanged: root.dataset.changed === "true",
      versions: JSON.parse($("#versions").textContent),
      dirty: false,
      keyTouched: Boolean(root.dataset.key),
    };
    const segments = JSON.parse($("#segments").textContent);
    const texts = $("#texts");
    const consoleBase = `/console/apps/${encodeURIComponent(appId)}/content`;
    const apiItem = () => `/api/v1/content/${encodeURIComponent(state.key)}`;

    const LABELS = {
      title: wp.t("content.field.title"),
      body: wp.t("content.field.body"),
      label: wp.t("content.field.label"),
      text: wp.t("content.field.text"),
      summary: wp.t("content.field.summary"),
      low_label: wp.t("content.field.low_label"),
      high_label: wp.t("content.field.high_label"),
      checklist_title: wp.t("content.field.checklist_title"),
    };
    const STEP_KINDS = {
      tooltip: wp.t("content.step.kind.tooltip"),
      popup: wp.t("content.step.kind.popup"),
      wait: wp.t("content.step.kind.wait"),
      auto: wp.t("content.step.kind.auto"),
      split: wp.t("content.step.kind.split"),
      action: wp.t("content.step.kind.action"),
    };
    const PLACEMENTS = {
      auto: wp.t("content.placement.auto"),
      top: wp.t("content.placement.top"),
      bottom: wp.t("content.placement.bottom"),
      left: wp.t("content.placement.left"),
      right: wp.t("content.placement.right"),
      center: wp.t("content.placement.center"),
    };
    const ADVANCES = {
      "": wp.t("content.advance.button"),
      click: wp.t("content.advance.click"),
      input: wp.t("content.advance.input"),
      element: wp.t("content.advance.element"),
      url: wp.t("content.advance.url"),
    };
    const STATUSES = {
      draft: wp.t("content.status.draft"),
      published: wp.t("content.status.published"),
      archived: wp.t("content.status.archived"),
    };
    // The texts each kind has at the top level: shown even when empty, so they can be added.
    const KIND_TEXTS = {
      walkthrough: [], smart_tip: ["title", "body"], shoutout: ["title", "body"], launcher: ["label"],
      shuttle: ["label"], task: ["title", "body"], resource: ["title", "summary", "text"],
      menu: ["title", "checklist_title"], survey: [],
    };
    const MULTILINE = new Set(["body", "text", "summary"]);
    const TEXT_NAMES = new Set(Object.keys(LABELS));
    const NESTED = new Set(["buttons", "questions", "options", "sections", "thank_you"]);

    // --- changes and status ------------------------------------------------------------

    function changed() {
      state.dirty = true;
      $("#item-dirty").hidden = false;
    }
    function saved() {
      state.dirty = false;
      $("#item-dirty").hidden = true;
    }
    function showStatus() {
      const pill = $("#item-status");
      pill.className = `pill status-${state.status}`;
      pill.textContent = STATUSES[state.status];
      const parts = [];
      if (state.live) parts.push(wp.t("content.version.live", { number: state.live }));
      if (state.preview && state.preview !== state.live) parts.push(wp.t("content.version.preview", { number: state.preview }));
      if (!state.live && !state.preview && state.key) parts.push(wp.t("content.version.never"));
      $("#item-versions").textContent = parts.join(" · ");
      $("#item-changed").hidden = !(state.live && state.draftChanged);
      const archive = $("#archive");
      if (archive) archive.hidden = !state.key || state.status === "archived";
    }
    addEventListener("beforeunload", (event) => {
      if (state.dirty && canEdit) event.preventDefault();
    });

    // --- the common fields ---------------------------------------------------------------

    function typed(input) {
      const value = input.value.trim();
      if (value === "") return undefined;
      switch (input.dataset.type) {
        case "number": return Number(value);
        case "int": return Math.trunc(Number(value));
        case "time": return value.length === 5 ? `${value}:00` : value;
        case "moment": return withOffset(value);
        default: return input.value;
      }
    }
    /** A datetime-local value as an ISO time with the browser's offset (the schedule needs one). */
    function withOffset(local) {
      const moment = new Date(local);
      if (Number.isNaN(moment.getTime())) return local;
      const minutes = -moment.getTimezoneOffset();
      const sign = minutes >= 0 ? "+" : "-";
      const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
      return `${local.length === 16 ? `${local}:00` : local}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
    }
    function localMoment(iso) {
      const moment = new Date(iso);
      if (Number.isNaN(moment.getTime())) return "";
      const local = new Date(moment.getTime() - moment.getTimezoneOffset() * 60000);
      return local.toISOString().slice(0, 16);
    }
    const shownValue = (input, value) => {
      if (value === undefined || value === null) return "";
      if (input.dataset.type === "time") return String(value).slice(0, 5);
      if (input.dataset.type === "moment") return localMoment(value);
      return String(value);
    };

    const pageOp = $("#f-page-op");
    const pageValue = $("#f-page-value");
    const manual = $("#f-manual");
    const show = $("#f-show");
    const days = $("#f-days");
    const times = $("#f-times");
    const goal = $("#f-goal");
    const goalDays = $("#f-goal-days");
    const MATCH_OPS = ["eq", "starts_with", "contains", "wildcard"];
    let triggerBeforeManual = null;

    function fillCommon() {
      const doc = state.doc;
      for (const input of $$("[data-path]", $("#panel-form"))) input.value = shownValue(input, getAt(doc, input.dataset.path));
      $("#item-title").textContent = doc.name || $("#item-title").textContent;
      showRules();
      // The page a trigger waits for: one operator on the path, else it is YAML's to edit.
      const path = doc.trigger?.page?.path;
      const ops = isObject(path) ? Object.keys(path) : [];
      const simple = ops.length === 0 || (ops.length === 1 && MATCH_OPS.includes(ops[0]));
      pageOp.value = simple && ops.length ? ops[0] : "";
      pageValue.value = simple && ops.length ? String(path[ops[0]]) : "";
      pageOp.disabled = pageValue.disabled = !simple || Boolean(doc.trigger?.manual);
      pageValue.hidden = !pageOp.value;
      manual.checked = Boolean(doc.trigger?.manual);
      $("#f-delay").disabled = manual.checked;
      const more = Object.keys(doc.trigger || {}).filter((name) => !["page", "delay_seconds", "manual"].includes(name));
      if (doc.trigger?.page?.url) more.unshift("page.url");
      if (!simple) more.unshift("page.path");
      $("#trigger-more").hidden = more.length === 0;
      $("#trigger-more").textContent = wp.t("content.field.trigger_more", { names: more.join(", ") });
      show.value = doc.frequency?.show || "until_completed";
      days.value = doc.frequency?.days ?? "";
      times.value = doc.frequency?.times ?? "";
      showFrequency();
      goal.value = doc.goal?.event || "";
      goal.placeholder = doc.goal?.action ? `${wp.t("content.field.goal_action")}: ${doc.goal.action}` : "Project Created";
      goalDays.value = doc.goal?.within_days ?? "";
      for (const box of $$("input[name=schedule-day]")) box.checked = (doc.schedule?.days || []).includes(box.value);
    }
    function showFrequency() {
      $("#f-days-label").hidden = show.value !== "every_n_days";
      $("#f-times-label").hidden = show.value !== "at_most";
    }

    function bindCommon() {
      for (const input of $$("[data-path]", $("#panel-form"))) {
        input.addEventListener("input", () => {
          setAt(state.doc, input.dataset.path, typed(input));
          if (input.dataset.path === "name") nameChanged();
          if (input.dataset.path === "key") state.keyTouched = true;
          if (input.dataset.path === "audience.segment") countAudience();
          changed();
        });
      }
      $("#rules-add").addEventListener("click", () => {
        openRules({ all: [] });
        $("#rules-builder select, #rules-builder button")?.focus();
        changed();
      });
      $("#rules-remove").addEventListener("click", () => {
        setAt(state.doc, "audience.rules", undefined);
        closeRules();
        $("#rules-add").focus();
        changed();
        countAudience();
      });
      const setPage = () => {
        const value = pageValue.value.trim();
        pageValue.hidden = !pageOp.value;
        setAt(state.doc, "trigger.page.path", pageOp.value && value ? { [pageOp.value]: value } : undefined);
        changed();
      };
      pageOp.addEventListener("change", () => { setPage(); if (pageOp.value) pageValue.focus(); });
      pageValue.addEventListener("input", setPage);
      // A manual trigger takes no other condition: keep the others aside while it is on.
      manual.addEventListener("change", () => {
        if (manual.checked) {
          triggerBeforeManual = state.doc.trigger ? structuredClone(state.doc.trigger) : null;
          state.doc.trigger = { manual: true };
        } else {
          if (triggerBeforeManual && !triggerBeforeManual.manual) state.doc.trigger = triggerBeforeManual;
          else delete state.doc.trigger;
        }
        fillCommon();
        changed();
      });
      const setFrequency = () => {
        const frequency = { show: show.value };
        if (show.value === "every_n_days" && days.value) frequency.days = Number(days.value);
        if (show.value === "at_most" && times.value) frequency.times = Number(times.value);
        const isDefault = show.value === "until_completed" && Object.keys(frequency).length === 1;
        setAt(state.doc, "frequency", isDefault ? undefined : frequency);
        showFrequency();
        changed();
      };
      for (const el of [show, days, times]) el.addEventListener("input", setFrequency);
      const setGoal = () => {
        const kept = { ...(state.doc.goal || {}) };
        delete kept.event;
        delete kept.within_days;
        const next = { ...kept };
        if (goal.value.trim()) next.event = goal.value.trim();
        if (goalDays.value) next.within_days = Number(goalDays.value);
        setAt(state.doc, "goal", next.event || next.action ? next : undefined);
        changed();
      };
      for (const el of [goal, goalDays]) el.addEventListener("input", setGoal);
      for (const box of $$("input[name=schedule-day]")) {
        box.addEventListener("change", () => {
          const chosen = $$("input[name=schedule-day]").filter((b) => b.checked).map((b) => b.value);
          setAt(state.doc, "schedule.days", chosen.length ? chosen : undefined);
          changed();
        });
      }
    }

    // --- the audience: a segment and/or rules of its own, and how many people that is ------

    const canCount = root.dataset.canCount === "true";
    let rules = null; // the builder of the item's own rules, while it has some
    function showRules() {
      const given = state.doc.audience?.rules;
      if (given && !rules) openRules(given);
      else if (given) rules.set(given);
      else if (rules) closeRules();
      countAudience();
    }
    function openRules(rule) {
      $("#rules-area").hidden = false;
      $("#rules-add").hidden = true;
      rules = window.wpRules.builder($("#rules-builder"), rule, {
        segments,
        disabled: !canEdit,
        onChange: () => {
          const made = rules.rule();
          if (made) setAt(state.doc, "audience.rules", made);
          changed();
          countAudience();
        },
      });
    }
    function closeRules() {
      rules = null;
      $("#rules-builder").replaceChildren();
      $("#rules-area").hidden = true;
      $("#rules-add").hidden = false;
    }
    /** The audience as one rule (null: everyone, or rules not finished). */
    function audienceRule() {
      const segment = state.doc.audience?.segment;
      const own = rules ? rules.rule() : null;
      if (rules && !own) return null;
      const parts = [...(segment ? [{ segment }] : []), ...(own ? [own] : [])];
      return parts.length > 1 ? { all: parts } : parts[0] || null;
    }
    let counting = 0;
    let countTimer = 0;
    function countAudience() {
      if (!canCount) return;
      clearTimeout(countTimer);
      countTimer = setTimeout(async () => {
        const rule = audienceRule();
        const out = $("#audience-count");
        if (!rule) {
          out.textContent = rules ? wp.t("segments.live.unfinished") : wp.t("content.audience.everyone_now");
          return;
        }
        const mine = ++counting;
        try {
          const found = await wp.api("/api/v1/segments/preview", { method: "POST", body: { rules: rule, sample: 0 } });
          if (mine === counting) {
            out.textContent = wp.t("content.audience.count", { count: wp.number(found.count), total: wp.number(found.total) });
          }
        } catch (error) {
          if (mine === counting) out.textContent = wp.t("segments.live.failed", { message: error.message });
        }
      }, 350);
    }

    // The key follows the name until the builder types one (a new item only).
    function nameChanged() {
      $("#item-title").textContent = state.doc.name || wp.t("content.editor.untitled");
      if (state.key || state.keyTouched) return;
      state.doc.key = slug(state.doc.name);
      $("#f-key").value = state.doc.key;
    }

    // --- texts side by side ----------------------------------------------------------------

    function textPair(path, label, multiline) {
      const parts = textParts(getAt(state.doc, path));
      const labelId = nextId("text");
      const control = (locale) => {
        const langId = nextId("lang");
        const attrs = {
          lang: locale, id: nextId("input"), "aria-labelledby": `${labelId} ${langId}`,
          "data-locale": locale, dir: "auto",
        };
        if (locale === "ja" && parts.plain && parts.en) attrs.placeholder = wp.t("content.editor.same_as_english");
        const input = multiline ? h("textarea", { ...attrs, rows: 2 }) : h("input", { ...attrs, type: "text" });
        input.value = parts[locale];
        input.addEventListener("input", () => {
          parts[locale] = input.value;
          setAt(state.doc, path, textValue(parts));
          changed();
        });
        return h("div", { class: `text-col lang-${locale}` },
          h("span", { class: "lang-name", id: langId, lang: locale }, locale === "en" ? "English" : "日本語"), input);
      };
      const others = Object.keys(parts.rest);
      return h("div", { class: "text-pair", "data-field": fieldName(path) },
        h("span", { class: "field-label", id: labelId }, label),
        h("div", { class: "text-cols" }, control("en"), control("ja")),
        others.length ? h("p", { class: "hint" }, wp.t("content.editor.other_locales", { locales: others.join(", ") })) : null);
    }

    /** Every text of a document other than a walkthrough's steps, labelled by where it is. */
    function textsOf(doc) {
      const found = [];
      for (const name of KIND_TEXTS[state.kind] || []) found.push({ path: [name], label: LABELS[name] });
      const walk = (node, path, where) => {
        for (const [name, value] of Object.entries(node)) {
          const here = [...path, name];
          if (path.length && TEXT_NAMES.has(name) && (typeof value === "string" || isObject(value))) {
            found.push({ path: here, label: `${where} · ${LABELS[name]}` });
          } else if (NESTED.has(name) && Array.isArray(value)) {
            value.forEach((item, i) => isObject(item) && walk(item, [...here, i], placeName(where, name, i, item)));
          } else if (NESTED.has(name) && isObject(value)) {
            walk(value, here, placeName(where, name, null, value));
          }
        }
      };
      walk(doc, [], "");
      return found;
    }
    function placeName(where, name, index, item) {
      const n = index === null ? null : index + 1;
      const key = item.key ? ` (${item.key})` : "";
      const named = {
        buttons: wp.t("content.place.button", { n: n }),
        questions: wp.t("content.place.question", { n: n }) + key,
        options: wp.t("content.place.option", { n: n }) + key,
        sections: wp.t("content.place.section", { n: n }),
        thank_you: wp.t("content.place.thank_you"),
      }[name];
      return where ? `${where} · ${named}` : named;
    }

    function renderTexts() {
      if (state.kind === "walkthrough") return renderSteps();
      const list = textsOf(state.doc);
      texts.replaceChildren(...list.map(({ path, label }) => textPair(path, label, MULTILINE.has(path[path.length - 1]))));
      if (!list.length) texts.append(h("p", { class: "muted" }, wp.t("content.editor.no_texts")));
    }

    // --- what each kind has of its own (texts aside) ---------------------------------------

    const items = JSON.parse($("#items").textContent);
    const KIND_FIELDS = {
      walkthrough: [{ path: "restart_on_new_version", type: "check", label: wp.t("content.own.restart"), byDefault: false }],
      smart_tip: [
        { path: "target.selector", label: wp.t("content.step.selector"), mono: true },
        { path: "mode", label: wp.t("content.own.mode"), byDefault: "hover", options: { hover: wp.t("content.own.mode_hover"), always: wp.t("content.own.mode_always") } },
        { path: "placement", label: wp.t("content.step.placement"), byDefault: "auto", options: PLACEMENTS },
      ],
      shoutout: [
        { path: "style", label: wp.t("content.own.style"), byDefault: "modal", options: { modal: wp.t("content.own.style_modal"), banner: wp.t("content.own.style_banner"), slideout: wp.t("content.own.style_slideout") } },
        { path: "image", label: wp.t("content.own.image"), mono: true },
      ],
      launcher: [
        { path: "target.selector", label: wp.t("content.step.selector"), mono: true },
        { path: "style", label: wp.t("content.own.style"), byDefault: "beacon", options: { beacon: wp.t("content.own.style_beacon"), button: wp.t("content.own.style_button"), icon: wp.t("content.own.style_icon") } },
        { path: "placement", label: wp.t("content.step.placement"), byDefault: "right", options: PLACEMENTS },
        { path: "opens", type: "opens", label: wp.t("content.own.opens") },
      ],
      shuttle: [
        { path: "url", label: wp.t("content.own.url"), mono: true },
        { path: "link", label: wp.t("content.own.link"), byDefault: "url", options: { url: wp.t("content.own.link_url"), calendar: wp.t("content.own.link_calendar"), article: wp.t("content.own.link_article") } },
        { path: "new_tab", type: "check", label: wp.t("content.own.new_tab"), byDefault: true },
      ],
      task: [
        { path: "complete_when.event", label: wp.t("content.own.complete_event") },
        { path: "url", label: wp.t("content.own.url"), mono: true },
      ],
      resource: [
        { path: "url", label: wp.t("content.own.url"), mono: true },
        { path: "media", label: wp.t("content.own.media"), byDefault: "article", options: { article: wp.t("content.own.media_article"), video: wp.t("content.own.media_video") } },
      ],
      menu: [{ path: "search", type: "check", label: wp.t("content.own.search"), byDefault: true }],
      survey: [
        { path: "style", label: wp.t("content.own.style"), byDefault: "popover", options: { popover: wp.t("content.own.style_popover"), modal: wp.t("content.own.style_modal") } },
      ],
    };

    /** A launcher opens an item (start) or a shuttle (shuttle): one choice among the items. */
    function opensField(spec) {
      const choices = Object.fromEntries([["", "\u2013"], ...items.map((item) => [item.key, item.name])]);
      const current = state.doc.start || state.doc.shuttle || "";
      if (current && !(current in choices)) choices[current] = current;
      const el = select(choices, current, { id: nextId("own") });
      el.addEventListener("change", () => {
        const chosen = items.find((item) => item.key === el.value);
        delete state.doc.start;
        delete state.doc.shuttle;
        if (el.value) state.doc[chosen && chosen.kind === "shuttle" ? "shuttle" : "start"] = el.value;
        changed();
      });
      return h("div", { class: "field", "data-field": "start" }, h("label", { for: el.id }, spec.label), el);
    }

    function renderKindFields() {
      const specs = KIND_FIELDS[state.kind] || [];
      const fields = specs.map((spec) => {
        if (spec.type === "opens") return opensField(spec);
        const id = nextId("own");
        const value = getAt(state.doc, spec.path);
        let control;
        if (spec.type === "check") {
          control = h("input", { type: "checkbox", id });
          control.checked = value ?? spec.byDefault;
          control.addEventListener("change", () => {
            setAt(state.doc, spec.path, control.checked === spec.byDefault ? undefined : control.checked);
            changed();
          });
          return h("label", { class: "check", "data-field": spec.path, for: id }, control, spec.label);
        }
        if (spec.options) {
          control = select(spec.options, value ?? spec.byDefault, { id });
          control.addEventListener("change", () => {
            setAt(state.doc, spec.path, control.value === spec.byDefault ? undefined : control.value);
            changed();
          });
        } else {
          control = h("input", { type: "text", id, class: spec.mono ? "mono" : null });
          control.value = value ?? "";
          control.addEventListener("input", () => {
            setAt(state.doc, spec.path, control.value.trim() ? control.value : undefined);
            changed();
          });
        }
        return h("div", { class: "field", "data-field": spec.path }, h("label", { for: id }, spec.label), control);
      });
      $("#kind-fields").replaceChildren(...fields);
      $("#kind-card").hidden = fields.length === 0;
    }

    // --- walkthrough steps -------------------------------------------------------------------

    function select(options, value, attrs) {
      const el = h("select", attrs, Object.entries(options).map(([v, label]) => h("option", { value: v }, label)));
      el.value = value;
      return el;
    }
    function labelled(text, control, field) {
      return h("label", { "data-field": field }, text, control);
    }

    function renderSteps(focusStep = null, focusSelector = null) {
      const steps = state.doc.steps || [];
      const list = h("ol", { class: "steps" });
      steps.forEach((step, i) => list.append(stepCard(step, i, steps.length)));
      texts.replaceChildren(list);
      if (focusStep !== null) {
        const card = list.children[focusStep];
        (card && ($(focusSelector || "select, input", card)))?.focus();
      }
    }

    function stepCard(step, i, count) {
      const path = ["steps", i];
      const field = fieldName(path);
      const kind = select(STEP_KINDS, step.kind, { "aria-label": wp.t("content.step.kind_label", { n: i + 1 }), class: "step-kind" });
      kind.addEventListener("change", () => {
        step.kind = kind.value;
        changed();
        renderSteps(i, ".step-kind");
      });
      const move = (to) => {
        const steps = state.doc.steps;
        [steps[i], steps[to]] = [steps[to], steps[i]];
        changed();
        renderSteps(to, to < i ? ".move-up" : ".move-down");
        wp.say(wp.t("content.step.moved", { n: to + 1 }));
      };
      const remove = () => {
        state.doc.steps.splice(i, 1);
        changed();
        renderSteps(Math.min(i, state.doc.steps.length - 1));
        wp.say(wp.t("content.step.removed", { n: i + 1 }));
      };
      const input = (sub, attrs = {}) => {
        const el = h("input", { type: "text", ...attrs });
        el.value = getAt(step, sub) ?? "";
        el.addEventListener("input", () => { setAt(step, sub, el.value.trim() ? el.value : undefined); changed(); });
        return el;
      };
      const placement = select(PLACEMENTS, step.placement || "auto", {});
      placement.addEventListener("change", () => { setAt(step, "placement", placement.value === "auto" ? undefined : placement.value); changed(); });
      const advanceOptions = { ...ADVANCES };
      if (step.advance === "next") advanceOptions.next = wp.t("content.advance.button");
      const advance = select(advanceOptions, step.advance || "", {});
      advance.addEventListener("change", () => { setAt(step, "advance", advance.value || undefined); changed(); });
      const pointed = ["tooltip", "auto"].includes(step.kind) || step.target;
      const details = ["wait", "auto", "split", "action"].includes(step.kind);
      const stepKey = input("key", { class: "short", pattern: "[A-Za-z0-9._-]+" });
      return h("li", { class: "step", "data-field": field },
        h("div", { class: "step-head" },
          h("h3", {}, wp.t("content.step.title", { n: i + 1 })),
          kind,
          h("div", { class: "step-tools" },
            h("button", { type: "button", class: "quiet move-up", disabled: i === 0, onclick: () => move(i - 1), "aria-label": wp.t("content.step.up", { n: i + 1 }) }, "↑"),
            h("button", { type: "button", class: "quiet move-down", disabled: i === count - 1, onclick: () => move(i + 1), "aria-label": wp.t("content.step.down", { n: i + 1 }) }, "↓"),
            h("button", { type: "button", class: "quiet danger-text", disabled: count === 1, onclick: remove, "aria-label": wp.t("content.step.remove", { n: i + 1 }) }, wp.t("content.step.remove_short")))),
        h("div", { class: "step-grid" },
          pointed || step.kind === "popup"
            ? labelled(wp.t("content.step.selector"), input("target.selector", { placeholder: "#new-project", class: "mono" }), `${field}.target`)
            : null,
          pointed || step.kind === "popup"
            ? labelled(wp.t("content.step.element_text"), input("target.text", { placeholder: wp.t("content.step.element_text_hint") }), `${field}.target.text`)
            : null,
          ["tooltip", "popup"].includes(step.kind) ? labelled(wp.t("content.step.placement"), placement, `${field}.placement`) : null,
          ["tooltip", "popup"].includes(step.kind) ? labelled(wp.t("content.step.advance"), advance, `${field}.advance`) : null,
          labelled(wp.t("content.step.key"), stepKey, `${field}.key`)),
        ["tooltip", "popup"].includes(step.kind) || step.title ? textPair([...path, "title"], wp.t("content.field.title"), false) : null,
        ["tooltip", "popup"].includes(step.kind) || step.body ? textPair([...path, "body"], wp.t("content.field.body"), true) : null,
        (step.buttons || []).map((button, b) => textPair([...path, "buttons", b, "label"], wp.t("content.place.button", { n: b + 1 }) + ` · ${LABELS.label}`, false)),
        details ? h("p", { class: "hint", "data-field": `${field}.${step.kind}` }, wp.t("content.step.details_in_yaml")) : null);
    }

    function addStep() {
      const kind = $("#add-step-kind").value;
      const step = { kind };
      if (["tooltip", "popup"].includes(kind)) step.title = {};
      state.doc.steps = [...(state.doc.steps || []), step];
      changed();
      renderSteps(state.doc.steps.length - 1);
      wp.say(wp.t("content.step.added", { n: state.doc.steps.length }));
    }

    // --- the views ------------------------------------------------------------------------

    const problems = problemsPanel(root, () => tabs.current === "form");
    const yamlArea = $("#yaml");
    const yaml = yamlView(yamlArea, {
      yamlUrl: `${consoleBase}/yaml`,
      parseUrl: `${consoleBase}/parse`,
      parseBody: () => ({ kind: state.kind, key: state.key }),
      problems,
    });
    /** Take the YAML view's text into the draft; false when it does not parse. */
    async function fromYaml() {
      const document = await yaml.read();
      if (document === false) return false;
      if (document) state.doc = document;
      return true;
    }
    yamlArea.addEventListener("input", changed);
    const tabs = viewTabs(root, async (from, to) => {
      if (from === "yaml") {
        if (!(await fromYaml())) return false;
        fillCommon();
        renderKindFields();
        renderTexts();
      }
      if (to === "yaml") {
        try {
          await yaml.write(state.doc);
        } catch (error) {
          problems.show(error);
          return false;
        }
      }
      if (to === "versions") renderVersions();
      problems.clear();
      return true;
    });

    // --- locale columns ------------------------------------------------------------------

    const views = $$("input[name=locale-view]");
    const chooseLocales = (value) => {
      texts.className = `show-${value}`;
      for (const radio of views) radio.checked = radio.value === value;
      try { localStorage.setItem("waypost.content.locales", value); } catch { /* private mode */ }
    };
    for (const radio of views) radio.addEventListener("change", () => chooseLocales(radio.value));
    try {
      const kept = localStorage.getItem("waypost.content.locales");
      if (["both", "en", "ja"].includes(kept)) chooseLocales(kept);
    } catch { /* private mode */ }

    // --- save, publish, preview ----------------------------------------------------------

    /** Save the draft (created when new); true when it was saved. */
    async function save() {
      if (tabs.current === "yaml" && !(await fromYaml())) return false;
      problems.clear();
      if (tabs.current === "form" && rules && !rules.rule()) {
        problems.show({ problems: [{ field: "audience.rules", message: wp.t("segments.editor.unfinished") }] });
        return false;
      }
      try {
        const item = state.key
          ? await wp.api(apiItem(), { method: "PUT", body: state.doc })
          : await wp.api("/api/v1/content", { method: "POST", body: state.doc });
        if (!state.key) becomeSaved(item.key);
        took(item);
        saved();
        wp.say(wp.t("content.editor.saved"));
        return true;
      } catch (error) {
        problems.show(error);
        return false;
      }
    }
    function becomeSaved(key) {
      state.key = key;
      root.dataset.key = key;
      $("#f-key").readOnly = true;
      $("#key-help")?.remove();
      $("#f-key").removeAttribute("aria-describedby");
      $("#tab-versions").hidden = false;
      history.replaceState(null, "", `${consoleBase}/item/${encodeURIComponent(key)}`);
      showStatus();
    }

    async function publish(note) {
      if ((state.dirty || !state.key) && !(await save())) return;
      try {
        const version = await wp.api(`${apiItem()}/publish`, { method: "POST", body: { note } });
        state.live = version.number;
        state.draftChanged = false;
        state.status = "published";
        showStatus();
        await refreshVersions();
        wp.say(wp.t("content.publish.done", { number: version.number }));
      } catch (error) {
        problems.show(error);
      }
    }

    async function makePreview() {
      if ((state.dirty || !state.key) && !(await save())) return;
      problems.clear();
      const site = $("#preview-site").value.trim();
      try {
        const version = await wp.api(`${apiItem()}/publish`, { method: "POST", body: { environment: "staging", note: wp.t("content.preview.note") } });
        state.preview = version.number;
        const link = await wp.api(`${consoleBase}/item/${encodeURIComponent(state.key)}/preview`, { method: "POST", body: { site } });
        $("#preview-link").href = link.url;
        $("#preview-expiry").textContent = wp.t("content.preview.expires", { time: wp.when(link.expires_at, { timeStyle: "short" }) });
        $("#preview-result").hidden = false;
        try { localStorage.setItem(`waypost.preview.${appId}`, site); } catch { /* private mode */ }
        showStatus();
        await refreshVersions();
        $("#preview-link").focus();
      } catch (error) {
        problems.show(error);
      }
    }

    /** Take what the API says of the item after a change: its draft, status and releases
     * (a release to staging is a preview: the item is published once production has it). */
    function took(item) {
      state.doc = item.draft;
      state.draftChanged = item.draft_changed;
      state.live = item.released.production || null;
      state.preview = item.released.staging || null;
      state.status = item.status === "archived" ? "archived" : state.live ? "published" : "draft";
      showStatus();
    }

    /** Withdraw the item everywhere; its versions stay for the reports, and saving a draft
     * brings it back. */
    async function archive() {
      if (!confirm(wp.t("content.editor.archive_confirm"))) return;
      try {
        await wp.api(apiItem(), { method: "DELETE" });
        state.status = "archived";
        state.live = state.preview = null;
        showStatus();
        wp.say(wp.t("content.editor.archived"));
      } catch (error) {
        problems.show(error);
      }
    }

    // --- versions, diff, revert ------------------------------------------------------------

    async function refreshVersions() {
      if (!state.key) return;
      state.versions = await wp.api(`${apiItem()}/versions`);
      if (tabs.current === "versions") renderVersions();
    }

    function renderVersions() {
      const body = $("#versions-table tbody");
      body.replaceChildren(...state.versions.map((version) => h("tr", {},
        h("th", { scope: "row" }, wp.t("content.version.number", { number: version.number }),
          version.number === state.live ? h("span", { class: "pill status-published" }, wp.t("content.versions.live")) : null,
          version.number === state.preview && version.number !== state.live ? h("span", { class: "pill" }, wp.t("content.versions.preview")) : null),
        h("td", {}, wp.when(version.created_at)),
        h("td", {}, version.created_by || "\u2013"),
        h("td", {}, version.note || ""),
        h("td", { class: "row-actions" },
          h("button", { type: "button", class: "quiet", onclick: () => compare(version.number, "draft") }, wp.t("content.versions.compare", { number: version.number })),
          canEdit ? h("button", { type: "button", class: "quiet", onclick: () => revert(version.number) }, wp.t("content.versions.revert", { number: version.number })) : null))));
      $("#versions-empty").hidden = state.versions.length > 0;
      const choices = (includeDraft) => [
        ...(includeDraft ? [h("option", { value: "draft" }, wp.t("content.diff.draft"))] : []),
        ...state.versions.map((v) => h("option", { value: String(v.number) }, wp.t("content.version.number", { number: v.number }))),
      ];
      const from = $("#diff-from");
      const to = $("#diff-to");
      const kept = [from.value, to.value];
      from.replaceChildren(...choices(false));
      to.replaceChildren(...choices(true));
      if (kept[0]) from.value = kept[0];
      if (kept[1]) to.value = kept[1];
      $("#diff-show").disabled = state.versions.length === 0;
    }

    async function compare(older, newer) {
      $("#diff-from").value = String(older);
      $("#diff-to").value = String(newer);
      const params = new URLSearchParams({ from: String(older), to: String(newer) });
      try {
        const out = await wp.api(`${apiItem()}/diff?${params}`);
        const pre = $("#diff");
        pre.replaceChildren(...out.diff.split("\n").filter((line, i, all) => line || i < all.length - 1).map((line) => {
          const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "added" : line.startsWith("-") ? "removed" : "same";
          return h("span", { class: `line ${kind}` }, line || " ");
        }));
        pre.hidden = !out.diff;
        $("#diff-same").hidden = Boolean(out.diff);
        (out.diff ? pre : $("#diff-same")).scrollIntoView({ block: "nearest" });
      } catch (error) {
        problems.show(error);
      }
    }

    async function revert(number) {
      if (state.dirty && !confirm(wp.t("content.versions.revert_unsaved"))) return;
      try {
        const item = await wp.api(`${apiItem()}/revert`, { method: "POST", body: { version: number } });
        took(item);
        fillCommon();
        renderKindFields();
        renderTexts();
        saved();
        wp.say(wp.t("content.versions.reverted", { number: number }));
        await compare(number, "draft");
      } catch (error) {
        problems.show(error);
      }
    }

    // --- wiring --------------------------------------------------------------------------

    fillCommon();
    bindCommon();
    renderKindFields();
    renderTexts();
    showStatus();
    if (state.versions.length) renderVersions();
    $("#diff-show").addEventListener("click", () => compare($("#diff-from").value, $("#diff-to").value));
    $("#add-step-button")?.addEventListener("click", addStep);
    if (canEdit) {
      $("#save").addEventListener("click", save);
      $("#archive").addEventListener("click", archive);
      const dialog = $("#publish-dialog");
      $("#publish").addEventListener("click", () => {
        $("#publish-note").value = "";
        dialog.showModal();
      });
      dialog.addEventListener("close", () => {
        if (dialog.returnValue === "publish") publish($("#publish-note").value.trim());
      });
      const toggle = $("#preview-toggle");
      toggle.addEventListener("click", () => {
        const panel = $("#preview-panel");
        panel.hidden = !panel.hidden;
        toggle.setAttribute("aria-expanded", String(!panel.hidden));
        const site = $("#preview-site");
        try { if (!site.value) site.value = localStorage.getItem(`waypost.preview.${appId}`) || ""; } catch { /* private mode */ }
        if (!panel.hidden) site.focus();
      });
      $("#preview-make").addEventListener("click", makePreview);
      $("#preview-copy").addEventListener("click", async () => {
        await navigator.clipboard.writeText($("#preview-link").href).catch(() => {});
        wp.say(wp.t("common.copied"));
      });
      saveOnShortcut(save);
    }
    if (!state.key) $("#f-name").focus();
  }

  window.wpEditing = { $, $$, getAt, setAt, problemsPanel, yamlView, viewTabs, saveOnShortcut, slug };

  const library = document.getElementById("library");
  if (library) initLibrary(library);
  const editor = document.getElementById("editor");
  if (editor) initEditor(editor);
})();
