// The micro app's sign-in: ask DingTalk's JS API for a one-time code and post it (form #dingtalk-login).
(function () {
  var form = document.getElementById('dingtalk-login');
  if (!form) { return; }
  var dd = window.dd;
  function show(id) { document.getElementById('dingtalk-waiting').hidden = true; document.getElementById(id).hidden = false; }
  if (!dd || !dd.runtime || !dd.runtime.permission || !dd.runtime.permission.requestAuthCode) { show('dingtalk-outside'); return; }
  if (form.dataset.failed) { return; }
  dd.ready(function () {
    dd.runtime.permission.requestAuthCode({
      corpId: form.dataset.corpId,
      onSuccess: function (result) { form.elements.code.value = result.code; form.submit(); },
      onFail: function () { show('dingtalk-outside'); }
    });
  });
})();
