"""The bundled SAMPLE sources for ``marketbrief demo``: fictional market news, not real news.

Three feeds under ``feeds/`` (RSS 2.0, Atom 1.0, JSON Feed 1.1) whose entries link, by paths
relative to the feed file, to HTML pages under ``articles/<feed>/``; a sample reader in
``readers.toml``; and in ``manifest.toml`` what each article is meant to yield (companies, events,
key dates, story groups), which is what the demo should show. README.md beside this file says
more. The files are package data: read them through :func:`samples_dir`.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from marketbrief.errors import ConfigError

FEED_FILES: tuple[str, ...] = ("feeds/wire.xml", "feeds/street.atom", "feeds/desk.json")
READERS_FILE = "readers.toml"
MANIFEST_FILE = "manifest.toml"


def samples_dir() -> Path:
    """The folder that holds the samples, as a path on disk.

    Feed entries link to pages by relative paths, so the demo needs a real folder to resolve
    them against; an install that keeps the package inside a zip file has none.
    """
    root = resources.files(__name__)
    if not isinstance(root, Path) or not root.is_dir():
        raise ConfigError(
            "the bundled samples are not a folder on disk (installed as a zip?); "
            "reinstall marketbrief unpacked to run the demo",
            key=__name__,
        )
    return root


def list_feed_files() -> tuple[Path, ...]:
    """The three sample feed files, in the order wire (RSS), street (Atom), desk (JSON Feed)."""
    root = samples_dir()
    return tuple(root / name for name in FEED_FILES)


def samples_as_of() -> datetime:
    """The demo's clock: the ``as_of`` instant of ``readers.toml``, the end of the sample week."""
    manifest = tomllib.loads((samples_dir() / READERS_FILE).read_text("utf-8"))
    as_of = datetime.fromisoformat(str(manifest["as_of"]).replace("Z", "+00:00"))
    return as_of.astimezone(UTC)
