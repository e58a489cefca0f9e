// Acme CRM, the demo app: a small single-page CRM that Waypost guides. Its data lives in this
// browser only; what matters is that it behaves like a real app and tells Waypost what people
// do (waypost.identify, group, track), exactly as a customer's app would.
(() => {
  "use strict";

  const TEXT = {
    en: {
      brand: "Acme CRM",
      "nav.projects": "Projects", "nav.import": "Import contacts", "nav.team": "Team",
      "nav.reports": "Reports", "nav.billing": "Billing", "nav.settings": "Settings",
      "signup.title": "Create your Acme CRM account", "signup.name": "Your name",
      "signup.email": "Work email", "signup.company": "Company", "signup.size": "Company size",
      "signup.role": "Your role", "role.admin": "Admin (I set things up)",
      "role.member": "Member (I use it)", "signup.submit": "Start free trial",
      "verify.title": "Verify your email", "verify.sent": "We sent a code to {email}. In this demo it is",
      "verify.code": "Verification code", "verify.submit": "Verify",
      "verify.wrong": "That code is not right.",
      "projects.title": "Projects", "projects.new": "New project", "projects.empty": "No projects yet.",
      "projects.name": "Project name", "projects.create": "Create project", "cancel": "Cancel",
      "projects.contacts": "contacts",
      "import.title": "Import contacts", "import.file": "File to import",
      "import.pick": "Choose a file…", "import.sample": "customers.csv (1,250 rows)",
      "import.small": "leads.xlsx (84 rows)", "import.start": "Start import",
      "import.done": "{rows} contacts imported.",
      "team.title": "Invite your team", "team.email": "Teammate's email", "team.send": "Send invite",
      "team.sent": "Invitation sent to {email}.", "team.role": "Role",
      "reports.title": "Build a report", "reports.type": "Chart", "reports.funnel": "Pipeline funnel",
      "reports.trend": "Deals over time", "reports.build": "Build report",
      "reports.done": "Report \"{name}\" saved.",
      "billing.title": "Billing", "billing.trial": "Trial", "billing.pro": "Pro",
      "billing.business": "Business", "billing.current": "Current plan", "billing.upgrade": "Upgrade to Pro",
      "settings.title": "Settings", "settings.language": "Language", "settings.reset": "Start over as a new visitor",
      "settings.reset.help": "Forgets this browser's demo account, so you meet the onboarding again.",
      "size.1": "1–19 people", "size.20": "20–199 people", "size.200": "200 or more",
    },
    ja: {
      brand: "Acme CRM",
      "nav.projects": "プロジェクト", "nav.import": "連絡先のインポート", "nav.team": "チーム",
      "nav.reports": "レポート", "nav.billing": "料金プラン", "nav.settings": "設定",
      "signup.title": "Acme CRM のアカウントを作成", "signup.name": "お名前",
      "signup.email": "仕事用メールアドレス", "signup.company": "会社名", "signup.size": "従業員数",
      "signup.role": "役割", "role.admin": "管理者（設定を行う）", "role.member": "メンバー（利用する）",
      "signup.submit": "無料トライアルを開始",
      "verify.title": "メールアドレスの確認", "verify.sent": "{email} に確認コードを送りました。このデモでのコードは",
      "verify.code": "確認コード", "verify.submit": "確認する", "verify.wrong": "コードが正しくありません。",
      "projects.title": "プロジェクト", "projects.new": "新しいプロジェクト",
      "projects.empty": "まだプロジェクトがありません。", "projects.name": "プロジェクト名",
      "projects.create": "プロジェクトを作成", "cancel": "キャンセル", "projects.contacts": "件の連絡先",
      "import.title": "連絡先のインポート", "import.file": "インポートするファイル",
      "import.pick": "ファイルを選択…", "import.sample": "customers.csv（1,250 行）",
      "import.small": "leads.xlsx（84 行）", "import.start": "インポートを開始",
      "import.done": "{rows} 件の連絡先をインポートしました。",
      "team.title": "チームを招待", "team.email": "メンバーのメールアドレス", "team.send": "招待を送信",
      "team.sent": "{email} に招待を送りました。", "team.role": "役割",
      "reports.title": "レポートを作成", "reports.type": "グラフ", "reports.funnel": "商談ファネル",
      "reports.trend": "商談数の推移", "reports.build": "レポートを作成",
      "reports.done": "レポート「{name}」を保存しました。",
      "billing.title": "料金プラン", "billing.trial": "トライアル", "billing.pro": "プロ",
      "billing.business": "ビジネス", "billing.current": "現在のプラン", "billing.upgrade": "プロにアップグレード",
      "settings.title": "設定", "settings.language": "言語", "settings.reset": "新しい訪問者としてやり直す",
      "settings.reset.help": "このブラウザのデモアカウントを忘れ、オンボーディングを最初から体験します。",
      "size.1": "1〜19 人", "size.20": "20〜199 人", "size.200": "200 人以上",
    },
  };
  const KEY = "acme-demo";
  const CODE = "246810";
  const base = "/demo";
  const load = () => JSON.parse(localStorage.getItem(KEY) || "null") || { lang: null, projects: [], contacts: 0 };
  let state = load();
  const save = () => localStorage.setItem(KEY, JSON.stringify(state));
  const lang = () => state.lang || (navigator.language.toLowerCase().startsWith("ja") ? "ja" : "en");
  const t = (key, values = {}) =>
    (TEXT[lang()][key] || TEXT.en[key] || key).replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
  const number = (n) => new Intl.NumberFormat(lang()).format(n);
  // Waypost's JS API: calls wait in an array until the snippet has loaded.
  const wp = (method, ...args) => {
    if (window.waypost && !Array.isArray(window.waypost)) window.waypost[method](...args);
    else (window.waypost = window.waypost || []).push([method, ...args]);
  };

  const app = document.getElementById("app");
  const h = (tag, attrs = {}, ...children) => {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (value !== false && value != null) el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child != null) el.append(child);
    return el;
  };
  const field = (label, input) => h("label", {}, h("span", {}, label), input);
  const go = (path) => {
    history.pushState({}, "", base + path);
    render();
  };

  const NAV = [
    ["/projects", "nav.projects"], ["/contacts/import", "nav.import"], ["/team", "nav.team"],
    ["/reports/new", "nav.reports"], ["/billing", "nav.billing"], ["/settings", "nav.settings"],
  ];

  function shell(title, ...content) {
    const here = location.pathname.slice(base.length);
    const nav = NAV.map(([path, key]) =>
      h("a", { href: base + path, id: `nav-${path.split("/")[1]}`, "aria-current": here === path ? "page" : false,
        onclick: (e) => { e.preventDefault(); go(path); } }, t(key)));
    return h("div", { class: "shell" },
      h("nav", { class: "side", "aria-label": t("brand") }, h("div", { class: "brand" }, t("brand")), ...nav),
      h("div", {},
        h("header", { class: "top" }, h("h1", {}, title),
          h("div", { class: "who" }, state.user ? `${state.user.name} · ${state.user.company}` : "")),
        h("main", {}, ...content)));
  }

  function signup() {
    const size = h("select", { id: "signup-size", name: "size" },
      h("option", { value: "8" }, t("size.1")), h("option", { value: "60" }, t("size.20")),
      h("option", { value: "450" }, t("size.200")));
    const role = h("select", { id: "signup-role", name: "role" },
      h("option", { value: "admin" }, t("role.admin")), h("option", { value: "member" }, t("role.member")));
    const form = h("form", { class: "card welcome", id: "signup-form", onsubmit: (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const email = String(data.get("email")).trim().toLowerCase();
      const company = String(data.get("company")).trim() || "Acme";
      state.user = { id: `demo-${email}`, name: String(data.get("name")).trim(), email, company,
        role: String(data.get("role")), employees: Number(data.get("size")) };
      state.plan = "trial";
      save();
      const account = `acct-${company.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
      wp("identify", state.user.id, { name: state.user.name, email, role: state.user.role, plan: "trial",
        locale: lang() });
      wp("group", account, { name: company, employees: state.user.employees, plan: "trial" });
      wp("track", "Signed Up", { role: state.user.role });
      go("/verify");
    } },
      h("h2", {}, t("signup.title")),
      field(t("signup.name"), h("input", { id: "signup-name", name: "name", required: true, autocomplete: "name" })),
      field(t("signup.email"), h("input", { id: "signup-email", name: "email", type: "email", required: true })),
      field(t("signup.company"), h("input", { id: "signup-company", name: "company", required: true })),
      field(t("signup.size"), size), field(t("signup.role"), role),
      h("button", { class: "primary", id: "signup-submit", type: "submit" }, t("signup.submit")));
    return form;
  }

  function verify() {
    const wrong = h("p", { class: "muted", hidden: true, role: "alert" }, t("verify.wrong"));
    const input = h("input", { id: "verify-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code" });
    return h("form", { class: "card welcome", onsubmit: (e) => {
      e.preventDefault();
      if (input.value.trim() !== CODE) { wrong.hidden = false; return; }
      state.verified = true;
      save();
      wp("track", "Email Verified");
      go("/projects");
    } }, h("h2", {}, t("verify.title")),
      h("p", {}, t("verify.sent", { email: state.user.email }), " ", h("span", { class: "code" }, CODE)),
      field(t("verify.code"), input), wrong,
      h("button", { class: "primary", id: "verify-submit", type: "submit" }, t("verify.submit")));
  }

  function projects() {
    const list = state.projects.length
      ? h("table", { id: "project-list" }, h("tbody", {}, state.projects.map((p) =>
          h("tr", {}, h("td", {}, p.name), h("td", { class: "muted" }, `${number(p.contacts)} ${t("projects.contacts")}`)))))
      : h("p", { class: "muted" }, t("projects.empty"));
    const open = () => {
      const name = h("input", { id: "project-name", name: "project", required: true });
      const back = h("div", { class: "modal-back", id: "project-modal" },
        h("form", { class: "modal", role: "dialog", "aria-label": t("projects.new"), onsubmit: (e) => {
          e.preventDefault();
          state.projects.push({ name: name.value.trim() || "Untitled", contacts: 0 });
          save();
          wp("track", "Project Created", { projects: state.projects.length });
          back.remove();
          render();
        } }, h("h2", {}, t("projects.new")), field(t("projects.name"), name),
          h("div", { class: "row" }, h("button", { class: "primary", id: "create-project", type: "submit" }, t("projects.create")),
            h("button", { type: "button", onclick: () => back.remove() }, t("cancel")))));
      document.body.append(back);
      name.focus();
    };
    return shell(t("projects.title"), h("div", { class: "card" },
      h("div", { class: "row" }, h("button", { class: "primary", id: "new-project", onclick: open }, t("projects.new"))),
      h("div", { style: "height:12px" }), list));
  }

  let importing = null; // a file chosen and not imported yet: leaving then is abandoning
  function importPage() {
    const done = h("p", { class: "notice", hidden: true, role: "status" });
    const file = h("select", { id: "import-file", name: "file", onchange: () => {
      importing = file.value || null;
      if (importing) wp("track", "Import Started", { file: importing });
    } }, h("option", { value: "" }, t("import.pick")),
      h("option", { value: "customers.csv" }, t("import.sample")), h("option", { value: "leads.xlsx" }, t("import.small")));
    return shell(t("import.title"), h("div", { class: "card" }, done,
      field(t("import.file"), file),
      h("button", { class: "primary", id: "start-import", onclick: () => {
        if (!file.value) return file.focus();
        const rows = file.value === "customers.csv" ? 1250 : 84;
        state.contacts += rows;
        if (state.projects[0]) state.projects[0].contacts += rows;
        save();
        importing = null;
        wp("track", "Contacts Imported", { rows, file: file.value });
        done.textContent = t("import.done", { rows: number(rows) });
        done.hidden = false;
      } }, t("import.start"))));
  }

  function team() {
    const sent = h("p", { class: "notice", hidden: true, role: "status" });
    const email = h("input", { id: "invite-email", type: "email", name: "invite" });
    const role = h("select", { id: "invite-role" }, h("option", { value: "member" }, t("role.member")),
      h("option", { value: "admin" }, t("role.admin")));
    return shell(t("team.title"), h("form", { class: "card", onsubmit: (e) => {
      e.preventDefault();
      if (!email.value.includes("@")) return email.focus();
      wp("track", "Teammate Invited", { role: role.value });
      sent.textContent = t("team.sent", { email: email.value });
      sent.hidden = false;
      email.value = "";
    } }, sent, field(t("team.email"), email), field(t("team.role"), role),
      h("button", { class: "primary", id: "send-invite", type: "submit" }, t("team.send"))));
  }

  function reports() {
    const done = h("p", { class: "notice", hidden: true, role: "status" });
    const type = h("select", { id: "report-type" }, h("option", { value: "funnel" }, t("reports.funnel")),
      h("option", { value: "trend" }, t("reports.trend")));
    return shell(t("reports.title"), h("div", { class: "card" }, done, field(t("reports.type"), type),
      h("button", { class: "primary", id: "build-report", onclick: () => {
        const name = type.options[type.selectedIndex].textContent;
        wp("track", "Report Built", { chart: type.value });
        done.textContent = t("reports.done", { name });
        done.hidden = false;
      } }, t("reports.build"))));
  }

  function billing() {
    const plan = (key) => h("div", { class: `plan${state.plan === key ? " current" : ""}` },
      h("h2", {}, t(`billing.${key}`)), state.plan === key ? h("p", { class: "muted" }, t("billing.current")) : null);
    return shell(t("billing.title"), h("div", { class: "card" },
      h("div", { class: "plans" }, plan("trial"), plan("pro"), plan("business")),
      h("div", { style: "height:16px" }),
      state.plan === "trial" ? h("button", { class: "primary", id: "upgrade", onclick: () => {
        state.plan = "pro";
        save();
        wp("identify", state.user.id, { plan: "pro" });
        wp("track", "Plan Upgraded", { plan: "pro" });
        render();
      } }, t("billing.upgrade")) : null));
  }

  function settings() {
    const language = h("select", { id: "language", onchange: () => {
      state.lang = language.value;
      save();
      location.reload(); // the snippet reads the page's language when it starts
    } }, h("option", { value: "en", selected: lang() === "en" }, "English"),
      h("option", { value: "ja", selected: lang() === "ja" }, "日本語"));
    return shell(t("settings.title"), h("div", { class: "card" }, field(t("settings.language"), language)),
      h("div", { class: "card" }, h("p", { class: "muted" }, t("settings.reset.help")),
        h("button", { id: "reset-demo", onclick: () => {
          const keep = state.lang;
          localStorage.clear();
          sessionStorage.clear();
          state = { lang: keep, projects: [], contacts: 0 };
          save();
          location.assign(`${base}/`);
        } }, t("settings.reset"))));
  }

  const PAGES = {
    "/projects": projects, "/contacts/import": importPage, "/team": team, "/reports/new": reports,
    "/billing": billing, "/settings": settings,
  };
  let shown = null;
  function render() {
    document.documentElement.lang = lang();
    document.title = t("brand");
    let path = location.pathname.slice(base.length).replace(/\/$/, "") || "/";
    if (shown === "/contacts/import" && path !== shown && importing) {
      wp("track", "Import Abandoned", { file: importing });
      importing = null;
    }
    if (!state.user && path !== "/") return redirect("/");
    if (state.user && !state.verified && path !== "/verify") return redirect("/verify");
    if (state.user && state.verified && (path === "/" || path === "/verify" || !PAGES[path])) return redirect("/projects");
    shown = path;
    app.replaceChildren(path === "/" ? signup() : path === "/verify" ? verify() : PAGES[path]());
  }
  function redirect(path) {
    history.replaceState({}, "", base + path);
    render();
  }
  addEventListener("popstate", render);
  addEventListener("pagehide", () => {
    if (shown === "/contacts/import" && importing) wp("track", "Import Abandoned", { file: importing });
  });
  // The page's language decides the snippet's texts: set it before the snippet starts.
  document.documentElement.lang = lang();
  render();
})();
