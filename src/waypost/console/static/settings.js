// Settings: rotate and revoke keys, change members and roles, identity verification and the
// guidance settings, each through the admin API (which checks the role again). The member's own
// preferences are an ordinary form; this only offers the browser's time zone for it.
"use strict";
(() => {
  const { h } = wp;
  const appId = document.querySelector('meta[name="wp-app"]')?.content;
  const SAID = "wp-settings-said";

  /** Reload the page and say `text` once it is back (the status line would not survive). */
  function reloadSaying(text) {
    sessionStorage.setItem(SAID, text);
    location.reload();
  }
  const said = sessionStorage.getItem(SAID);
  if (said) {
    sessionStorage.removeItem(SAID);
    wp.say(said);
  }

  function failed(error) {
    wp.say(wp.t("common.error", { message: error.message }));
  }

  // --- Keys (owners only: the controls exist only for them) ---

  const keyKinds = { write: wp.t("home.kind.write"), secret: wp.t("home.kind.secret") };
  const keysBody = document.getElementById("keys-body");

  async function refreshKeys() {
    const keys = await wp.api(`/api/v1/apps/${appId}/keys`, { app: false });
    const manages = Boolean(document.getElementById("rotate-form"));
    keysBody.replaceChildren(...keys.map((key) => {
      const shown = key.value || key.hint;
      const row = h("tr", { "data-key-id": key.id },
        h("td", { text: keyKinds[key.kind] || key.kind }),
        h("td", {}, h("code", { text: shown })),
        h("td", { text: wp.when(key.created_at) }),
        h("td", { text: key.expires_at ? wp.when(key.expires_at) : wp.t("home.key_never") }));
      if (manages) {
        row.append(h("td", { class: "num" }, h("button", {
          type: "button", class: "quiet danger-text", "data-revoke": key.id,
          "aria-label": wp.t("settings.keys.revoke_label", { key: shown }), text: wp.t("settings.keys.revoke"),
        })));
      }
      return row;
    }));
    const write = keys.find((key) => key.kind === "write");
    const snippet = document.getElementById("settings-snippet");
    if (write && snippet) {
      snippet.textContent = `<script async src="${snippet.dataset.base}/sdk/v1/waypost.js" data-key="${write.value}"></script>`;
    }
  }

  const rotateForm = document.getElementById("rotate-form");
  rotateForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = rotateForm.elements.kind.value;
    const grace = Number(rotateForm.elements.grace_seconds.value);
    if (grace === 0 && !confirm(wp.t("settings.keys.confirm_now"))) return;
    const button = rotateForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const issued = await wp.api(`/api/v1/apps/${appId}/keys/rotate`, { method: "POST", body: { kind, grace_seconds: grace }, app: false });
      const box = document.getElementById("issued-key");
      document.getElementById("issued-title").textContent = kind === "secret" ? wp.t("settings.keys.new_secret") : wp.t("settings.keys.new_write");
      document.getElementById("issued-value").textContent = issued.value;
      box.hidden = false;
      await refreshKeys();
    } catch (error) {
      failed(error);
    } finally {
      button.disabled = false;
    }
  });

  keysBody?.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-revoke]");
    if (!button || !confirm(wp.t("settings.keys.confirm_revoke"))) return;
    button.disabled = true;
    try {
      await wp.api(`/api/v1/apps/${appId}/keys/${encodeURIComponent(button.dataset.revoke)}/revoke`, { method: "POST", app: false });
      await refreshKeys();
      wp.say(wp.t("settings.keys.revoked"));
    } catch (error) {
      button.disabled = false;
      failed(error);
    }
  });

  // --- Members (owners and admins) ---

  const members = document.getElementById("members");
  const workspace = members?.dataset.workspace;
  const membersPath = `/api/v1/workspaces/${encodeURIComponent(workspace)}/members`;

  members?.addEventListener("change", async (event) => {
    const select = event.target.closest("select[data-role-of]");
    if (!select) return;
    try {
      await wp.api(membersPath, { method: "POST", body: { email: select.dataset.roleOf, role: select.value }, app: false });
      select.dataset.was = select.value;
      wp.say(wp.t("settings.members.role_saved", { email: select.dataset.roleOf }));
    } catch (error) {
      select.value = select.dataset.was;
      failed(error);
    }
  });

  members?.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-remove]");
    if (!button) return;
    const row = button.closest("tr");
    if (!confirm(wp.t("settings.members.confirm_remove", { email: row.dataset.email }))) return;
    try {
      await wp.api(`${membersPath}/${encodeURIComponent(button.dataset.remove)}`, { method: "DELETE", app: false });
      row.remove();
      wp.say(wp.t("settings.members.removed", { email: row.dataset.email }));
    } catch (error) {
      failed(error);
    }
  });

  const addForm = document.getElementById("add-member");
  addForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = addForm.elements.email.value.trim();
    const problem = document.getElementById("add-member-error");
    problem.hidden = true;
    try {
      await wp.api(membersPath, { method: "POST", body: { email, role: addForm.elements.role.value }, app: false });
      reloadSaying(wp.t("settings.members.added", { email: email }));
    } catch (error) {
      problem.textContent = error.status === 404 && error.field === "email"
        ? wp.t("settings.members.no_user", { email: email })
        : wp.t("common.error", { message: error.message });
      problem.hidden = false;
      addForm.elements.email.focus();
    }
  });

  // --- Identity verification and the guidance settings ---

  const settingsPath = "/api/v1/guidance/settings";

  /** The settings as PUT takes them: all of the current ones (so fields this page does not show
   * are kept) with the changes, less the identity secret, which is shown and never sent back. */
  function settingsBody(current, changes) {
    const { identity_secret: _shown, ...kept } = current;
    return { ...kept, ...changes };
  }

  document.getElementById("identity-toggle")?.addEventListener("click", async (event) => {
    const turningOn = event.currentTarget.dataset.on !== "true";
    if (turningOn && !confirm(wp.t("settings.identity.confirm_on"))) return;
    try {
      const current = await wp.api(settingsPath);
      await wp.api(settingsPath, { method: "PUT", body: settingsBody(current, { identity_verification: turningOn }) });
      reloadSaying(turningOn ? wp.t("settings.identity.now_on") : wp.t("settings.identity.now_off"));
    } catch (error) {
      failed(error);
    }
  });

  document.getElementById("identity-rotate")?.addEventListener("click", async () => {
    if (!confirm(wp.t("settings.identity.confirm_rotate"))) return;
    try {
      const answer = await wp.api("/api/v1/guidance/identity-secret/rotate", { method: "POST" });
      document.getElementById("identity-secret").textContent = answer.identity_secret;
      wp.say(wp.t("settings.identity.rotated"));
    } catch (error) {
      failed(error);
    }
  });

  /** The app's theme from the form: only what is filled in; nothing at all is no theme. */
  function themeOf(fields, numberOf) {
    const theme = {};
    for (const name of ["accent", "background", "text"]) {
      const value = fields[`theme.${name}`].value.trim();
      if (value) theme[name] = value;
    }
    for (const name of ["radius", "width"]) {
      const value = numberOf(`theme.${name}`);
      if (value !== null) theme[name] = value;
    }
    return Object.keys(theme).length ? theme : null;
  }

  const guidanceForm = document.getElementById("guidance-form");
  guidanceForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = guidanceForm.elements;
    const numberOf = (name) => (fields[name].value === "" ? null : Number(fields[name].value));
    for (const slot of guidanceForm.querySelectorAll("[data-error-for]")) slot.textContent = "";
    for (const input of guidanceForm.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const general = document.getElementById("guidance-error");
    general.hidden = true;
    // Ranges are checked here first, to say so in the member's language.
    for (const input of guidanceForm.querySelectorAll("input[type=number]")) {
      const number = Number(input.value);
      if (input.value === "" && input.hasAttribute("data-optional")) continue;
      if (input.value === "" || Number.isNaN(number) || number < Number(input.min) || number > Number(input.max)) {
        guidanceForm.querySelector(`[data-error-for="${CSS.escape(input.name)}"]`).textContent =
          wp.t("settings.field.range", { min: wp.number(Number(input.min)), max: wp.number(Number(input.max)) });
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
    }
    const changes = {
      locales: fields.locales.value.split(",").map((each) => each.trim()).filter(Boolean),
      fallback_locale: fields.fallback_locale.value.trim(),
      timezone: fields.timezone.value,
      budget: { max_new: numberOf("budget.max_new"), period_hours: numberOf("budget.period_hours"), cooldown_hours: numberOf("budget.cooldown_hours") },
      theme: themeOf(fields, numberOf),
    };
    try {
      const current = await wp.api(settingsPath);
      await wp.api(settingsPath, { method: "PUT", body: settingsBody(current, changes) });
      wp.say(wp.t("common.saved"));
    } catch (error) {
      // The server names the field (budget.max_new, locales.1): show it beside that input.
      const field = (error.field || "").split(".").filter((part) => !/^\d+$/.test(part)).join(".");
      const slot = field && guidanceForm.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
      if (slot) {
        slot.textContent = error.message;
        const input = guidanceForm.querySelector(`[name="${CSS.escape(field)}"]`);
        input?.setAttribute("aria-invalid", "true");
        input?.focus();
      } else {
        general.textContent = wp.t("common.error", { message: error.message });
        general.hidden = false;
      }
    }
  });

  // --- The member's own time zone: offer the browser's ---

  const zoneButton = document.getElementById("use-browser-zone");
  const zoneSelect = document.getElementById("member-zone");
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zoneButton && zoneSelect) {
    const known = [...zoneSelect.options].some((option) => option.value === browserZone);
    if (!browserZone || !known) {
      zoneButton.hidden = true;
    } else {
      zoneButton.textContent = wp.t("settings.prefs.use_browser_zone", { zone: browserZone });
      zoneButton.addEventListener("click", () => {
        zoneSelect.value = browserZone;
        zoneSelect.focus();
      });
    }
  }
})();
