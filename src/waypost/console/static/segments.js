// Segments: the list's live counts, and a rule builder (traits, account traits, events done N
// times within days, other segments; all/any/none of them, nested) whose count and sample of
// matching people follow the rules as the builder edits them. `wpRules` is the builder, for any
// page that edits rules; the editor's shared parts (problems, YAML view, tabs) are content.js's.
"use strict";
(() => {
  const { h } = wp;
  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const soleKey = (value) => (isObject(value) && Object.keys(value).length === 1 ? Object.keys(value)[0] : null);

  // --- the model: groups of conditions, to and from the rule documents hold -----------------

  const VALUE_OPS = ["eq", "neq", "in", "not_in", "contains", "starts_with", "gt", "gte", "lt", "lte"];
  const DAY_OPS = ["gte", "lte", "eq"];

  /** A typed value from what the builder typed: true/false, a number written plainly, or text. */
  function scalar(text) {
    if (text === "true") return true;
    if (text === "false") return false;
    if (text !== "" && String(Number(text)) === text) return Number(text);
    return text;
  }
  const shown = (value) => (Array.isArray(value) ? value.map(String).join(", ") : String(value));

  function conditionOf(match) {
    const op = soleKey(match);
    if (op === "exists") return { op: match.exists ? "exists" : "missing", value: "" };
    if (!VALUE_OPS.includes(op)) return null;
    return { op, value: shown(match[op]) };
  }

  function matchOf(op, value) {
    if (op === "exists") return { exists: true };
    if (op === "missing") return { exists: false };
    const text = String(value).trim();
    if (!text) return null;
    if (op === "in" || op === "not_in") {
      const values = text.split(",").map((part) => part.trim()).filter(Boolean).map(scalar);
      return values.length ? { [op]: values } : null;
    }
    if (["gt", "gte", "lt", "lte"].includes(op)) {
      const number = Number(text);
      return Number.isFinite(number) ? { [op]: number } : null;
    }
    return { [op]: ["contains", "starts_with"].includes(op) ? text : scalar(text) };
  }

  function groupOf(rule) {
    if (!isObject(rule)) return null;
    if (Array.isArray(rule.all)) return { kind: "group", op: "all", items: rule.all.map(itemOf) };
    if (Array.isArray(rule.any)) return { kind: "group", op: "any", items: rule.any.map(itemOf) };
    if (soleKey(rule) === "not" && Array.isArray(rule.not.any)) return { kind: "group", op: "none", items: rule.not.any.map(itemOf) };
    if (soleKey(rule) === "not" && Array.isArray(rule.not.all)) return { kind: "group", op: "not_all", items: rule.not.all.map(itemOf) };
    return null;
  }

  /** One rule as a group or a condition the builder shows; anything else is kept whole. */
  function itemOf(rule) {
    const group = groupOf(rule);
    if (group) return group;
    const name = soleKey(rule);
    const value = name ? rule[name] : null;
    if ((name === "trait" || name === "account") && soleKey(value)) {
      const property = soleKey(value);
      const condition = conditionOf(value[property]);
      if (condition) return { kind: name, name: property, ...condition };
    }
    if (name === "did") return didOf(value, false);
    if (name === "segment") return { kind: "segment", negate: false, key: value };
    if (name === "not" && soleKey(value) === "did") return didOf(value.did, true);
    if (name === "not" && soleKey(value) === "segment") return { kind: "segment", negate: true, key: value.segment };
    if (name === "first_seen" && soleKey(value) === "days_ago") {
      const condition = conditionOf(value.days_ago);
      if (condition && DAY_OPS.includes(condition.op)) return { kind: "first_seen", ...condition };
    }
    return { kind: "opaque", rule };
  }

  function didOf(did, negate) {
    const keys = Object.keys(did).filter((key) => !["event", "action", "at_least", "within_days"].includes(key));
    if (keys.length) return { kind: "opaque", rule: negate ? { not: { did } } : { did } };
    return {
      kind: "did", negate, what: did.action ? "action" : "event", event: did.event || did.action || "",
      count: String(did.at_least ?? 1), days: did.within_days === undefined ? "" : String(did.within_days),
    };
  }

  /** The group a rule document holds (a single rule: a group of one). */
  function fromRule(rule) {
    return groupOf(rule) || (rule ? { kind: "group", op: "all", items: [itemOf(rule)] } : { kind: "group", op: "all", items: [] });
  }

  // A select keeps the choice as text.
  const negated = (item) => item.negate === true || item.negate === "true";

  /** The rule document of a model item, or null while a condition is unfinished. */
  function toRule(item) {
    switch (item.kind) {
      case "group": {
        const children = item.items.map(toRule);
        if (!children.length || children.includes(null)) return null;
        if (children.length === 1) return item.op === "all" || item.op === "any" ? children[0] : { not: children[0] };
        return { all: { all: children }, any: { any: children }, none: { not: { any: children } }, not_all: { not: { all: children } } }[item.op];
      }
      case "trait":
      case "account": {
        const match = matchOf(item.op, item.value);
        return item.name.trim() && match ? { [item.kind]: { [item.name.trim()]: match } } : null;
      }
      case "did": {
        if (!item.event.trim()) return null;
        const did = { [item.what]: item.event.trim() };
        const count = Number(item.count);
        if (Number.isInteger(count) && count > 1) did.at_least = count;
        const days = Number(item.days);
        if (item.days !== "" && Number.isInteger(days) && days > 0) did.within_days = days;
        return negated(item) ? { not: { did } } : { did };
      }
      case "segment":
        if (!item.key) return null;
        return negated(item) ? { not: { segment: item.key } } : { segment: item.key };
      case "first_seen": {
        const days = Number(item.value);
        return item.value !== "" && Number.isFinite(days) ? { first_seen: { days_ago: { [item.op]: days } } } : null;
      }
      default:
        return item.rule;
    }
  }

  function blank(kind, segments) {
    switch (kind) {
      case "group": return { kind: "group", op: "any", items: [blank("trait")] };
      case "did": return { kind: "did", negate: false, what: "event", event: "", count: "1", days: "" };
      case "segment": return { kind: "segment", negate: false, key: segments?.[0]?.key || "" };
      case "first_seen": return { kind: "first_seen", op: "gte", value: "" };
      default: return { kind, name: "", op: "eq", value: "" };
    }
  }

  // --- the builder --------------------------------------------------------------------------

  /** Build rules in `container`. Options: segments ([{key, name}] it may refer to), onChange
   * (after every edit), disabled, traits (names offered as the builder types). */
  function builder(container, rule, options = {}) {
    let model = fromRule(rule);
    const segments = options.segments || [];
    const onChange = options.onChange || (() => {});
    const listId = `traits-${Math.random().toString(36).slice(2, 8)}`;
    const traits = h("datalist", { id: listId });
    const elements = new Map();

    const t = {
      ops: {
        eq: wp.t("segments.op.eq"), neq: wp.t("segments.op.neq"), in: wp.t("segments.op.in"),
        not_in: wp.t("segments.op.not_in"), contains: wp.t("segments.op.contains"),
        starts_with: wp.t("segments.op.starts_with"), gt: wp.t("segments.op.gt"), gte: wp.t("segments.op.gte"),
        lt: wp.t("segments.op.lt"), lte: wp.t("segments.op.lte"), exists: wp.t("segments.op.exists"),
        missing: wp.t("segments.op.missing"),
      },
      kinds: {
        trait: wp.t("segments.kind.trait"), account: wp.t("segments.kind.account"), did: wp.t("segments.kind.did"),
        segment: wp.t("segments.kind.segment"), first_seen: wp.t("segments.kind.first_seen"),
      },
      groups: {
        all: wp.t("segments.group.all"), any: wp.t("segments.group.any"), none: wp.t("segments.group.none"),
        not_all: wp.t("segments.group.not_all"),
      },
      joins: { all: wp.t("segments.join.and"), any: wp.t("segments.join.or"), none: wp.t("segments.join.or"), not_all: wp.t("segments.join.and") },
      days: { gte: wp.t("segments.days.gte"), lte: wp.t("segments.days.lte"), eq: wp.t("segments.days.eq") },
    };

    function select(options, value, attrs = {}) {
      const el = h("select", attrs, Object.entries(options).map(([v, label]) => h("option", { value: v }, label)));
      el.value = value;
      return el;
    }
    function field(item, name, attrs = {}) {
      const el = h("input", { type: "text", ...attrs });
      el.value = item[name];
      el.addEventListener("input", () => { item[name] = el.value; onChange(); });
      return el;
    }
    function choice(item, name, options, attrs = {}) {
      const el = select(options, item[name], attrs);
      el.addEventListener("change", () => { item[name] = el.value; onChange(); });
      return el;
    }

    function changed(focus) {
      render(focus);
      onChange();
    }

    function condition(item, parent) {
      const kindOptions = { ...t.kinds };
      if (item.kind === "opaque") kindOptions.opaque = wp.t("segments.kind.other");
      const kind = select(kindOptions, item.kind, { "aria-label": wp.t("segments.condition.kind"), class: "condition-kind" });
      kind.addEventListener("change", () => {
        const next = blank(kind.value, segments);
        parent.items[parent.items.indexOf(item)] = next;
        changed(next);
      });
      const parts = [];
      if (item.kind === "trait" || item.kind === "account") {
        const value = field(item, "value", { "aria-label": wp.t("segments.condition.value"), placeholder: wp.t("segments.condition.value_hint") });
        value.hidden = item.op === "exists" || item.op === "missing";
        const op = choice(item, "op", t.ops, { "aria-label": wp.t("segments.condition.op") });
        op.addEventListener("change", () => { value.hidden = op.value === "exists" || op.value === "missing"; });
        parts.push(field(item, "name", { "aria-label": wp.t("segments.condition.trait"), placeholder: item.kind === "trait" ? "plan" : "employees", list: listId, class: "trait-name" }), op, value);
      } else if (item.kind === "did") {
        // Did or did not, an event or an action: one choice of four.
        const modes = {
          event: wp.t("segments.did.event"), not_event: wp.t("segments.did.not_event"),
          action: wp.t("segments.did.action"), not_action: wp.t("segments.did.not_action"),
        };
        const mode = select(modes, `${negated(item) ? "not_" : ""}${item.what}`, { "aria-label": wp.t("segments.did.mode") });
        mode.addEventListener("change", () => {
          item.negate = mode.value.startsWith("not_");
          item.what = mode.value.replace("not_", "");
          onChange();
        });
        parts.push(
          mode,
          field(item, "event", { "aria-label": wp.t("segments.did.name"), placeholder: "Report Built", class: "event-name" }),
          h("span", {}, wp.t("segments.did.at_least")),
          field(item, "count", { type: "number", min: 1, step: 1, "aria-label": wp.t("segments.did.count") }),
          h("span", {}, wp.t("segments.did.times_within")),
          field(item, "days", { type: "number", min: 1, step: 1, placeholder: wp.t("segments.did.ever"), "aria-label": wp.t("segments.did.days") }),
          h("span", {}, wp.t("segments.did.days_unit")));
      } else if (item.kind === "segment") {
        const names = Object.fromEntries(segments.map((s) => [s.key, s.name]));
        if (item.key && !names[item.key]) names[item.key] = item.key;
        parts.push(
          choice(item, "negate", { false: wp.t("segments.segment.in"), true: wp.t("segments.segment.not_in") }, { "aria-label": wp.t("segments.segment.negate") }),
          choice(item, "key", names, { "aria-label": wp.t("segments.segment.which") }));
      } else if (item.kind === "first_seen") {
        parts.push(
          choice(item, "op", t.days, { "aria-label": wp.t("segments.condition.op") }),
          field(item, "value", { type: "number", min: 0, step: 1, "aria-label": wp.t("segments.first_seen.days") }),
          h("span", {}, wp.t("segments.first_seen.days_ago")));
      } else {
        parts.push(h("code", { class: "opaque" }, JSON.stringify(item.rule)), h("span", { class: "hint" }, wp.t("segments.condition.in_yaml")));
      }
      const remove = h("button", { type: "button", class: "quiet remove", "aria-label": wp.t("segments.condition.remove") }, "×");
      remove.addEventListener("click", () => {
        const at = parent.items.indexOf(item);
        parent.items.splice(at, 1);
        changed(parent.items[Math.min(at, parent.items.length - 1)] || parent);
      });
      const el = h("div", { class: "condition" }, kind, parts, options.disabled ? null : remove);
      elements.set(item, el);
      return el;
    }

    function group(item, parent, depth) {
      const op = select(t.groups, item.op, { "aria-label": wp.t("segments.group.label"), class: "group-op" });
      op.addEventListener("change", () => { item.op = op.value; changed(item); });
      const list = h("ul", {});
      item.items.forEach((child, i) => {
        list.append(h("li", {},
          i ? h("span", { class: "join", "aria-hidden": "true" }, t.joins[item.op]) : null,
          child.kind === "group" ? group(child, item, depth + 1) : condition(child, item)));
      });
      const add = (kind) => () => {
        const next = blank(kind, segments);
        item.items.push(next);
        changed(next);
      };
      const tools = options.disabled ? null : h("div", { class: "group-tools" },
        h("button", { type: "button", class: "quiet add-condition", onclick: add("trait") }, wp.t("segments.group.add_condition")),
        depth < 3 ? h("button", { type: "button", class: "quiet add-group", onclick: add("group") }, wp.t("segments.group.add_group")) : null,
        parent ? h("button", { type: "button", class: "quiet danger-text", onclick: () => {
          const at = parent.items.indexOf(item);
          parent.items.splice(at, 1);
          changed(parent.items[Math.min(at, parent.items.length - 1)] || parent);
        } }, wp.t("segments.group.remove")) : null);
      const el = h("div", { class: "group", role: "group", "aria-label": t.groups[item.op] },
        h("div", { class: "group-head" }, op),
        item.items.length ? list : h("p", { class: "muted" }, wp.t("segments.group.empty")),
        tools);
      elements.set(item, el);
      return el;
    }

    function render(focus) {
      elements.clear();
      container.replaceChildren(group(model, null, 0), traits);
      if (focus && elements.has(focus)) elements.get(focus).querySelector("input, select")?.focus();
    }

    render();
    return {
      /** The rule document, or null while a condition is unfinished or there is none. */
      rule: () => toRule(model),
      set(rule) { model = fromRule(rule); render(); },
      /** Offer these trait names as the builder types one. */
      offerTraits(names) {
        const known = new Set(Array.from(traits.options).map((o) => o.value));
        for (const name of names) if (!known.has(name)) traits.append(h("option", { value: name }));
      },
      /** The trait names the conditions test (to show them first in a sample). */
      traitNames() {
        const names = [];
        const walk = (item) => (item.kind === "group" ? item.items.forEach(walk) : item.kind === "trait" && item.name && names.push(item.name));
        walk(model);
        return names;
      },
    };
  }

  window.wpRules = { builder, fromRule, toRule };

  // --- the live count and sample -------------------------------------------------------------

  /** Count who the builder's rules hold for, a moment after each edit (only the latest answer
   * is shown). */
  function liveCount(rules, builderApi) {
    const box = document.getElementById("live");
    if (!box) return () => {};
    const count = document.getElementById("live-count");
    const share = document.getElementById("live-share");
    const bar = document.getElementById("live-bar");
    const body = document.querySelector("#live-sample tbody");
    const note = document.getElementById("live-note");
    let timer = 0;
    let latest = 0;
    function unfinished() {
      count.textContent = "\u2013";
      share.textContent = wp.t("segments.live.unfinished");
      bar.style.width = "0";
      body.replaceChildren();
      note.hidden = true;
    }
    async function run() {
      const rule = rules();
      if (!rule) return unfinished();
      const mine = ++latest;
      box.setAttribute("aria-busy", "true");
      try {
        const found = await wp.api("/api/v1/segments/preview", { method: "POST", body: { rules: rule, sample: 8 } });
        if (mine !== latest) return;
        count.textContent = wp.t("segments.live.count", { count: wp.number(found.count) });
        share.textContent = wp.t("segments.live.share", { total: wp.number(found.total), share: wp.percent(found.total ? found.count / found.total : 0) });
        bar.style.width = `${found.total ? (100 * found.count) / found.total : 0}%`;
        const first = builderApi.traitNames();
        body.replaceChildren(...found.sample.map((person) => {
          const who = person.user_ids[0] || person.anonymous_ids[0] || person.person_id;
          const names = [...new Set([...first, ...Object.keys(person.traits)])].filter((n) => n in person.traits && !["name", "email"].includes(n)).slice(0, 3);
          const traits = names.map((n) => `${n}: ${person.traits[n]}`).join(" · ");
          return h("tr", {}, h("td", { class: "mono" }, who), h("td", {}, traits || "\u2013"));
        }));
        builderApi.offerTraits(found.sample.flatMap((person) => Object.keys(person.traits)));
        note.hidden = found.count > 0;
        note.textContent = wp.t("segments.live.nobody");
      } catch (error) {
        if (mine !== latest) return;
        count.textContent = "\u2013";
        share.textContent = wp.t("segments.live.failed", { message: error.message });
      } finally {
        if (mine === latest) box.setAttribute("aria-busy", "false");
      }
    }
    return (now = false) => {
      clearTimeout(timer);
      timer = setTimeout(run, now ? 0 : 350);
    };
  }

  // --- the pages ---------------------------------------------------------------------------

  async function initList(table) {
    if (table.dataset.count !== "true") return;
    await Promise.all(Array.from(table.querySelectorAll("tr[data-key]")).map(async (row) => {
      const cell = row.querySelector("[data-count]");
      try {
        const found = await wp.api(`/api/v1/segments/${encodeURIComponent(row.dataset.key)}/preview?sample=0`);
        cell.textContent = wp.t("segments.list.count", { count: wp.number(found.count), share: wp.percent(found.total ? found.count / found.total : 0) });
      } catch {
        cell.textContent = "\u2013";
      }
    }));
  }

  function initEditor(root) {
    const { $, problemsPanel, yamlView, viewTabs, saveOnShortcut, slug } = window.wpEditing;
    const appId = root.dataset.app;
    const canEdit = root.dataset.canEdit === "true";
    const base = `/console/apps/${encodeURIComponent(appId)}/segments`;
    const state = { doc: JSON.parse($("#document").textContent), key: root.dataset.key || null, dirty: false, keyTouched: Boolean(root.dataset.key) };
    const fields = ["name", "key", "description"].map((name) => $(`#f-${name}`));

    function changed() {
      state.dirty = true;
      $("#item-dirty").hidden = false;
    }
    addEventListener("beforeunload", (event) => { if (state.dirty && canEdit) event.preventDefault(); });

    let recount = () => {};
    const rules = builder($("#builder"), state.doc.rules, {
      segments: JSON.parse($("#segments").textContent),
      disabled: !canEdit,
      onChange: () => { changed(); recount(); },
    });
    recount = liveCount(() => rules.rule(), rules);

    function fill() {
      for (const input of fields) input.value = state.doc[input.dataset.path] ?? "";
      rules.set(state.doc.rules);
    }
    for (const input of fields) {
      input.addEventListener("input", () => {
        const name = input.dataset.path;
        if (input.value.trim()) state.doc[name] = input.value;
        else delete state.doc[name];
        if (name === "key") state.keyTouched = true;
        if (name === "name") {
          $("#item-title").textContent = input.value || wp.t("segments.editor.new_title");
          if (!state.key && !state.keyTouched) state.doc.key = $("#f-key").value = slug(input.value);
        }
        changed();
      });
    }
    /** The document with the builder's rules. */
    function current() {
      return { ...state.doc, rules: rules.rule() };
    }

    const problems = problemsPanel(root, () => tabs.current === "form");
    const yamlArea = $("#yaml");
    const yaml = yamlView(yamlArea, { yamlUrl: `${base}/yaml`, parseUrl: `${base}/parse`, parseBody: () => ({ key: state.key }), problems });
    yamlArea.addEventListener("input", changed);
    async function fromYaml() {
      const document = await yaml.read();
      if (document === false) return false;
      if (document) {
        state.doc = document;
        fill();
        recount(true);
      }
      return true;
    }
    const tabs = viewTabs(root, async (from, to) => {
      if (from === "yaml" && !(await fromYaml())) return false;
      if (to === "yaml") {
        if (!rules.rule()) {
          problems.show({ problems: [{ field: "rules", message: wp.t("segments.editor.unfinished") }] });
          return false;
        }
        try {
          await yaml.write(current());
        } catch (error) {
          problems.show(error);
          return false;
        }
      }
      problems.clear();
      return true;
    });

    async function save() {
      if (tabs.current === "yaml" && !(await fromYaml())) return;
      problems.clear();
      const document = current();
      if (tabs.current === "form" && !rules.rule()) {
        problems.show({ problems: [{ field: "rules", message: wp.t("segments.editor.unfinished") }] });
        return;
      }
      try {
        const saved = state.key
          ? await wp.api(`/api/v1/segments/${encodeURIComponent(state.key)}`, { method: "PUT", body: document })
          : await wp.api("/api/v1/segments", { method: "POST", body: document });
        if (!state.key) {
          state.key = saved.key;
          $("#f-key").readOnly = true;
          $("#key-help")?.remove();
          $("#f-key").removeAttribute("aria-describedby");
      $("#f-key").removeAttribute("aria-describedby");
          history.replaceState(null, "", `${base}/item/${encodeURIComponent(saved.key)}`);
        }
        // The API answers every field of the rules, unset ones as null: keep what was sent.
        state.doc = document;
        state.dirty = false;
        $("#item-dirty").hidden = true;
        wp.say(wp.t("segments.editor.saved"));
      } catch (error) {
        problems.show(error);
      }
    }

    fill();
    state.dirty = false;
    $("#item-dirty").hidden = true;
    recount(true);
    if (canEdit) {
      $("#save").addEventListener("click", save);
      saveOnShortcut(save);
    }
    if (!state.key) $("#f-name").focus();
  }

  // content.js (the shared editing parts) runs after this file on the editor's page.
  document.addEventListener("DOMContentLoaded", () => {
    const list = document.getElementById("segment-list");
    if (list) initList(list);
    const editor = document.getElementById("segment-editor");
    if (editor) initEditor(editor);
  });
})();
