"""The portal's pages as files: HTML through the templates in ``perfeval/templates/site/``,
charts as PNG files beside them (drawn by :mod:`perfeval.present.charts`), CSV downloads.

Each ``*_page`` function takes what the page shows (from :mod:`perfeval.site.content`) and
returns ``{relative path: bytes}`` for the page and the images and downloads only it uses.
Every number is formatted by :mod:`perfeval.core.formatting`; every table is the reports'
accessible table (:func:`perfeval.present.section.table_block`) unless it needs links.
"""

from __future__ import annotations

import base64
import hashlib
import html
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from perfeval.core.formatting import format_number, format_value, join_words, plural
from perfeval.core.paths import PACKAGE_DIR
from perfeval.core.periods import parse_period
from perfeval.present import charts
from perfeval.present.section import figure_png, render_blocks, table_block
from perfeval.run.publish import CONTENT_SECURITY_POLICY
from perfeval.sections import annual
from perfeval.site.content import PRIORITIES, PiStory, SiteContent, slug
from perfeval.stats import funnel as funnel_rules
from perfeval.stats import scorecard, spc
from perfeval.stats.rag import RAG_STATES

__all__ = [
    "FILTER_SCRIPT",
    "site_csp",
    "Chart",
    "scorecard_rows",
    "filter_groups",
    "headline_items",
    "render_page",
]

#: The one script of the portal, inline on the scorecard pages: it shows the filter form and
#: hides the rows that do not match. Without it the filter links lead to pre-built pages.
FILTER_SCRIPT = (
    "(function () {"
    " var form = document.getElementById('filter-form');"
    " var table = document.getElementById('scorecard');"
    " if (!form || !table) { return; }"
    " var count = document.getElementById('filter-count');"
    " var selects = form.querySelectorAll('select');"
    " var rows = table.tBodies[0].rows;"
    " function apply() {"
    "  var shown = 0;"
    "  for (var i = 0; i < rows.length; i++) {"
    "   var keep = true;"
    "   for (var j = 0; j < selects.length; j++) {"
    "    var want = selects[j].value;"
    "    var have = rows[i].getAttribute('data-' + selects[j].dataset.filter);"
    "    if (want && have !== want) { keep = false; }"
    "   }"
    "   rows[i].hidden = !keep; if (keep) { shown++; }"
    "  }"
    "  count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' indicators.';"
    " }"
    " form.hidden = false;"
    " form.addEventListener('change', apply);"
    " form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });"
    " form.addEventListener('reset', function () { setTimeout(apply, 0); });"
    "})();"
)


def site_csp(script: str = FILTER_SCRIPT) -> str:
    """The portal's Content-Security-Policy: the reports' policy
    (:data:`perfeval.run.publish.CONTENT_SECURITY_POLICY`), with images from the site's own
    folder besides ``data:`` and the one inline script allowed by its SHA-256 hash (never
    ``'unsafe-inline'``)."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = CONTENT_SECURITY_POLICY.replace("img-src data:", "img-src 'self' data:")
    return f"{policy}; script-src 'sha256-{digest}'"


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PACKAGE_DIR / "templates" / "site")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _css() -> str:
    return (PACKAGE_DIR / "templates" / "site" / "style.css").read_text(encoding="utf-8")


def render_page(template: str, **context: Any) -> bytes:
    """A page through its template, with the site's style, policy and version."""
    from perfeval import __version__

    page = (
        _environment()
        .get_template(template)
        .render(csp=site_csp(), css=_css(), version=__version__, **context)
    )
    return page.encode("utf-8")


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Chart:
    """A chart as a file of the site: its path, text alternative, caption and pixel size."""

    src: str
    alt: str
    caption: str
    width: int
    height: int
    png: bytes


def chart_file(fig: Any, src: str, alt: str, caption: str) -> Chart:
    """The figure saved as PNG (the reports' deterministic :func:`figure_png`), closed."""
    png = base64.b64decode(figure_png(fig))
    width, height = struct.unpack(">II", png[16:24])
    return Chart(src=src, alt=alt, caption=caption, width=width, height=height, png=png)


