"""Golden analyses: every sample page analyses exactly as recorded in tests/golden/samples.

After a deliberate change to extraction or enrichment, run `scripts/golden.py` and review the
diff of tests/golden/ like code.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from marketbrief.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("golden", ROOT / "scripts" / "golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GOLDEN = load_script()
PAGES = GOLDEN.sample_pages()


def test_every_sample_page_has_a_golden_file() -> None:
    expected = {GOLDEN.golden_name(p) for p in PAGES}
    assert expected == {p.name for p in GOLDEN.GOLDEN.glob("*.json")}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_analysis_matches_golden(page: Path, tmp_path: Path) -> None:
    got = GOLDEN.analyse_page(page, Settings(home=tmp_path))
    want = json.loads((GOLDEN.GOLDEN / GOLDEN.golden_name(page)).read_text(encoding="utf-8"))
    assert got == want, "analysis changed: run scripts/golden.py and review the diff"
