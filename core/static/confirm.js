// Ask before a mass or irreversible action. The button (or link) that does it carries
// data-confirm="the question", or its form does; the browser's confirm dialog must be accepted.
// A click covers Enter in a field too: the browser submits a form by clicking its default button.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (target && target.tagName !== "FORM" && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
