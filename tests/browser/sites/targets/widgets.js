// A web component whose button lives in an open shadow root, and the app's own modal.
class ShadowCard extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: "open" });
    const button = document.createElement("button");
    button.id = "shadow-action";
    button.textContent = "Shadow action";
    root.append(button);
  }
}
customElements.define("shadow-card", ShadowCard);
document.getElementById("open-modal").addEventListener("click", () => {
  document.getElementById("host-modal").hidden = false;
});
