// Impact: the three calculators. Each asks the insights API; inputs the member leaves to
// Waypost come back measured (with their interval) or assumed, and fill the form marked as
// such; typing over one makes it the member's own value, sent with the next calculation.
"use strict";
(() => {
  const zone = document.querySelector('meta[name="wp-timezone"]')?.content || "UTC";
  const currencySelect = document.getElementById("currency");
  const CURRENCY_KEY = "waypost.impact.currency";

  // --- money: one currency for the page, remembered in this browser ---

  function currency() { return currencySelect.value || "USD"; }
  function showCurrency() {
    for (const code of document.querySelectorAll(".currency-code")) code.textContent = currency();
  }
  const remembered = localStorage.getItem(CURRENCY_KEY);
  if (remembered && [...currencySelect.options].some((option) => option.value === remembered)) currencySelect.value = remembered;
  showCurrency();

  // --- a day in the member's zone as the instant its midnight falls on ---

  function offsetMinutes(at) {
    const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(at)).find((part) => part.type === "timeZoneName")?.value || "";
    const found = /([+-])(\d{1,2}):?(\d{2})?/.exec(name);
    return found ? (found[1] === "-" ? -1 : 1) * (Number(found[2]) * 60 + Number(found[3] || 0)) : 0;
  }
  function midnight(day) {
    const asUtc = Date.parse(`${day}T00:00:00Z`);
    return new Date(asUtc - offsetMinutes(asUtc - offsetMinutes(asUtc) * 60000) * 60000).toISOString();
  }
  function dayAfter(day) {
    const moment = new Date(`${day}T00:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() + 1);
    return moment.toISOString().slice(0, 10);
  }

  // --- inputs: shown in the member's units, sent in the API's ---

  /** An input's value as the API takes it (a share for %, seconds for minutes of a process). */
  function toApi(kind, text) {
    if (text === "" || text === null) return null;
    const value = Number(text);
    if (!Number.isFinite(value)) return null;
    if (kind === "rate") return value / 100;
    if (kind === "duration") return value * 60;
    return value;
  }
  /** An API value as the form shows it. */
  function fromApi(kind, value) {
    if (value === null || value === undefined) return "";
    if (kind === "rate") return String(Math.round(value * 1000) / 10);
    if (kind === "duration") return String(Math.round((value / 60) * 10) / 10);
    if (kind === "count") return String(Math.round(value));
    return String(Math.round(value * 100) / 100);
  }
  /** A value in words, for intervals and explanations. */
  function said(kind, value) {
    if (value === null || value === undefined) return "\u2013";
    if (kind === "rate") return wp.percent(value, 1);
    if (kind === "money") return wp.money(value, currency());
    if (kind === "duration") return wp.duration(value);
    if (kind === "minutes") return wp.t("impact.minutes", { minutes: wp.number(value, 0) });
    if (kind === "count") return wp.number(value, 0);
    return wp.number(value, 2);
  }

  function badge(row, source) {
    const target = row.querySelector('[data-part="source"]');
    target.className = `badge ${source || ""}`;
    const words = { measured: wp.t("impact.source.measured"), given: wp.t("impact.source.given"), assumed: wp.t("impact.source.assumed"), yours: wp.t("impact.source.yours") };
    target.textContent = words[source] || "";
    row.dataset.state = source || "";
  }

  /** After a calculation: each input shows its value and where it came from. */
  function showInputs(form, inputs) {
    for (const found of inputs) {
      const row = form.querySelector(`[data-input="${found.name}"]`);
      if (!row) continue;
      const kind = row.dataset.kind;
      const input = row.querySelector("input");
      input.value = fromApi(kind, found.value);
      input.removeAttribute("aria-invalid");
      badge(row, found.source);
      row.querySelector('[data-part="reset"]').hidden = true;
      const detail = row.querySelector('[data-part="detail"]');
      if (found.source === "measured") {
        row.dataset.measured = JSON.stringify(found);
        detail.textContent = measuredWords(kind, found);
      } else if (found.source === "assumed") {
        row.dataset.measured = JSON.stringify(found);
        detail.textContent = wp.t("impact.assumed_default");
      } else {
        detail.textContent = "";
      }
    }
  }

  function measuredWords(kind, found) {
    const parts = [];
    if (found.n !== null && found.n !== undefined) parts.push(wp.t("impact.measured_n", { count: wp.number(found.n) }));
    if (found.ci_low !== null && found.ci_high !== null && found.ci_low !== undefined) {
      parts.push(wp.t("impact.measured_interval", { low: said(kind, found.ci_low), high: said(kind, found.ci_high) }));
    } else if (found.note) {
      parts.push(wp.t("impact.measured_no_interval"));
    }
    return parts.join(" · ");
  }

  /** Typing over a measured or assumed value makes it the member's own. */
  function wireInputs(form) {
    for (const row of form.querySelectorAll("[data-input]")) {
      const input = row.querySelector("input");
      const reset = row.querySelector('[data-part="reset"]');
      input.addEventListener("input", () => {
        input.removeAttribute("aria-invalid");
        // Where every number is given, there is nothing measured to go back to.
        if (new FormData(form).get("mode") === "given") return;
        if (row.dataset.state === "yours" || row.dataset.state === "given" && !row.dataset.measured) return;
        badge(row, "yours");
        row.querySelector('[data-part="detail"]').textContent = "";
        reset.hidden = !row.dataset.measured;
        if (row.dataset.measured) {
          const source = JSON.parse(row.dataset.measured).source;
          reset.textContent = source === "assumed" ? wp.t("impact.use_assumed") : wp.t("impact.use_measured");
        }
      });
      reset.addEventListener("click", () => {
        showInputs(form, [JSON.parse(row.dataset.measured)]);
        input.focus();
      });
    }
  }

  /** The inputs a query sends: those the member typed (or all, where every one is given). */
  function chosenInputs(form, all) {
    const chosen = {};
    const missing = [];
    for (const row of form.querySelectorAll("[data-input]")) {
      const input = row.querySelector("input");
      const value = toApi(row.dataset.kind, input.value);
      const send = all || row.dataset.send === "always" || row.dataset.state === "yours";
      if (!send) continue;
      if (value === null) { missing.push(row); continue; }
      chosen[row.dataset.input] = row.dataset.kind === "count" ? Math.round(value) : value;
    }
    return { chosen, missing };
  }

  function period(form, query) {
    const data = new FormData(form);
    if (data.get("date_from")) query.date_from = midnight(data.get("date_from"));
    if (data.get("date_to")) query.date_to = midnight(dayAfter(data.get("date_to")));
  }

  function lines(text) {
    return String(text || "").split(/[\n,]/).map((part) => part.trim()).filter(Boolean);
  }

  function showError(form, error) {
    const target = form.querySelector('[data-part="error"]');
    target.textContent = error ? wp.t("common.error", { message: error.message }) : "";
    if (error?.field) {
      const name = error.field.split(".").pop();
      const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
    }
  }

  function missingError(form, missing) {
    for (const row of missing) row.querySelector("input").setAttribute("aria-invalid", "true");
    const names = missing.map((row) => row.querySelector("label").textContent.trim()).join(", ");
    form.querySelector('[data-part="error"]').textContent = wp.t("impact.missing", { names: names });
    missing[0].querySelector("input").focus();
  }

  function signed(value) {
    const digits = Math.abs(value - Math.round(value)) < 0.05 ? 0 : 1;
    const text = wp.number(value, digits);
    return value > 0 ? `+${text}` : text;
  }
  function count(value) {
    return wp.number(value, Math.abs(value - Math.round(value)) < 0.05 ? 0 : 1);
  }
  function hours(value) {
    return wp.t("impact.hours", { hours: wp.number(value, Math.abs(value) < 10 ? 1 : 0) });
  }

  // --- the calculators: each one's query kind, what it measures and what it shows ---

  /** What the two time calculators show: the hours saved and what they are worth. */
  const timeSaved = (result) => ({ hours_saved: hours(result.hours_saved), value: wp.money(result.value, currency()) });

  const calculators = {
    renewal: {
      form: document.getElementById("renewal-form"),
      kind: "impact_renewal",
      // Where every number is given, all are sent and nothing is measured.
      allGiven: (data) => data.get("mode") === "given",
      measure(data, query) {
        const measure = {
          new: { event: String(data.get("new_event")).trim() },
          milestones: lines(data.get("milestones")).map((event) => ({ event })),
          within_days: Number(data.get("within_days") || 30),
          outcome: { trait: String(data.get("outcome_trait")).trim(), renewed: lines(data.get("renewed")), churned: lines(data.get("churned")) },
        };
        if (data.get("item")) measure.item = data.get("item");
        if (data.get("launched_at")) measure.launched_at = midnight(data.get("launched_at"));
        if (String(data.get("contract_value_trait") || "").trim()) measure.contract_value_trait = String(data.get("contract_value_trait")).trim();
        query.measure = measure;
      },
      outputs: (result) => ({
        renewals_before: count(result.renewals_before),
        renewals_after: count(result.renewals_after),
        additional_renewals: signed(result.additional_renewals),
        retained_revenue: wp.money(result.retained_revenue, currency()),
      }),
      explain: (result, inputs) => wp.t("impact.renewal.explain", {
        customers: wp.number(inputs.new_customers), before: wp.percent(inputs.completion_before, 0), after: wp.percent(inputs.completion_after, 0),
        renewals_before: count(result.renewals_before), renewals_after: count(result.renewals_after),
        completed: wp.percent(inputs.renewal_rate_completed, 0), rest: wp.percent(inputs.renewal_rate_not_completed, 0),
        revenue: wp.money(result.retained_revenue, currency()) }),
    },
    productivity: {
      form: document.getElementById("productivity-form"),
      kind: "impact_productivity",
      measure(data, query) {
        if (data.get("item")) query.item = data.get("item");
      },
      outputs: timeSaved,
      explain: (result, inputs) => wp.t("impact.productivity.explain", {
        completions: wp.number(inputs.completions), minutes: wp.number(inputs.minutes_saved_per_completion, 0),
        attribution: wp.percent(inputs.attribution, 0), hours: hours(result.hours_saved),
        rate: wp.money(inputs.hourly_rate, currency()), value: wp.money(result.value, currency()) }),
    },
    time: {
      form: document.getElementById("time-form"),
      kind: "impact_time_saved",
      measure(data, query) {
        const start = String(data.get("start") || "").trim();
        const end = String(data.get("end") || "").trim();
        if (start && end) query.process = { start: { event: start }, end: { event: end }, window_days: Number(data.get("window_days") || 30) };
        if (data.get("item")) query.item = data.get("item");
        if (data.get("launched_at")) query.launched_at = midnight(data.get("launched_at"));
      },
      outputs: timeSaved,
      explain: (result, inputs) => wp.t("impact.time.explain", {
        before: wp.duration(inputs.seconds_before), after: wp.duration(inputs.seconds_after),
        completions: wp.number(inputs.completions), hours: hours(result.hours_saved), value: wp.money(result.value, currency()) }),
      verdict(result) {
        const test = result.comparison;
        if (!test || test.p_value === null) return "";
        if (test.significant) return wp.t("impact.time.significant", { p: wp.number(test.p_value, 3) });
        return wp.t("impact.time.not_significant", { p: wp.number(test.p_value, 3) });
      },
    },
  };

  /** The calculator's query from its form, or the inputs it misses. */
  function build(calculator) {
    const form = calculator.form;
    const data = new FormData(form);
    const given = Boolean(calculator.allGiven?.(data));
    const { chosen, missing } = chosenInputs(form, given);
    if (missing.length) return { missing };
    const query = { kind: calculator.kind, ...chosen };
    if (!given) {
      calculator.measure(data, query);
      period(form, query);
    }
    return { query };
  }

  /** A calculation's result in the calculator's panel: its numbers, in words, and its verdict. */
  function show(calculator, result) {
    const panel = calculator.form.closest("section");
    for (const [name, text] of Object.entries(calculator.outputs(result))) {
      panel.querySelector(`[data-out="${name}"]`).textContent = text;
    }
    const inputs = Object.fromEntries(result.inputs.map((found) => [found.name, found.value]));
    panel.querySelector('[data-part="explain"]').textContent = calculator.explain(result, inputs);
    if (calculator.verdict) panel.querySelector('[data-part="verdict"]').textContent = calculator.verdict(result);
  }

  async function calculate(name) {
    const calculator = calculators[name];
    const form = calculator.form;
    const panel = form.closest("section");
    showError(form, null);
    const built = build(calculator);
    if (built.missing) { missingError(form, built.missing); return; }
    const button = form.querySelector('button[type="submit"]');
    const results = panel.querySelector('[data-part="results"]');
    button.disabled = true;
    results.setAttribute("aria-busy", "true");
    results.classList.add("busy");
    try {
      const result = await wp.api("/api/v1/insights/query", { method: "POST", body: built.query });
      showInputs(form, result.inputs);
      show(calculator, result);
      calculator.last = result;
      panel.dataset.done = "true";
    } catch (error) {
      showError(form, error);
    } finally {
      button.disabled = false;
      results.removeAttribute("aria-busy");
      results.classList.remove("busy");
    }
  }

  for (const [name, calculator] of Object.entries(calculators)) {
    wireInputs(calculator.form);
    calculator.form.addEventListener("submit", (event) => { event.preventDefault(); calculate(name); });
  }
  // The amounts the member gives (rate, minutes saved) are always sent; the rest only when typed.
  for (const name of ["minutes_saved_per_completion", "hourly_rate"]) {
    for (const row of document.querySelectorAll(`[data-input="${name}"]`)) { row.dataset.send = "always"; badge(row, "given"); }
  }
  const attribution = document.querySelector('#productivity-form [data-input="attribution"]');
  badge(attribution, "assumed");
  attribution.dataset.measured = JSON.stringify({ name: "attribution", value: 0.1, source: "assumed" });
  attribution.querySelector('[data-part="detail"]').textContent = wp.t("impact.assumed_default");

  // The renewal calculator: measured from accounts, or every number given.
  const renewal = calculators.renewal.form;
  function showMode() {
    const given = new FormData(renewal).get("mode") === "given";
    renewal.querySelector('[data-show="measure"]').hidden = given;
    for (const row of renewal.querySelectorAll("[data-input]")) {
      row.querySelector('[data-part="reset"]').hidden = true;
      if (given) {
        badge(row, "given");
        row.querySelector('[data-part="detail"]').textContent = "";
      } else if (row.dataset.measured) {
        showInputs(renewal, [JSON.parse(row.dataset.measured)]);
      } else {
        badge(row, "");
      }
    }
  }
  for (const radio of renewal.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", showMode);

  currencySelect.addEventListener("change", () => {
    localStorage.setItem(CURRENCY_KEY, currency());
    showCurrency();
    // Amounts are the member's own: a new currency relabels them, it converts nothing.
    for (const calculator of Object.values(calculators)) {
      if (calculator.last) show(calculator, calculator.last);
    }
  });

  // --- tabs: one calculator at a time; the URL's #hash says which ---

  const tabs = [...document.querySelectorAll('[role="tab"]')];
  function open(tab, focus = false) {
    for (const other of tabs) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
    }
    if (focus) tab.focus();
    const name = tab.id.replace("tab-", "");
    history.replaceState(null, "", `#${name}`);
    const panel = document.getElementById(tab.getAttribute("aria-controls"));
    // Each calculator runs once when first shown, so its measured defaults are there to read.
    if (!panel.dataset.done && !panel.dataset.started) { panel.dataset.started = "true"; calculate(name); }
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => open(tab));
    tab.addEventListener("keydown", (event) => {
      const at = tabs.indexOf(tab);
      const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      open(tabs[(next + tabs.length) % tabs.length], true);
    });
  }
  open(tabs.find((tab) => `#${tab.id.replace("tab-", "")}` === location.hash) || tabs[0]);
})();
