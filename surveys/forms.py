"""Load the shipped form definitions and pick the right form for a respondent."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from surveys.schema import FormDefinition, FormError, SchemaProblem, validate_form

FORMS_DIR = Path(__file__).with_name("forms")


def load_form_file(path: Path) -> FormDefinition:
    """Parse and validate one form file; raise ``FormError`` naming the file on any problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FormError([SchemaProblem(path.name, None, f"not valid YAML: {exc}")]) from None
    return validate_form(raw, path.name)


def check_forms(directory: Path = FORMS_DIR) -> tuple[list[FormDefinition], list[SchemaProblem]]:
    """Validate every form file in a folder; return the good forms and every problem found."""
    forms: list[FormDefinition] = []
    problems: list[SchemaProblem] = []
    ids: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            form = load_form_file(path)
        except FormError as exc:
            problems.extend(exc.problems)
            continue
        if form.id in ids:
            problems.append(SchemaProblem(path.name, None, f"form id {form.id!r} is also used by {ids[form.id]}"))
            continue
        ids[form.id] = path.name
        forms.append(form)
    if not forms and not problems:
        problems.append(SchemaProblem(str(directory), None, "no form files (*.yaml) found"))
    return forms, problems


@lru_cache(maxsize=1)
def all_forms() -> dict[str, FormDefinition]:
    """Every shipped form by id; raises ``FormError`` if any shipped file is invalid."""
    forms, problems = check_forms()
    if problems:
        raise FormError(problems)
    return {form.id: form for form in forms}


def get_form(form_id: str) -> FormDefinition:
    """The shipped form with this id (``KeyError`` if there is none)."""
    return all_forms()[form_id]


def form_for(phase: str, role: str, review_type: str) -> FormDefinition | None:
    """The form a respondent in this role gets in this phase of this kind of review, if any."""
    for form in all_forms().values():
        if form.phase == phase and role in form.roles and review_type in form.review_types:
            return form
    return None
