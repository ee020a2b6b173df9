"""`haveyoursay surveys check`: validates the shipped forms, names every problem in a broken folder."""

from __future__ import annotations

from pathlib import Path

from surveys.forms import FORMS_DIR

SHIPPED_IDS = ("child_before", "care_leaver_before", "parent_before", "carer_before", "health_before",
               "education_before", "guardian_before", "child_after", "carer_after", "care_leaver_after",
               "parent_after")

BROKEN = """\
id: broken_form
title: {en: "Broken"}
phase: consultation
roles: [child]
review_types: [CLA]
intro: {en: "Hello"}
thanks: {en: "Thanks"}
questions:
  - key: mood
    type: emoji_slider
    text: {en: "How are you?"}
"""


def test_check_passes_on_the_shipped_forms(app):
    result = app.test_cli_runner().invoke(args=["surveys", "check"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok ")}
    assert listed == set(SHIPPED_IDS)
    assert "error" not in result.output


def test_check_names_file_question_and_reason_for_a_broken_folder(app, tmp_path: Path):
    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    runner = app.test_cli_runner()
    for args in (["surveys", "check", "--dir", str(tmp_path)], ["surveys", "check", str(tmp_path)]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "broken.yaml: question 'mood'" in result.stderr
        assert "unknown question type 'emoji_slider'" in result.stderr
        assert "1 problem(s)" in result.stderr


def test_check_reports_every_file_in_the_folder(app, tmp_path: Path):
    """A good file next to a broken one: only the broken one is named, and the run still fails."""
    (tmp_path / "good.yaml").write_text((FORMS_DIR / "carer_after.yaml").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["surveys", "check", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "bad.yaml: not valid YAML" in result.stderr
    assert "good.yaml" not in result.stderr


def test_check_fails_on_an_empty_folder(app, tmp_path: Path):
    result = app.test_cli_runner().invoke(args=["surveys", "check", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "no form files" in result.stderr


def test_check_rejects_a_folder_that_does_not_exist(app, tmp_path: Path):
    result = app.test_cli_runner().invoke(args=["surveys", "check", "--dir", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "does not exist" in result.output
