"""Trend charts as inline SVG drawn on the server: no chart script, nothing to load.

Styling comes from app.css through classes (the CSP forbids inline styles). A round
whose figure is suppressed leaves a gap in the line, never a guessed point.
"""
from markupsafe import Markup, escape

SCALES = {"mean": (1.0, 5.0), "enps": (-100.0, 100.0)}


def _fmt(value, metric):
    return f"{value:+d}" if metric == "enps" else f"{value:.1f}"


def trend_svg(points, metric, width=160, height=40, labelled=False):
    """points: [(round name, value or None)], oldest first."""
    low, high = SCALES[metric]
    pad = 4
    step = (width - 2 * pad) / max(1, len(points) - 1)

    def xy(index, value):
        y = height - pad - (value - low) / (high - low) * (height - 2 * pad)
        return round(pad + index * step, 1), round(y, 1)

    segments, current, dots = [], [], []
    for index, (name, value) in enumerate(points):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        x, y = xy(index, value)
        current.append(f"{x},{y}")
        dots.append(f'<circle class="dot" cx="{x}" cy="{y}" r="2.5">'
                    f'<title>{escape(name)}: {_fmt(value, metric)}</title></circle>')
    if current:
        segments.append(current)
    described = "; ".join(f"{name}: {'suppressed' if v is None else _fmt(v, metric)}"
                          for name, v in points)
    lines = "".join(f'<polyline class="line" points="{" ".join(s)}"/>' for s in segments)
    axis = ""
    if labelled:
        _x, mid = xy(0, (low + high) / 2)
        axis = f'<line class="axis" x1="{pad}" x2="{width - pad}" y1="{mid}" y2="{mid}"/>'
    return Markup(
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="Trend: {escape(described)}">{axis}{lines}{"".join(dots)}</svg>')
