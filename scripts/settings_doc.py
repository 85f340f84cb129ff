"""Write docs/settings.md from the Settings class (run after changing a setting).

`tests/test_settings.py` fails when the page and the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from marketbrief.settings import ENV_PREFIX, Settings

PAGE = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
HEAD = """# Settings

One typed `Settings` (src/marketbrief/settings.py). Precedence: command-line flag >
`MARKETBRIEF_*` environment variable > TOML file > default. The TOML file is the one named by
`MARKETBRIEF_CONFIG` (or `--config`), else `<home>/marketbrief.toml` when it exists; its keys are
the setting names below (for example `http_timeout = 10`). Secrets are masked when shown.
This page is written by `scripts/settings_doc.py`; a test keeps it and the code in step.

| setting | environment | default | what it does |
|---|---|---|---|
"""


def env_name(name: str) -> str:
    return ENV_PREFIX + ("CONFIG" if name == "config_file" else name.upper())


def render() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "$XDG_DATA_HOME/marketbrief (~/.local/share/marketbrief)"
        else:
            default = str(field.default)
        rows.append(f"| `{name}` | `{env_name(name)}` | `{default}` | {field.description} |")
    return HEAD + "\n".join(rows) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