# --------------------------------------------------------------------------- formatting

FLAGS = {"provisional": "p", "estimated": "e", "revised": "r"}


def value_text(value: Any, decimals: Any, unit: str, symbol: Any = None, status: Any = None) -> str:
    """A value as the reports show it: the PI's decimals and unit symbol, its flag, or the
    symbol standing for a missing value."""
    if pd.isna(value):
        return symbol if isinstance(symbol, str) else ""
    return format_value(float(value), int(decimals), scorecard.unit_symbol(unit), FLAGS.get(status))


def rank_text(rank: Any, n_ranked: Any) -> str:
    """``7 of 15`` (``1.5 of 16`` for a tie), or blank when the PI is not ranked."""
    if pd.isna(rank):
        return ""
    # a tie shares the mid-rank (2.5), written as the reports' benchmark table writes it
    return f"{format_number(float(rank), 1, trim_zeros=True)} of {int(n_ranked)}"


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def scorecard_rows(card: pd.DataFrame) -> list[dict[str, str]]:
    """The site scorecard as the table's rows of text (with the filter values as slugs)."""
    rows = []
    for r in card.to_dict("records"):
        rows.append(
            {
                "code": r["indicator"],
                "page": f"{r['indicator']}.html",
                "title": f"{r['title']} ({r['unit']})",
                "service": r["service"],
                "service_slug": r["service_slug"],
                "period": r["period"],
                "value": value_text(
                    r["value"], r["decimals"], r["unit"], r["value_symbol"], r["status"]
                ),
                "target": value_text(r["target"], r["decimals"], r["unit"]),
                "status": _text(r["rag_label"]),
                "status_slug": slug(_text(r["rag"])),
                "direction": _text(r["dot_label"]),
                "variation": r["variation"],
                "assurance": r["assurance"],
                "rank": rank_text(r["rank"], r["n_ranked"]),
                "quartile": scorecard.quartile_texts(pd.DataFrame({"quartile": [r["quartile"]]}))[
                    0
                ],
                "priority": r["priority"],
                "priority_slug": slug(r["priority"]),
            }
        )
    return rows


FILTER_KINDS = (
    ("service", "Service"),
    ("status", "Status against target"),
    ("priority", "Priority"),
)


def filter_values(card: pd.DataFrame, kind: str) -> list[tuple[str, str, int]]:
    """The values a filter offers, as ``(slug, label, count)``, in a reader's order: services
    alphabetically, statuses in RAG order, priorities in clinic order; only values some PI has."""
    if kind == "service":
        labels = sorted(set(card["service"]))
        column = card["service"]
    elif kind == "status":
        labels = [s for s in RAG_STATES if s in set(card["rag"].astype(object))]
        column = card["rag"].astype(object)
    else:
        labels = [p for p in PRIORITIES if p in set(card["priority"])]
        column = card["priority"]
    return [(slug(label), label, int((column == label).sum())) for label in labels]


def filter_page(kind: str, value_slug: str) -> str:
    """The path of a pre-built filtered scorecard."""
    return f"filter/{kind}-{value_slug}.html"


def filter_groups(card: pd.DataFrame, current: tuple[str, str] | None = None) -> list[dict]:
    """The filter links and options: one group per kind with its values and counts."""
    groups = []
    for kind, label in FILTER_KINDS:
        options = [
            {
                "slug": value_slug,
                "label": name,
                "count": count,
                "href": filter_page(kind, value_slug),
                "current": current == (kind, value_slug),
            }
            for value_slug, name, count in filter_values(card, kind)
        ]
        groups.append({"kind": kind, "label": label, "options": options})
    return groups


def filter_rows(card: pd.DataFrame, kind: str, value_slug: str) -> pd.DataFrame:
    """The scorecard rows a filter value keeps."""
    column = {
        "service": card["service_slug"],
        "status": card["rag"].astype(object).map(_slug_or_blank),
        "priority": card["priority"].map(slug),
    }[kind]
    return card[column == value_slug]


def _slug_or_blank(value: Any) -> str:
    return slug(_text(value))


