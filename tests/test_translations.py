"""Every UI string of core and of each plugin has its English translation (``?lang=en``)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parent.parent
CATALOGUES = [("babel.cfg", ROOT / "core")] + [
    (str(cfg.relative_to(ROOT)), cfg.parent) for cfg in sorted(ROOT.glob("plugins/*/babel.cfg"))]


@pytest.mark.parametrize("cfg,folder", CATALOGUES, ids=[str(folder.relative_to(ROOT)) for _, folder in CATALOGUES])
def test_every_string_has_an_english_translation(cfg, folder, tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", cfg, "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (folder / "translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        english = {m.id: m.string for m in read_po(fh) if m.id and not m.fuzzy}
    missing = sorted(str(i) for i in wanted if not english.get(i))
    assert not missing, f"{len(missing)} strings without English in {folder.name} (run ./dev.sh i18n): {missing[:20]}"


@pytest.mark.parametrize("cfg,folder", CATALOGUES, ids=[str(folder.relative_to(ROOT)) for _, folder in CATALOGUES])
def test_english_strings_carry_no_full_width_punctuation(cfg, folder):
    with (folder / "translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        english = [m.string for m in read_po(fh) if m.id and m.string]
    texts = [text for s in english for text in (s if isinstance(s, tuple) else (s,))]
    full_width = [text for text in texts if set(text) & set("，。：；（）！？、【】")]
    assert not full_width, f"{folder.name}: English with Chinese punctuation: {full_width[:10]}"
