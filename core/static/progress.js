// An element with data-progress-url shows the "text" of that JSON in its .progress-text, polling every
// two seconds until the JSON says "finished"; with data-reload it then reloads the page.
document.querySelectorAll('[data-progress-url]').forEach(function (box) {
  function poll() {
    fetch(box.dataset.progressUrl, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (d) {
      box.querySelector('.progress-text').textContent = d.text;
      if (!d.finished) { setTimeout(poll, 2000); } else if ('reload' in box.dataset) { location.reload(); }
    });
  }
  poll();
});
