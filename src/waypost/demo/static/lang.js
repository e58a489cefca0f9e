// Sets the page's language before waypost.js starts (it picks its texts by <html lang>).
(() => {
  try {
    const saved = JSON.parse(localStorage.getItem("acme-demo") || "null");
    const wanted = (saved && saved.lang) || (navigator.language.toLowerCase().startsWith("ja") ? "ja" : "en");
    document.documentElement.lang = wanted;
  } catch {
    // Storage refused: the browser's language applies.
  }
})();
