"""Charts for the figures page, drawn on the server as SVG (matplotlib, Agg; no scripts).

Each chart is returned as a ``data:image/svg+xml`` URI for an ``<img>``: the page's
content security policy forbids inline style attributes, which matplotlib's SVG uses,
while an image document is styled on its own. Every chart sits beside a table holding
the same figures with their n, so the chart is never the only way to read them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

BRAND = "#1d4f91"
COLOURS = ("#1d4f91", "#00703c", "#b10e1e", "#f47738", "#505a5f", "#912b88")
# Fixed salt and no date: the same figures give byte-identical SVG (cacheable, testable).
RC = {"svg.hashsalt": "haveyoursay", "svg.fonttype": "none", "font.size": 9}


def _render(figure: Figure) -> str:
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(height: float) -> Figure:
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(6.4, height), layout="constrained")
    return figure


def bar_chart(labels: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
              percent: bool = True, horizontal: bool = False) -> str | None:
    """Grouped bars (one group per label, one bar per series); None when there is nothing to draw."""
    if not labels or not series or all(v is None for values in series.values() for v in values):
        return None
    with matplotlib.rc_context(RC):
        height = max(2.6, 0.38 * len(labels) * max(1, len(series)) + 1.2) if horizontal else 3.4
        figure = _figure(height)
        axes = figure.add_subplot()
        count = len(series)
        width = 0.8 / count
        positions = range(len(labels))
        for index, (name, values) in enumerate(series.items()):
            offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
            heights = [v or 0 for v in values]
            colour = COLOURS[index % len(COLOURS)]
            if horizontal:
                axes.barh(offsets, heights, height=width, label=name, color=colour)
            else:
                axes.bar(offsets, heights, width=width, label=name, color=colour)
        limit = 100 if percent else None
        if horizontal:
            axes.set_yticks(list(positions), [_short(label) for label in labels])
            axes.invert_yaxis()
            if limit:
                axes.set_xlim(0, limit)
                axes.set_xlabel("%")
        else:
            axes.set_xticks(list(positions), [_short(label, 14) for label in labels])
            if limit:
                axes.set_ylim(0, limit)
                axes.set_ylabel("%")
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        if count > 1:
            axes.legend(frameon=False, fontsize=8)
        return _render(figure)


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "\u2026"