#: Headline measures counted out of the PIs with a previous value to compare, and out of those
#: ranked among enough comparators; every other measure is out of the whole scorecard.
def headline_items(content: SiteContent) -> list[str]:
    """The headline counts, each with its base, in State of the Nation's sentences
    (:func:`perfeval.sections.annual.headline_sentences`): every state against target adding up
    to the indicators counted, then direction of travel and quartiles."""
    return annual.headline_sentences(content.card, council=content.council_name, year=content.year)


# --------------------------------------------------------------------------- common text


def data_sentence(content: SiteContent) -> str:
    """What kind of figures the site shows, in one sentence."""
    if not content.synthetic_tables:
        return "Every figure on this site is from the data folder as published."
    return (
        f"Some figures on this site are SYNTHETIC (generated for testing), not "
        f"{content.council_name}'s real performance: the {join_words(content.synthetic_tables)} "
        f"rows labelled synthetic in the data. Each indicator's page says whether its own "
        f"figures are "
        f"published or synthetic."
    )


def absent_sentences(content: SiteContent) -> list[str]:
    """One sentence per register or table the folder lacks for the council."""
    missing = []
    if content.budget is None:
        missing.append("budget monitoring")
    if content.actions is None:
        missing.append("improvement actions")
    if content.risks is None:
        missing.append("a risk register")
    if not missing:
        return []
    return [
        f"The data folder has no {join_words(missing, 'or')} for {content.council_name}, "
        "so this site "
        f"leaves {'them' if len(missing) > 1 else 'it'} out."
    ]


def common_context(content: SiteContent, root: str) -> dict[str, Any]:
    """What every page's frame shows: the site's name, the links' root and the footer."""
    return {
        "site_name": f"{content.council_name} performance portal",
        "root": root,
        "footer": (
            f"Performance of {content.council_name} ({content.council}) for {content.year}, "
            f"against the comparator group {content.group}. Built by perfeval from the same data "
            "and functions as its reports; site-manifest.json lists the hash of every page's "
            "inputs."
        ),
    }


# --------------------------------------------------------------------------- pages


def scorecard_page(
    content: SiteContent, rows: pd.DataFrame, *, title: str, root: str, current=None, intro=()
) -> bytes:
    """The home page (all PIs) or a pre-built filtered list."""
    caption = (
        f"{plural(len(rows), 'indicator')}: latest annual outturn to {content.year}, target, "
        f"status, direction of travel, SPC variation and assurance, rank among comparators"
    )
    return render_page(
        "home.html.j2",
        title=title,
        current="home" if current is None else None,
        crumbs=[] if current is None else [("Scorecard", f"{root}index.html")],
        intro=list(intro),
        headlines=headline_items(content) if current is None else [],
        filters=filter_groups(content.card, current),
        form=current is None,
        rows=scorecard_rows(rows),
        caption=caption,
        notes=[
            "Status against target: the end-of-year review's RAG rule; direction of travel "
            "against the previous year; SPC: NHS England's Making Data Count on the PI's "
            "quarterly or monthly values where it has them, else its annual values; rank and "
            "quartile among the comparator group (1 = best); priority: the performance clinic "
            "group (red and worsening first).",
            *absent_sentences(content),
        ],
        script=FILTER_SCRIPT if current is None else None,
        **common_context(content, root),
    )


def home_page(content: SiteContent) -> bytes:
    """``index.html``: the scorecard for the latest period with its filters and headlines."""
    intro = [
        f"Every performance indicator of {content.council_name} for {content.year}: its latest "
        f"value, target and status, with a page of its own for its whole history.",
        data_sentence(content),
    ]
    return scorecard_page(
        content, content.card, title=f"Performance scorecard {content.year}", root="", intro=intro
    )


def filtered_page(content: SiteContent, kind: str, value_slug: str, label: str) -> bytes:
    """A pre-built filtered scorecard (what the filter links open with scripts off)."""
    rows = filter_rows(content.card, kind, value_slug)
    name = dict(FILTER_KINDS)[kind]
    return scorecard_page(
        content,
        rows,
        title=f"{name}: {label}",
        root="../",
        current=(kind, value_slug),
        intro=[
            f"The indicators whose {name.lower()} is {label}: {plural(len(rows), 'indicator')}."
        ],
    )


