#!/usr/bin/env python3
"""Draws the charts of docs/benchmarks.md from the tables the benchmark scripts wrote there, and
links each chart right after the table it draws, inside the generated section: a chart never
disagrees with its table, and redrawing needs no benchmark run.

Usage: python3 bench/charts.py [--section NAME ...]

Every benchmark script runs it on its own section after writing it (harness.write_doc); run
alone, it redraws every chart from the doc as it is. The charts are SVG files in docs/charts,
drawn by matplotlib (pinned) in a virtualenv of its own under build/bench-venvs, where this
script reruns itself with --draw; the same tables give byte-identical files. When that
virtualenv cannot be made, the section keeps its tables without the chart links and the script
exits with 1; a benchmark run goes on.
"""

# ruff: noqa: RUF001, RUF002, RUF003  (the tables' typographic signs: µ, ×, –)

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from harness import DOC, ROOT, Peer, ensure_venv, progress, replace_section, run

CHART_DIR = DOC.parent / "charts"
# Not a peer: the virtualenv the charts are drawn in.
CHARTS_VENV = Peer("charts", "charts", "", ("matplotlib==3.11.2",))
VENV_ROOT = ROOT / "build" / "bench-venvs"
LINK = re.compile(r"!\[[^\]]*\]\(charts/[\w.-]+\.svg\)")

JWTFORT, REFERENCE, PEER = "#1f5fbf", "#6e6e6e", "#bdbdbd"
REFERENCES = ("OpenSSL floor", "no authentication")  # what jwtfort and the peers are held to


# --- the tables -----------------------------------------------------------------------------


@dataclass
class Table:
    heading: str  # the nearest heading above it, without its #s
    header: list[str]
    rows: list[list[str]]
    end: int  # the index of the line after its last row

    def column(self, prefix: str) -> int:
        return next(i for i, name in enumerate(self.header) if name.startswith(prefix))


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(lines: list[str]) -> list[Table]:
    """Every Markdown table in `lines` (a header row, a delimiter row, then rows)."""
    found: list[Table] = []
    heading = ""
    i = 0
    while i < len(lines):
        if lines[i].startswith("#"):
            heading = lines[i].lstrip("#").strip()
        delimiter = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", delimiter):
            end = i + 2
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            found.append(
                Table(heading, cells(lines[i]), [cells(r) for r in lines[i + 2 : end]], end)
            )
            i = end
        else:
            i += 1
    return found


def number(cell: str) -> float | None:
    """The number a cell starts with: `1,042` 1042, `12.4× (fast-jwt)` 12.4, `64%` 64; None for
    `–` (not measured) or text."""
    match = re.match(r"[-+]?\d[\d,]*(\.\d+)?", cell.strip("` "))
    return float(match.group().replace(",", "")) if match else None


# --- the charts -----------------------------------------------------------------------------


@dataclass
class Item:
    label: str
    value: float | None  # None: not measured, shown as the table shows it
    shown: str  # the table's cell, the bar's value label


@dataclass
class Panel:
    title: str
    axis: str  # the value axis: what, in which unit
    items: list[Item]


@dataclass(frozen=True)
class Chart:
    section: str  # the name in the section's markers: <!-- NAME:begin -->
    name: str  # docs/charts/NAME.svg
    title: str  # also the link's text
    finds: Callable[[Table], bool]  # the table it draws
    panels: Callable[[Table], list[Panel]]
    columns: int = 1  # panels side by side


def by_row(unit: str, axis: str) -> Callable[[Table], list[Panel]]:
    """A panel per row (an algorithm), a bar per column whose name ends with ` unit`, each panel
    on its own scale."""

    def panels(t: Table) -> list[Panel]:
        columns = [i for i, name in enumerate(t.header) if name.endswith(" " + unit)]
        return [
            Panel(
                row[0],
                axis,
                [
                    Item(t.header[i].removesuffix(" " + unit), number(row[i]), row[i])
                    for i in columns
                ],
            )
            for row in t.rows
        ]

    return panels


def by_column(
    columns: tuple[tuple[str, str, str], ...],
    label: Callable[[Table, list[str]], str],
    keep: Callable[[Table, list[str]], bool] = lambda t, row: True,
) -> Callable[[Table], list[Panel]]:
    """A panel per (column name prefix, title, axis) of `columns`, a bar per row `keep` keeps,
    named by `label`."""

    def panels(t: Table) -> list[Panel]:
        rows = [row for row in t.rows if keep(t, row)]
        return [
            Panel(
                title,
                axis,
                [Item(label(t, r), number(r[t.column(c)]), r[t.column(c)]) for r in rows],
            )
            for c, title, axis in columns
        ]

    return panels


def cell(t: Table, row: list[str], column: str) -> str:
    return row[t.column(column)].strip("`")


def protected(t: Table, row: list[str]) -> bool:
    return cell(t, row, "route") == "/protected"


def http_server(t: Table, row: list[str]) -> str:
    return f"{row[0]}\n{cell(t, row, 'threads').split(',')[0]}"


