// Project scripts. Served from static files: the Content-Security-Policy forbids inline scripts.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
});

// A form marked data-warn-unsaved (the results grid) holds typed input until it is submitted:
// leaving the page any other way (a link, the language switch, signing out, the browser's
// back button) asks first. Submitting the form itself saves, so it does not ask.
(() => {
  const dirty = new Set();
  document.addEventListener("input", (event) => {
    const form = event.target.form || event.target.closest("form");
    if (form && form.hasAttribute("data-warn-unsaved")) dirty.add(form);
  });
  document.addEventListener("submit", (event) => {
    if (!event.defaultPrevented) dirty.delete(event.target);
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty.size) {
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to show the dialog
    }
  });
})();

// After a rejected submission, put the keyboard focus on the first field marked invalid (its
// error is announced through aria-describedby), not on the page's body.
document.addEventListener("DOMContentLoaded", () => {
  const invalid = document.querySelector("main .is-invalid:not([disabled])");
  if (invalid && !document.querySelector("[autofocus]:focus")) {
    invalid.focus();
    invalid.scrollIntoView({ block: "center" });
  }
});

// A table wider than its scroll box (on a phone) can be scrolled from the keyboard too: the box
// takes the focus only while it actually scrolls.
const keyboardScrollBoxes = (root) => {
  for (const box of root.querySelectorAll(".table-responsive")) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  }
};
document.addEventListener("DOMContentLoaded", () => keyboardScrollBoxes(document));
window.addEventListener("resize", () => keyboardScrollBoxes(document));
document.addEventListener("htmx:afterSwap", (event) => keyboardScrollBoxes(event.target));