def _table(frame: pd.DataFrame, caption: str, **kwargs: Any) -> str:
    return render_blocks([table_block(frame, caption, **kwargs)])


def values_frame(story: PiStory) -> pd.DataFrame:
    """The values of a PI as the page's table shows them (and the CSV has them unformatted)."""
    reg = story.register
    return pd.DataFrame(
        {
            "Period": story.history["period"],
            "Value": [
                value_text(v, reg["decimals"], reg["unit"], s, st)
                for v, s, st in zip(
                    story.history["value"], story.history["value_symbol"], story.history["status"]
                )
            ],
            "Target": [
                value_text(v, reg["decimals"], reg["unit"]) for v in story.history["target"]
            ],
            "Status": story.history["status"],
            "Note": story.history["note"],
        }
    )


def values_csv(story: PiStory, code: str) -> bytes:
    """The PI's values as CSV: code, period, value, symbol, status, note, target."""
    frame = story.history.assign(indicator=code)[
        ["indicator", "period", "value", "value_symbol", "status", "note", "target"]
    ]
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def facts(story: PiStory, content: SiteContent) -> list[tuple[str, str]]:
    """The PI's definition list: code, unit, polarity, frequency, service, owner, source, and
    whether its figures are published or synthetic."""
    reg = story.register
    better = {
        "higher": "higher is better",
        "lower": "lower is better",
        "neutral": "no better direction",
    }
    synthetic = bool(story.row["synthetic"])
    return [
        ("Code", str(story.row["indicator"])),
        ("Definition", str(reg["title"])),
        ("Unit", str(reg["unit"])),
        ("Polarity", better.get(str(reg["polarity"]), str(reg["polarity"]))),
        ("Frequency", str(reg.get("frequency", ""))),
        ("Service", str(reg["service"])),
        ("Owner", _text(reg.get("owner")) or "not recorded"),
        ("Source", _text(reg.get("source")) or "not recorded"),
        (
            "Figures",
            "SYNTHETIC (generated for testing), not real performance"
            if synthetic
            else "published figures",
        ),
    ]


def spc_text(story: PiStory) -> list[str]:
    """The Making Data Count variation and assurance in words."""
    if story.spc is None:
        return [
            f"{story.row['title']} has no value for {story.row['period'] or 'any period'}, "
            "so it has no chart."
        ]
    sentence = spc.describe_variation_and_assurance(
        story.spc,
        unit=scorecard.unit_symbol(story.register["unit"]),
        decimals=int(story.register["decimals"]),
    )
    observed = story.spc[story.spc["point_type"] != "missing"]
    points = len(observed)
    provisional = (
        " (limits on fewer than 13 points are provisional)"
        if points < spc.MIN_POINTS_FOR_LIMITS
        else ""
    )
    return [
        f"Variation: {story.row['variation']}. Assurance: {story.row['assurance']}.",
        sentence,
        f"The chart has {plural(points, point_word(observed.index[0]))}, {observed.index[0]} to "
        f"{observed.index[-1]}{provisional}.",
    ]


def point_word(period: str) -> str:
    """``annual value``, ``quarterly value`` or ``monthly value``, for a period label."""
    return {"year": "annual value", "quarter": "quarterly value", "month": "monthly value"}[
        parse_period(str(period)).kind
    ]


def xmr_chart(story: PiStory, code: str) -> Chart | None:
    """The XmR chart of the PI's history with its target line (or None without values)."""
    if story.spc is None:
        return None
    title = f"{story.register['title']} ({code})"
    fig = charts.plot_xmr(
        story.spc, title=title, unit=str(story.register["unit"]), labels=list(story.spc.index)
    )
    alt = f"XmR chart of {title}. " + " ".join(spc_text(story)[:2])
    return chart_file(
        fig, f"img/{code}-xmr.png", alt, f"XmR chart with process limits and target: {title}."
    )