def app(t: Table, row: list[str]) -> str:
    # "jwtfort: fastapi-auth-jwt drop-in (jwtfort.fastapi.JWTAuthenticationMiddleware)": the
    # table has the whole name.
    return re.sub(r" \(.*\)$", "", row[0])


def oidc_route(t: Table, row: list[str]) -> str:
    token = cell(t, row, "Token")
    return row[0] if token == "–" else f"{row[0]}, {token}"


US_PER_CALL = "µs per call (shorter is faster)"
RPS = "requests/s (longer is better)"
CPU = "server CPU µs per request (shorter is better)"

CHARTS = (
    Chart(
        "results",
        "verify",
        "Verify one token: jwtfort, the OpenSSL floor and five libraries",
        lambda t: t.heading == "verify" and t.header[0] == "alg",
        by_row("µs", "µs per verification, wall clock (shorter is faster)"),
        columns=2,
    ),
    Chart(
        "results",
        "sign",
        "Sign one token: jwtfort, the OpenSSL floor and five libraries",
        lambda t: t.heading == "sign" and t.header[0] == "alg",
        by_row("µs", "µs per signature, wall clock (shorter is faster)"),
        columns=2,
    ),
    Chart(
        "http-results",
        "http",
        "HTTP: GET /protected with an HS256 token",
        lambda t: t.header[0] == "server" and "route" in t.header,
        by_column(
            (
                ("requests/s", "Requests per second", RPS),
                ("server CPU µs/request", "Server CPU time per request", CPU),
            ),
            http_server,
            lambda t, row: protected(t, row) and "(baseline)" not in row[0],
        ),
    ),
    Chart(
        "python-verify-results",
        "python-verify",
        "Python: verify one token, jwtfort against PyJWT and joserfc",
        lambda t: t.header[0] == "alg" and "PyJWT µs" in t.header,
        by_row("µs", US_PER_CALL),
    ),
    Chart(
        "python-results",
        "python-fastapi",
        "FastAPI: GET /protected, one uvicorn worker",
        lambda t: t.header[:2] == ["app", "route"],
        by_column(
            (
                ("requests/s", "Requests per second", RPS),
                ("server CPU µs/request", "Server CPU time per request", CPU),
            ),
            app,
            protected,
        ),
    ),
    Chart(
        "python-results",
        "python-auth-share",
        "FastAPI: what authentication costs, /protected against /public",
        lambda t: t.header[0] == "app" and t.header[1].startswith("authentication's share"),
        by_column(
            (
                (
                    "authentication's share",
                    "Authentication's share of throughput: 1 − /protected ÷ /public",
                    "% of /public's requests/s (shorter is better)",
                ),
                (
                    "server CPU µs/request",
                    "Server CPU time /protected adds to /public",
                    "µs per request (shorter is better)",
                ),
            ),
            app,
        ),
    ),
    Chart(
        "oidc-python-results",
        "oidc-python-verify",
        "Python: one verification of an OpenID Connect provider's token",
        lambda t: t.header[0] == "" and "RS256" in t.header,
        by_column(
            (
                ("RS256", "RS256", US_PER_CALL),
                ("ES256", "ES256", US_PER_CALL),
            ),
            lambda t, row: row[0],
        ),
    ),
    Chart(
        "oidc-python-results",
        "oidc-python-fastapi",
        "FastAPI: a provider's token on one app, both ways",
        lambda t: t.header[:2] == ["Route", "Token"],
        by_column(
            (
                ("Requests/s", "Requests per second", RPS),
                ("Server CPU µs/request", "Server CPU time per request", CPU),
            ),
            oidc_route,
        ),
    ),
)


def markers(section: str) -> tuple[str, str]:
    return f"<!-- {section}:begin -->", f"<!-- {section}:end -->"


def charted(section: str, lines: list[str]) -> list[tuple[Chart, Table]]:
    """The charts of `section` whose table is in `lines`, with that table."""
    found = tables(lines)
    pairs = [
        (c, next((t for t in found if c.finds(t)), None)) for c in CHARTS if c.section == section
    ]
    return [(c, t) for c, t in pairs if t is not None and t.rows]


def without_links(text: str) -> str:
    lines: list[str] = []
    for line in text.split("\n"):
        if LINK.fullmatch(line):
            if lines and not lines[-1]:
                lines.pop()
        else:
            lines.append(line)
    return "\n".join(lines)


def with_links(section: str, text: str) -> str:
    """`text` (the section, without links) with each chart's link after its table."""
    lines = text.split("\n")
    for chart, table in sorted(charted(section, lines), key=lambda p: -p[1].end):
        after = table.end
        link = ["", f"![{chart.title}](charts/{chart.name}.svg)"]
        lines[after:after] = link + ([""] if after < len(lines) and lines[after] else [])
    return "\n".join(lines)


