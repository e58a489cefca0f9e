// What every console page's scripts share: translations from the page's catalogue, numbers and
// dates in the member's language and zone, elements built in one call, calls to the admin API
// with the session's CSRF token, copy buttons and a polite status line. No framework: each page
// adds a small module.
"use strict";
(() => {
  const messages = JSON.parse(document.getElementById("wp-messages")?.textContent || "{}");
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") || "";
  const lang = document.documentElement.lang || "en";

  /** A message of the catalogue with its {named} values filled in. */
  function translate(id, values = {}) {
    const text = messages[id];
    if (text === undefined) return id;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
  }

  const numbers = new Map();
  /** A number as the member's language writes it (digits: decimals shown). */
  function number(value, digits = 0) {
    if (value === null || value === undefined || Number.isNaN(value)) return "\u2013";
    const key = `n${digits}`;
    if (!numbers.has(key)) {
      numbers.set(key, new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }));
    }
    return numbers.get(key).format(value);
  }
  /** A share (0.25) as a percentage. */
  function percent(value, digits = 1) {
    if (value === null || value === undefined || Number.isNaN(value)) return "\u2013";
    return new Intl.NumberFormat(lang, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  }
  /** An amount of money in a currency. */
  function money(value, currency = "USD") {
    if (value === null || value === undefined || Number.isNaN(value)) return "\u2013";
    return new Intl.NumberFormat(lang, { style: "currency", currency, maximumFractionDigits: 0 }).format(value);
  }
  /** An ISO time in the member's zone. */
  function when(iso, options = { dateStyle: "medium", timeStyle: "short" }) {
    if (!iso) return "\u2013";
    const zone = meta("wp-timezone") || "UTC";
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: zone }).format(new Date(iso));
  }
  /** A duration in seconds, in the largest unit that keeps it readable. */
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "\u2013";
    const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size || unit === "second") {
        return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(seconds / size);
      }
    }
    return String(seconds);
  }

  /** An element with attributes and children. `text` sets its text, an on… function listens,
   * true is a bare attribute, and false, null or undefined leave the attribute out; children
   * (text or nodes, arrays of them too) that are null, undefined, false or "" are left out. */
  function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") element.textContent = value;
      else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false && child !== "") element.append(child);
    }
    return element;
  }

  /** Call the admin API as the signed-in member: JSON in and out, errors as thrown Error with
   * the field the server named and its problems (the error itself where it named none). `app`
   * adds ?app_id= for the page's app. */
  async function api(path, { method = "GET", body, app = true, raw = false } = {}) {
    const url = new URL(path, location.origin);
    const appId = meta("wp-app");
    if (app && appId && !url.searchParams.has("app_id")) url.searchParams.set("app_id", appId);
    const headers = { "X-CSRF-Token": meta("csrf-token") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    if (raw) return response;
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error(data?.error?.message || response.statusText);
      error.field = data?.error?.field || null;
      error.problems = data?.error?.problems || [{ field: error.field, message: error.message }];
      error.status = response.status;
      throw error;
    }
    return data;
  }

  /** Say something in the status line (read out by screen readers). */
  function say(text) {
    const toast = document.getElementById("wp-toast");
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.hidden = true; }, 3000);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const text = source ? source.textContent.trim() : button.dataset.copy;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source || button);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand("copy");
    }
    say(translate("common.copied"));
  });
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-navigate]");
    if (select) select.form.submit();
  });

  window.wp = { t: translate, number, percent, money, when, duration, h, api, say, lang };
})();
