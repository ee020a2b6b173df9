"""The learned layer: its artefact matches the shipped corpus, it loads loudly, and the held-out figures hold."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from surveys import safeguarding, safeguarding_model
from surveys.safeguarding_model import ARTEFACT, ModelError, corpus_rows, corpus_sha256, load


def test_artefact_was_built_from_the_shipped_corpus():
    data = json.loads(ARTEFACT.read_text(encoding="utf-8"))
    assert data["corpus_sha256"] == corpus_sha256(), "rebuild: python -m surveys.safeguarding_model build"
    model = load()
    assert len(model.weights) > 1000 and 0.5 < model.threshold < 1.0


def test_rebuilding_reproduces_the_artefact():
    """Training is deterministic; a changed corpus or normaliser without a rebuild fails here."""
    pytest.importorskip("sklearn")
    rebuilt = safeguarding_model.build(write=False)
    shipped = load()
    assert rebuilt.threshold == shipped.threshold
    assert rebuilt.bias == pytest.approx(shipped.bias, abs=1e-4)
    assert rebuilt.weights.keys() == shipped.weights.keys()
    worst = max(abs(rebuilt.weights[k] - shipped.weights[k]) for k in shipped.weights)
    assert worst <= 1e-4


def test_a_missing_broken_or_stale_artefact_is_a_loud_error(tmp_path):
    with pytest.raises(ModelError):
        load(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError):
        load(broken)
    stale = tmp_path / "stale.json"
    data = json.loads(ARTEFACT.read_text(encoding="utf-8"))
    data["corpus_sha256"] = "0" * 64
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="another corpus"):
        load(stale)


def test_model_flags_a_paraphrase_no_rule_names_and_not_an_everyday_answer():
    model = safeguarding._model()
    assert model.flags(safeguarding.normalise("the group chat is all about making weapons to use on people"))
    assert not model.flags(safeguarding.normalise("i like pizza and football"))


def _held_out():
    rows = [r for r in corpus_rows() if r["split"] == "test"]
    flagged = [safeguarding.screen(r["text"], language=r["language"]).flagged for r in rows]
    return rows, flagged


def test_held_out_split_floors():
    """Regression floors on the held-out split (docs/safeguarding.md has the figures and the target).

    The issue's target is recall >= 98% for every category with at most 10% false alarms;
    measured on this split (the sixth set: fresh sentences by a second author, written after a
    fourth round of tuning and measured once) it is not met (overall recall 0.832, the weakest
    category 0.636, false alarms 6.5%), so these floors sit just under what was measured, to catch
    a regression, not to claim the target.
    """
    rows, flagged = _held_out()
    by_label = defaultdict(list)
    for row, flag in zip(rows, flagged, strict=True):
        by_label[row["label"]].append(flag)
    negatives = by_label.pop("none")
    recall = {label: sum(flags) / len(flags) for label, flags in by_label.items()}
    overall = sum(sum(f) for f in by_label.values()) / sum(len(f) for f in by_label.values())
    false_alarms = sum(negatives) / len(negatives)
    print({k: round(v, 3) for k, v in sorted(recall.items())}, round(overall, 3), round(false_alarms, 3))
    assert overall >= 0.82, overall
    assert min(recall.values()) >= 0.62, recall
    assert false_alarms <= 0.075, false_alarms


def test_test_rows_never_train_the_model():
    train_texts = {r["text"].lower() for r in corpus_rows() if r["split"] != "test"}
    test_rows = [r for r in corpus_rows() if r["split"] == "test"]
    assert test_rows and not any(r["text"].lower() in train_texts for r in test_rows)