def section_text(section: str) -> str | None:
    begin, end = markers(section)
    text = DOC.read_text()
    if begin not in text or end not in text:
        return None
    return begin + text.split(begin, 1)[1].split(end, 1)[0] + end


# --- drawing --------------------------------------------------------------------------------


def colour(label: str) -> str:
    if label.startswith("jwtfort"):
        return JWTFORT
    return REFERENCE if label in REFERENCES else PEER


def wrapped(label: str) -> str:
    return "\n".join(textwrap.fill(line, 34, break_long_words=False) for line in label.split("\n"))


def draw(chart: Chart, panels: list[Panel]) -> None:
    """Writes docs/charts/<chart.name>.svg: horizontal bars per panel, the panels in a grid of
    `chart.columns` columns, which share their bars' names."""
    import matplotlib  # only in the charts' virtualenv

    matplotlib.use("svg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    plt.rcParams.update(
        {
            "svg.hashsalt": "jwtfort",  # the same ids on every run
            "svg.fonttype": "none",  # text stays text
            "font.sans-serif": ["DejaVu Sans", "Arial"],
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    labels = [wrapped(item.label) for panel in panels for item in panel.items]
    row_height = 0.1 + 0.15 * max(label.count("\n") + 1 for label in labels)
    columns = chart.columns
    grid_rows = -(-len(panels) // columns)
    heights = [
        max(len(p.items) for p in panels[r * columns : (r + 1) * columns]) * row_height + 0.7
        for r in range(grid_rows)
    ]
    figure, axes = plt.subplots(
        grid_rows,
        columns,
        figsize=(7, sum(heights) + 0.4),
        height_ratios=heights,
        squeeze=False,
        layout="constrained",
    )
    shared_axis = len({p.axis for p in panels}) == 1
    for k, ax in enumerate(axes.flat):
        if k >= len(panels):
            ax.set_axis_off()
            continue
        panel = panels[k]
        rows = list(range(len(panel.items)))
        values = [item.value or 0.0 for item in panel.items]
        ax.barh(rows, values, height=0.7, color=[colour(i.label) for i in panel.items])
        for row, item in zip(rows, panel.items, strict=True):
            shown = item.shown if item.value is not None else "not measured"
            ax.text(item.value or 0.0, row, " " + shown, va="center", fontsize=8.5)
        ax.set_xlim(0, (max(values) or 1.0) * (1.2 if columns == 1 else 1.3))  # room for labels
        ax.xaxis.set_major_locator(MaxNLocator(5 if columns == 1 else 3))
        ax.xaxis.set_major_formatter(
            StrMethodFormatter("{x:,.0f}" if max(values) >= 5 else "{x:g}")
        )
        ax.set_yticks(rows, [wrapped(i.label) if k % columns == 0 else "" for i in panel.items])
        for tick, item in zip(ax.get_yticklabels(), panel.items, strict=True):
            if item.label.startswith("jwtfort"):
                tick.set_fontweight("bold")
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.set_title(panel.title, loc="left")
        if not shared_axis or k >= len(panels) - columns:
            ax.set_xlabel(panel.axis)
    figure.suptitle(chart.title, fontweight="bold", fontsize=11)
    CHART_DIR.mkdir(exist_ok=True)
    # bbox_inches="tight": the long app names on the y axis are not cut at the left edge.
    figure.savefig(
        CHART_DIR / f"{chart.name}.svg", format="svg", metadata={"Date": None}, bbox_inches="tight"
    )
    plt.close(figure)


def draw_section(section: str) -> None:
    text = section_text(section)
    for chart, table in charted(section, text.split("\n") if text else []):
        draw(chart, chart.panels(table))
        path = CHART_DIR / f"{chart.name}.svg"
        print(f"  drew {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)", flush=True)


# --- the section ----------------------------------------------------------------------------


def update(section: str) -> bool:
    """Links the section's charts after their tables and draws them; if they cannot be drawn,
    the section keeps its tables without the links (never a link to a chart of other numbers)."""
    text = section_text(section)
    if text is None:
        return True
    begin, end = markers(section)
    bare = without_links(text)
    linked = with_links(section, bare)
    if linked != text:
        replace_section(linked, begin, end)
    if linked == bare:
        return True
    try:
        python, _ = ensure_venv(CHARTS_VENV, VENV_ROOT)
        run([str(python), __file__, "--draw", "--section", section])
    except (OSError, RuntimeError) as e:
        replace_section(bare, begin, end)
        progress(
            f"charts of the {section} section skipped, its tables are written without them: {e} "
            "(python3 bench/charts.py draws them from the tables later)"
        )
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--section",
        action="append",
        help="the NAME of a section's <!-- NAME:begin --> marker (default: every charted one)",
    )
    parser.add_argument("--draw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sections = args.section or list(dict.fromkeys(c.section for c in CHARTS))
    if args.draw:  # in the charts' virtualenv
        for section in sections:
            draw_section(section)
        return 0
    return 0 if all([update(section) for section in sections]) else 1


if __name__ == "__main__":
    sys.exit(main())