def position_frame(story: PiStory) -> pd.DataFrame:
    """The comparator position by year as the page's table shows it."""
    reg, pos = story.register, story.positions
    return pd.DataFrame(
        {
            "Period": pos["period"].to_numpy(),
            "Value": [value_text(v, reg["decimals"], reg["unit"]) for v in pos["value"]],
            "Comparator median": [
                value_text(v, reg["decimals"], reg["unit"]) for v in pos["comparator_median"]
            ],
            "Rank (1 = best)": [rank_text(r, n) for r, n in zip(pos["rank"], pos["n_ranked"])],
            "Quartile (1 = best)": scorecard.quartile_texts(pos),
        }
    )


def position_sentence(row: pd.Series, group: str) -> str:
    """The PI's latest rank and quartile among the comparators, or why it has none."""
    if pd.notna(row["rank"]):
        return (
            f"In {row['period']} it ranked {rank_text(row['rank'], row['n_ranked'])} among the "
            f"comparator group {group} (quartile {int(row['quartile'])}, 1 = best)."
        )
    if row["polarity"] == "neutral":
        return "It is not ranked among the comparators: it has no better direction."
    if pd.isna(row["value"]):
        return "It is not ranked among the comparators: it has no latest value."
    councils = 0 if pd.isna(row["n_ranked"]) else int(row["n_ranked"])
    return (
        f"It is not ranked among the comparators: {plural(councils, 'council')} of the group "
        f"{'has' if councils == 1 else 'have'} a value for {row['period']}, fewer than "
        f"{scorecard.MIN_COMPARATORS}."
    )


def trend_chart(trends: pd.DataFrame, code: str, decimals: int) -> Chart | None:
    """The council against the comparator median by year (the reports' small multiples)."""
    if trends.empty or trends["home"].notna().sum() < 2:
        return None
    fig = charts.plot_small_multiples(
        trends,
        title=f"{trends['label'].iloc[0]}: this council and the comparator median",
        columns=1,
    )
    return chart_file(
        fig,
        f"img/{code}-comparators.png",
        annual.describe_trend_lines(trends, pd.DataFrame({"code": [code], "decimals": [decimals]})),
        "This council (solid line, circles) and the comparator group's median (dashed), by year.",
    )


def register_tables(story: PiStory, content: SiteContent) -> tuple[list[str], str, str]:
    """Sentences and tables of the actions and risks linked to the PI."""
    sentences, actions_html, risks_html = [], "", ""
    code = story.row["indicator"]
    if story.actions is None:
        sentences.append(f"The data folder has no improvement actions for {content.council_name}.")
    elif story.actions.empty:
        sentences.append("No improvement action is linked to this indicator.")
    else:
        actions_html = _table(
            action_frame(story.actions),
            f"Improvement actions linked to {code}",
            row_header="Action",
        )
    if story.risks is None:
        sentences.append(f"The data folder has no risk register for {content.council_name}.")
    elif story.risks.empty:
        sentences.append("No risk in the register is linked to this indicator.")
    else:
        risks_html = _table(risk_frame(story.risks), f"Risks linked to {code}", row_header="Risk")
    return sentences, actions_html, risks_html


