"""The learned layer of the safeguarding screen: a linear model over word and character n-grams.

It is trained from the labelled corpus the repo ships (``surveys/data/safeguarding/
examples_en.csv`` and ``examples_cy.csv``, reviewable by a safeguarding lead) and stored as a
small artefact, ``surveys/data/safeguarding/model.json``, built by

    .venv/bin/python -m surveys.safeguarding_model build

The artefact records the SHA-256 of the corpus files it was built from; ``load`` refuses an
artefact whose corpus has changed since (so the model cannot drift from the reviewed data),
and a test rebuilds it and checks the weights match. Screening needs no third-party package:
the model is a dictionary of feature weights, scored in plain Python in well under a
millisecond. Building it needs scikit-learn (a test dependency, not a runtime one).

Which rows train it: every row whose ``split`` is not ``test``. The ``test`` rows (one source
group in five per label, never used for choosing anything) measure the screen in
``bench/safeguarding.py --quality`` and docs/safeguarding.md. How the method was chosen
(logistic regression against naive Bayes on the ``dev`` rows) is in docs/safeguarding.md and
``python -m surveys.safeguarding_model compare``.

The model answers one question: does this read like a disclosure of harm (any category)?
Naming the category is the rules' job; a text only the model flags is reported as
``possible_harm`` with the reason "learned model". The model never unflags what a rule flags.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "safeguarding"
CORPUS_FILES: tuple[str, ...] = ("examples_en.csv", "examples_cy.csv")
ARTEFACT = DATA_DIR / "model.json"

# Chosen on the dev split (see docs/safeguarding.md): the regularisation strength of the
# logistic regression and the probability above which the model alone raises an alert.
# The threshold keeps the model's own false alarms on dev negatives at or under 3%.
C = 4.0
MAX_MODEL_FALSE_ALARMS = 0.03
# Weights smaller than this are dropped from the artefact (keeps it small; the scores the
# figures were measured with are those of the pruned model, as shipped).
PRUNE_BELOW = 0.02


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class ModelError(RuntimeError):
    """The learned layer cannot load: the app must not start with fewer checks."""


_WORDS = re.compile(r"[a-z0-9]+")


def features(normal: str) -> list[str]:
    """Word unigrams and bigrams, and character 3- to 5-grams inside words (for typos)."""
    words = _WORDS.findall(normal)
    out = ["w:" + w for w in words]
    out += ["b:" + a + "_" + b for a, b in zip(words, words[1:], strict=False)]
    for word in words:
        padded = f"<{word}>"
        for n in (3, 4, 5):
            out += ["c:" + padded[i:i + n] for i in range(len(padded) - n + 1)]
    return out


@dataclass(frozen=True)
class LinearModel:
    """Logistic regression over binary, L2-normalised features: P(disclosure) = sigmoid(b + w.x)."""

    bias: float
    weights: dict[str, float]
    threshold: float
    corpus_sha256: str = ""

    def score(self, normal: str) -> float:
        """Log-odds that the text is a disclosure."""
        present = set(features(normal))
        if not present:
            return self.bias
        # every feature present counts in the norm (known or not), as it did in training
        return self.bias + sum(self.weights.get(f, 0.0) for f in present) / math.sqrt(len(present))

    def probability(self, normal: str) -> float:
        return _sigmoid(self.score(normal))

    def flags(self, normal: str) -> bool:
        return self.probability(normal) >= self.threshold


@dataclass(frozen=True)
class NaiveBayes:
    """Bernoulli-style naive Bayes over the same features (pure Python), for the comparison."""

    log_ratio: dict[str, float]
    prior: float
    threshold: float = 0.5

    def score(self, normal: str) -> float:
        """Log-odds that the text is a disclosure (naive Bayes's are far too confident)."""
        return self.prior + sum(self.log_ratio.get(f, 0.0) for f in set(features(normal)))

    def probability(self, normal: str) -> float:
        return _sigmoid(self.score(normal))

    def flags(self, normal: str) -> bool:
        return self.probability(normal) >= self.threshold


# --- the corpus ----------------------------------------------------------------------

def corpus_sha256() -> str:
    """SHA-256 over the corpus files, in order (what the artefact was built from)."""
    digest = hashlib.sha256()
    for name in CORPUS_FILES:
        digest.update(name.encode())
        digest.update((DATA_DIR / name).read_bytes())
    return digest.hexdigest()


def corpus_rows() -> list[dict[str, str]]:
    """Every labelled row (label, text, kind, group, split) with its language added."""
    rows: list[dict[str, str]] = []
    for name in CORPUS_FILES:
        language = name.removeprefix("examples_").removesuffix(".csv")
        with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append({**row, "language": language})
    return rows


# --- loading -------------------------------------------------------------------------

def load(path: Path = ARTEFACT) -> LinearModel:
    """The shipped model; raises ``ModelError`` if it is missing, unreadable or stale."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = LinearModel(bias=float(data["bias"]), weights={str(k): float(v) for k, v in data["weights"].items()},
                            threshold=float(data["threshold"]), corpus_sha256=str(data["corpus_sha256"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"safeguarding model {path} cannot be loaded: {error}") from error
    try:
        current = corpus_sha256()
    except OSError as error:
        raise ModelError(f"safeguarding corpus cannot be read: {error}") from error
    if model.corpus_sha256 != current:
        raise ModelError(f"safeguarding model {path} was built from another corpus; rebuild it with "
                         "`python -m surveys.safeguarding_model build`")
    if not model.weights or not 0.0 < model.threshold < 1.0:
        raise ModelError(f"safeguarding model {path} has no weights or a threshold out of range")
    return model


# --- training (needs scikit-learn, a build/test dependency) --------------------------------

def _matrix(texts: list[str], vocabulary: dict[str, int] | None = None):
    from scipy.sparse import csr_matrix

    grow = vocabulary is None
    vocab: dict[str, int] = {} if vocabulary is None else vocabulary
    indptr, indices, data = [0], [], []
    for text in texts:
        present = set(features(text))
        cols = []
        for feature in present:
            index = vocab.get(feature)
            if index is None and grow:
                index = vocab[feature] = len(vocab)
            if index is not None:
                cols.append(index)
        cols.sort()
        # the norm counts every feature present, known or not, as LinearModel.probability does
        value = 1.0 / math.sqrt(len(present)) if present else 0.0
        indices += cols
        data += [value] * len(cols)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab))), vocab


def train_logistic(texts: list[str], harmful: list[bool], c: float = C, threshold: float = 0.5) -> LinearModel:
    """Fit the logistic regression (liblinear, balanced classes, fixed seed: deterministic)."""
    from sklearn.linear_model import LogisticRegression

    matrix, vocab = _matrix(texts)
    fitted = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=5000, random_state=0)
    fitted.fit(matrix, harmful)
    names = sorted(vocab, key=vocab.__getitem__)
    weights = {name: round(float(w), 4) for name, w in zip(names, fitted.coef_[0], strict=True)
               if abs(w) >= PRUNE_BELOW}
    return LinearModel(bias=round(float(fitted.intercept_[0]), 4), weights=weights, threshold=threshold)


def train_naive_bayes(texts: list[str], harmful: list[bool], alpha: float = 1.0) -> NaiveBayes:
    """Naive Bayes over feature presence, with equal class priors (pure Python)."""
    counts = {True: {}, False: {}}
    docs = {True: 0, False: 0}
    for text, label in zip(texts, harmful, strict=True):
        docs[label] += 1
        for feature in set(features(text)):
            counts[label][feature] = counts[label].get(feature, 0) + 1
    ratio = {}
    for feature in set(counts[True]) | set(counts[False]):
        p_yes = (counts[True].get(feature, 0) + alpha) / (docs[True] + 2 * alpha)
        p_no = (counts[False].get(feature, 0) + alpha) / (docs[False] + 2 * alpha)
        ratio[feature] = math.log(p_yes) - math.log(p_no)
    return NaiveBayes(log_ratio=ratio, prior=0.0)


def choose_threshold(probabilities: Iterable[float], negatives: Iterable[bool],
                     max_false_alarms: float = MAX_MODEL_FALSE_ALARMS) -> float:
    """The lowest threshold whose false alarms on the negatives stay within the budget."""
    neg_scores = sorted((p for p, is_negative in zip(probabilities, negatives, strict=True) if is_negative),
                        reverse=True)
    if not neg_scores:
        return 0.5
    allowed = int(max_false_alarms * len(neg_scores))
    # flag score >= threshold: just above the (allowed+1)-th highest negative's score
    cut = neg_scores[allowed] if allowed < len(neg_scores) else min(neg_scores)
    return cut + 1e-6


def _texts(rows: list[dict[str, str]], normalise: Callable[[str], str]) -> tuple[list[str], list[bool]]:
    return [normalise(r["text"]) for r in rows], [r["label"] != "none" for r in rows]


def build(write: bool = True) -> LinearModel:
    """Choose the threshold on dev (model fitted on train), refit on train+dev, write the artefact."""
    from surveys.safeguarding import normalise

    rows = corpus_rows()
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    x_train, y_train = _texts(train, normalise)
    x_dev, y_dev = _texts(dev, normalise)
    probe = train_logistic(x_train, y_train)
    threshold = round(choose_threshold([probe.probability(x) for x in x_dev], [not y for y in y_dev]), 4)
    final = train_logistic(x_train + x_dev, y_train + y_dev, threshold=threshold)
    model = LinearModel(bias=final.bias, weights=final.weights, threshold=threshold, corpus_sha256=corpus_sha256())
    if write:
        payload = {"about": "Safeguarding screen's learned layer: logistic regression weights, built by "
                            "`python -m surveys.safeguarding_model build` from the corpus with this SHA-256.",
                   "corpus_sha256": model.corpus_sha256, "c": C, "threshold": model.threshold,
                   "bias": model.bias, "weights": dict(sorted(model.weights.items()))}
        ARTEFACT.write_text(json.dumps(payload, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    return model


def compare() -> list[str]:
    """Logistic regression vs naive Bayes, both fitted on train, scored on dev (the method choice)."""
    import time

    from surveys.safeguarding import normalise

    rows = corpus_rows()
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    x_train, y_train = _texts(train, normalise)
    x_dev, y_dev = _texts(dev, normalise)
    lines = []
    for name, fit in (("logistic regression C=1", lambda: train_logistic(x_train, y_train, c=1.0)),
                      ("logistic regression C=4", lambda: train_logistic(x_train, y_train, c=4.0)),
                      ("naive Bayes", lambda: train_naive_bayes(x_train, y_train))):
        started = time.perf_counter()
        model = fit()
        fit_seconds = time.perf_counter() - started
        probabilities = [model.score(x) for x in x_dev]
        started = time.perf_counter()
        for x in x_dev:
            model.score(x)
        per_message_ms = (time.perf_counter() - started) / len(x_dev) * 1000
        for budget in (0.03, 0.10):
            threshold = choose_threshold(probabilities, [not y for y in y_dev], budget)
            flagged = [p >= threshold for p in probabilities]
            positives = sum(y_dev)
            hits = sum(f and y for f, y in zip(flagged, y_dev, strict=True))
            false_alarms = sum(f and not y for f, y in zip(flagged, y_dev, strict=True))
            lines.append(f"{name:26s} fit {fit_seconds:5.1f} s  {per_message_ms:.3f} ms/msg  "
                         f"false-alarm budget {budget:.0%}: log-odds threshold {threshold:6.2f} recall {hits / positives:.3f} "
                         f"false alarms {false_alarms}/{len(y_dev) - positives}")
    return lines


if __name__ == "__main__":  # pragma: no cover - a build tool
    command = sys.argv[1] if len(sys.argv) > 1 else "build"
    if command == "build":
        built = build()
        print(f"wrote {ARTEFACT} ({len(built.weights)} weights, threshold {built.threshold})")
    elif command == "compare":
        print("\n".join(compare()))
    else:
        raise SystemExit("usage: python -m surveys.safeguarding_model [build|compare]")
