// Ask before a mass or irreversible action. A form, or the button that submits it, carries
// data-confirm="the question"; the browser's confirm dialog must be accepted for it to submit.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