def action_frame(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions as a display table: action, owner, due date, priority, status."""
    return pd.DataFrame(
        {
            "Action": [f"{i}: {t}" for i, t in zip(actions["action_id"], actions["title"])],
            "Owner": actions["owner"].fillna("").to_numpy(),
            "Due": [_date(d) for d in actions["due"]],
            "Priority": actions["priority"].fillna("").to_numpy(),
            "Status": actions["status"].fillna("").to_numpy(),
        }
    )


def risk_frame(risks: pd.DataFrame) -> pd.DataFrame:
    """Scored risks as a display table: risk, owner, residual score and band, target score."""
    return pd.DataFrame(
        {
            "Risk": [f"{i}: {t}" for i, t in zip(risks["risk_id"], risks["title"])],
            "Owner": risks["owner"].fillna("").to_numpy(),
            "Residual score": [
                _text(int(s)) if pd.notna(s) else "" for s in risks["residual_score"]
            ],
            "Band": risks["residual_band"].fillna("").to_numpy(),
            "Target score": [_text(int(s)) if pd.notna(s) else "" for s in risks["target_score"]],
        }
    )


def _date(value: Any) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%-d %B %Y")


def funnel_parts(
    story: PiStory, content: SiteContent, code: str
) -> tuple[list[str], Chart | None, str]:
    """The funnel plot's sentences, chart and table, when the PI has numerators and
    denominators (the chart only when :mod:`perfeval.present.charts_funnel` exists)."""
    units = story.funnel
    if units is None:
        return [], None, ""
    home = units[units["authority"] == content.council]
    period = str(units["period"].iloc[0])
    shown = funnel_value(units)
    verdict = str(home["comparison"].iloc[0]) if not home.empty else "not compared"
    sentences = [
        f"On the funnel plot of {period} ({len(units)} comparator councils, against their pooled "
        f"value of {shown(units['benchmark'].iloc[0])}), "
        f"{content.council_name}'s value is {funnel_verdict(verdict)} (judged at the 95% limits). "
        f"{funnel_rules.FUNNEL_METHOD}"
    ]
    table = _table(
        pd.DataFrame(
            {
                "Council": units["authority"].to_numpy(),
                "Numerator": [format_number(v, 0) for v in units["numerator"]],
                "Denominator": [format_number(v, 0) for v in units["denominator"]],
                "Value": [shown(v) for v in units["value"]],
                "Against the 95% limits": units["comparison"].astype(str).to_numpy(),
            }
        ),
        f"Funnel plot of {code}, {period}: every comparator council",
        row_header="Council",
    )
    return sentences, funnel_chart(units, code, content.council, content.council_name), table


def funnel_verdict(comparison: str) -> str:
    """Fingertips' word as a phrase (:func:`perfeval.present.charts_funnel.verdict`)."""
    from perfeval.present.charts_funnel import verdict

    return verdict(comparison)


def funnel_value(units: pd.DataFrame) -> Callable[[float], str]:
    """How the funnel's proportions read on the PI's own scale: ``"47.5%"``, or ``"1.00 per
    1,000"`` for a rate per 1,000 (the units' ``scale`` and ``per``)."""
    scale, per = float(units["scale"].iloc[0]), str(units["per"].iloc[0])
    decimals = 1 if scale == 100 else 2

    def shown(value: float) -> str:
        return format_number(scale * value, decimals, "%" if scale == 100 else "") + per

    return shown


def funnel_chart(units: pd.DataFrame, code: str, home: str, home_name: str) -> Chart:
    """The funnel plot of :func:`perfeval.present.charts_funnel.funnel_chart`: the councils'
    proportions against their denominators with exact binomial 95% and 99.8% limits around
    the group's pooled proportion (:func:`perfeval.stats.funnel.funnel_limits`)."""
    import numpy as np

    from perfeval.present import charts_funnel

    benchmark = float(units["benchmark"].iloc[0])
    scale, shown = float(units["scale"].iloc[0]), funnel_value(units)
    low, high = float(units["denominator"].min()), float(units["denominator"].max())
    grid = np.unique(np.round(np.geomspace(max(low / 2, 1.0), high * 1.5, 80)))
    limits = funnel_rules.funnel_limits(grid, benchmark, statistic="proportion")
    period = str(units["period"].iloc[0])
    fig = charts_funnel.funnel_chart(
        units, limits, title=f"Funnel plot of {code}, {period}",
        unit="%" if scale == 100 else str(units["per"].iloc[0]).strip(), home=home,
        scale=scale, benchmark_label="Comparator group (pooled)",
    )  # fmt: skip
    mine = units[units["authority"] == home]
    alt = charts_funnel.funnel_alt_text(
        units,
        what=f"{code}, {period}",
        benchmark=f"comparator group pooled, {shown(benchmark)}",
        home_name=home_name if not mine.empty else None,
        home_value=shown(mine["value"].iloc[0]) if not mine.empty else None,
        home_comparison=str(mine["comparison"].iloc[0]) if not mine.empty else None,
    )
    return chart_file(fig, f"img/{code}-funnel.png", alt, f"Funnel plot of {code}, {period}.")


def pi_page(story: PiStory, content: SiteContent, trends: pd.DataFrame) -> dict[str, bytes]:
    """``pi/<code>.html`` with its charts and ``pi/<code>.csv``."""
    code = str(story.row["indicator"])
    row = story.row
    xmr, trend = xmr_chart(story, code), trend_chart(trends, code, int(story.register["decimals"]))
    funnel_sentences, funnel, funnel_table = funnel_parts(story, content, code)
    sentences, actions_html, risks_html = register_tables(story, content)
    shown = value_text(
        row["value"], row["decimals"], row["unit"], row["value_symbol"], row["status"]
    )
    summary = (
        f"{row['title']}: {shown or 'no value'}"
        f" in {row['period'] or content.year}"
        + (
            f" against a target of {value_text(row['target'], row['decimals'], row['unit'])}"
            if pd.notna(row["target"])
            else ", with no target"
        )
        + f". Status against target: {_text(row['rag_label'])}. Direction of travel: "
        f"{_text(row['dot_label'])}."
    )
    position_sentences = [position_sentence(row, content.group)]
    commentary = (
        _table(
            pd.DataFrame(
                {"Period": story.commentary["period"], "Commentary": story.commentary["commentary"]}
            ),
            f"Commentary on {code} by period",
            row_header="Period",
        )
        if not story.commentary.empty
        else "<p>No commentary is recorded for this indicator.</p>"
    )
    quality = (
        _table(
            pd.DataFrame(
                {
                    "Period": story.quality["period"],
                    "Issue": story.quality["issue"],
                    "Note": story.quality["note"],
                }
            ),
            f"Values of {code} with a data-quality flag",
            row_header="Period",
        )
        if not story.quality.empty
        else "<p>No value of this indicator is missing, estimated, provisional or revised.</p>"
    )
    page = render_page(
        "pi.html.j2",
        title=f"{row['title']} ({code})",
        current=None,
        crumbs=[
            ("Scorecard", "../index.html"),
            (str(row["service"]), f"../service/{row['service_slug']}.html"),
        ],
        summary=summary,
        facts=facts(story, content),
        spc_sentences=spc_text(story),
        xmr=xmr,
        position_sentences=position_sentences,
        trend=trend,
        positions=_table(
            position_frame(story),
            f"Position of {code} among the comparator group by year",
            row_header="Period",
        )
        if not story.positions.empty
        else "",
        funnel_sentences=funnel_sentences,
        funnel=funnel,
        funnel_table=funnel_table,
        commentary=commentary,
        quality=quality,
        register_sentences=sentences,
        actions=actions_html,
        risks=risks_html,
        values=_table(
            values_frame(story),
            f"Every value of {code} for {content.council_name}",
            row_header="Period",
            numeric=["Value", "Target"],
        ),
        csv=f"{code}.csv",
        csv_name=f"{code}.csv, {plural(len(story.history), 'row')}",
        **common_context(content, "../"),
    )
    files = {f"pi/{code}.html": page, f"pi/{code}.csv": values_csv(story, code)}
    for chart in (xmr, trend, funnel):
        if chart is not None:
            files[chart.src] = chart.png
    return files


def service_page(content: SiteContent, service: str) -> bytes:
    """``service/<slug>.html``: the service's PIs, budget, actions and risks."""
    rows = content.card[content.card["service"] == service]
    budget_sentences, budget_html = service_budget(content, service)
    action_sentences, actions_html = service_actions(content, service)
    risk_sentences, risks_html = service_risks(content, service)
    return render_page(
        "service.html.j2",
        title=service,
        current=None,
        crumbs=[("Services", "../services.html")],
        intro=[
            f"{plural(len(rows), 'indicator')} of {content.council_name} for {service}, with "
            "its budget, actions and risks."
        ],
        rows=scorecard_rows(rows),
        caption=f"Indicators of {service}: latest annual outturn to {content.year}",
        budget_sentences=budget_sentences,
        budget=budget_html,
        action_sentences=action_sentences,
        actions=actions_html,
        risk_sentences=risk_sentences,
        risks=risks_html,
        script=None,
        **common_context(content, "../"),
    )


def service_budget(content: SiteContent, service: str) -> tuple[list[str], str]:
    """The service's budget against forecast outturn at the latest quarter, or why not."""
    if content.budget is None:
        return [f"The data folder has no budget monitoring for {content.council_name}."], ""
    rows = content.budget[content.budget["service"] == service]
    if rows.empty:
        return [f"The budget monitoring has no line for {service} at {content.budget_as_at}."], ""
    frame = pd.DataFrame(
        {
            "Service": rows["service"].to_numpy(),
            **annual.budget_display_columns(rows),
            "Budget status": [
                f"{d}: {r}" for d, r in zip(rows["forecast_direction"], rows["forecast_rag"])
            ],
        }
    )
    return [], _table(
        frame,
        f"Budget against forecast outturn, {service}, as at {content.budget_as_at}",
        row_header="Service",
    )


def service_actions(content: SiteContent, service: str) -> tuple[list[str], str]:
    """The service's improvement actions, or why none are shown."""
    if content.actions is None:
        return [f"The data folder has no improvement actions for {content.council_name}."], ""
    from perfeval.stats.actions import fill_services

    actions = fill_services(content.actions, scorecard_register(content))
    rows = actions[actions["service"] == service]
    if rows.empty:
        return [f"No improvement action is recorded for {service}."], ""
    return [], _table(action_frame(rows), f"Improvement actions of {service}", row_header="Action")


def scorecard_register(content: SiteContent) -> pd.DataFrame:
    """The register columns the actions' service filling needs, from the scorecard."""
    return pd.DataFrame({"code": content.card["indicator"], "service": content.card["service"]})


def service_risks(content: SiteContent, service: str) -> tuple[list[str], str]:
    """The service's risks (by their service or a linked PI of the service), or why none."""
    if content.risks is None:
        return [f"The data folder has no risk register for {content.council_name}."], ""
    from perfeval.site.content import service_risk_rows
    from perfeval.stats import risks as risk_rules

    rows = service_risk_rows(content.risks, content.card, service)
    if rows.empty:
        return [f"No risk in the register is for {service} or linked to its indicators."], ""
    return [], _table(
        risk_frame(risk_rules.scored_register(rows)), f"Risks of {service}", row_header="Risk"
    )


def services_page(content: SiteContent) -> bytes:
    """``services.html``: every service with its PIs' status counts."""
    lines = []
    for service in sorted(set(content.card["service"])):
        rows = content.card[content.card["service"] == service]
        counts = scorecard.count_by_state(rows, "rag", list(RAG_STATES))
        words = join_words(f"{n} {state}" for state, n in counts.items() if n)
        lines.append(
            f'<li><a href="service/{slug(service)}.html">{html.escape(service)}</a>: '
            f"{html.escape(plural(len(rows), 'indicator'))} ({html.escape(words)})</li>"
        )
    return render_page(
        "listing.html.j2",
        title="Services",
        current="services",
        crumbs=[],
        intro=[
            f"Every service of {content.council_name} with indicators in the scorecard, and how "
            "many of them are in each status against target."
        ],
        body="<ul>" + "".join(lines) + "</ul>",
        script=None,
        **common_context(content, ""),
    )


def reports_page(content: SiteContent, entries: Sequence[Mapping[str, Any]]) -> bytes:
    """``reports.html``: every published report with its manifest and status."""
    return render_page(
        "reports.html.j2",
        title="Reports",
        current="reports",
        crumbs=[],
        intro=[
            f"{plural(len(entries), 'report')} published beside this site, each with its "
            "manifest (parameters, input checksums and key figures)."
        ],
        rows=list(entries),
        script=None,
        **common_context(content, ""),
    )


def sitemap(paths: Sequence[str], base_url: str | None) -> bytes:
    """``sitemap.xml`` of the HTML pages: absolute under ``base_url``, else relative."""
    prefix = "" if not base_url else base_url.rstrip("/") + "/"
    urls = "".join(f"<url><loc>{html.escape(prefix + p)}</loc></url>" for p in sorted(paths))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    ).encode()
