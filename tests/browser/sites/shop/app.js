// The fixture shop's own script: client-side routing for one button, as single-page apps do.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-route]");
  if (!button) return;
  history.pushState({}, "", button.dataset.route);
  document.getElementById("title").textContent = "Projects";
});
