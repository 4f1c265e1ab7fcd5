"""core/static/confirm.js, run by Node against a minimal DOM: a refused question stops the action,
an accepted one lets it through, an element without data-confirm is never asked about."""
import json
import pathlib
import shutil
import subprocess

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "core" / "static" / "confirm.js"
HARNESS = """
const handlers = {};
global.document = {addEventListener: (type, fn) => { handlers[type] = fn; }};
let answer = false; const asked = [];
global.window = {confirm: (q) => { asked.push(q); return answer; }};
require(%(script)s);
function el(tag, attrs, parent) {
  return {tagName: tag, parent, getAttribute: (k) => (k in attrs ? attrs[k] : null),
          closest() { let e = this; while (e) { if (e.getAttribute('data-confirm') !== null) return e; e = e.parent; }
                      return null; }};
}
function fire(type, target) {
  const e = {target, prevented: false, preventDefault() { this.prevented = true; }, stopImmediatePropagation() {}};
  handlers[type](e); return e.prevented;
}
const form = el('FORM', {}, null), send = el('BUTTON', {'data-confirm': '发送？'}, form), test = el('BUTTON', {}, form);
const massForm = el('FORM', {'data-confirm': '全部？'}, null), inner = el('BUTTON', {}, massForm);
const out = {};
out.refused = fire('click', send);
answer = true; out.accepted = fire('click', send);
out.plain = fire('click', test);
answer = false; out.innerClick = fire('click', inner); out.formSubmit = fire('submit', massForm);
out.asked = asked;
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_confirm_script_stops_a_refused_action_only(tmp_path):
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS % {"script": json.dumps(str(SCRIPT))})
    result = json.loads(subprocess.run(["node", str(harness)], capture_output=True, text=True, check=True).stdout)
    assert result == {"refused": True, "accepted": False, "plain": False, "innerClick": False, "formSubmit": True,
                      "asked": ["发送？", "发送？", "全部？"]}
