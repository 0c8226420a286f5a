// The example host page's script: load txstate's UI module, then mount two of its pages.
import init, { mount } from "/txstate-ui.js";

await init({ module_or_path: "/txstate-ui_bg.wasm" });

document.getElementById("host-login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = document.getElementById("host-token").value.trim();
  for (const [id, page] of [["composer", "compose"], ["dashboard", "dashboard"]]) {
    const el = document.getElementById(id);
    el.replaceChildren();
    mount(el, { baseUrl: "", token, page });
  }
});
