"""The message catalogue: every respondent-facing text that is not part of a form.

One YAML file per language (``en.yaml`` is complete; other languages may be partial
and fall back to English key by key). Values are plain strings with ``{placeholders}``.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml

CATALOGUE_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


class _KeepMissing(dict):
    """Leave a placeholder the caller did not fill as it is instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@lru_cache(maxsize=32)
def load(language: str) -> dict[str, str]:
    """The catalogue of one language as a dict (empty if there is no file for it)."""
    if not language.replace("_", "").replace("-", "").isalnum():
        return {}
    path = CATALOGUE_DIR / f"{language}.yaml"
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ValueError(f"{path.name}: the catalogue must map keys to plain strings")
    return {str(k): v.strip() for k, v in raw.items()}


def languages() -> list[str]:
    """Every language that has a catalogue file."""
    return sorted(p.stem for p in CATALOGUE_DIR.glob("*.yaml"))


def has(key: str) -> bool:
    """Whether the English catalogue defines this key."""
    return key in load(DEFAULT_LANGUAGE)


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a catalogue text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``language`` (falling back to English), placeholders filled.

    Raises ``KeyError`` for a key the English catalogue does not define.
    """
    english = load(DEFAULT_LANGUAGE)
    if key not in english:
        raise KeyError(f"message catalogue has no key {key!r}")
    template = load(language or DEFAULT_LANGUAGE).get(key, english[key])
    if not values and "{" not in template:
        return template
    return template.format_map(_KeepMissing({k: str(v) for k, v in values.items()}))
