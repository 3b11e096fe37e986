"""The floor for the single-report benchmark: State of the Nation as a plain Python script.

It makes the same perfeval calls as ``notebooks/state_of_the_nation.ipynb`` - the same
validation, data loading, tables, sentences and charts (each chart rendered once to PNG by
``show_figure``, as in the notebook) - with no kernel, no papermill and no HTML export, and writes
the key figures the notebook records (as JSON payloads) so the benchmark can check that the
floor did the same work. When the notebook changes, change this script with it: the benchmark
fails if the key figures differ.

Usage::

    .venv/bin/python bench/floor_state_of_the_nation.py [--params FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def build(params: dict) -> dict:
    """Run every computation and chart of the report; return the key figures by name."""
    from perfeval.present import charts
    from perfeval.present import narrative
    from perfeval.stats import scorecard
    from perfeval.stats import indicators as engine
    from perfeval.data.loader import load_dataset
    from perfeval.run.parameters import validate_parameters
    from perfeval.run.provenance import key_figure_payload
    from perfeval.sections.annual import money_summary, report_context, resident_views
    from perfeval.present.html import show_figure, show_list, show_table, show_text, symbol_legend

    p = validate_parameters("state_of_the_nation", params)
    council, year, group = p["council"], p["year"], p["comparator_group"]
    figures: dict = {}
    shown: list = []

    def record(name, value, description=None):
        figures[name] = key_figure_payload(name, value, description)

    data = load_dataset(p["data_dir"])
    context = report_context(data, p)
    shown += [show_text(context["subtitle"]), show_text(context["data_note"])]

    card = scorecard.add_commentary(scorecard.build_scorecard(data, council, year, group), data,
                                    council)
    shares = scorecard.headline_shares(card, year)
    record("headline_shares", shares,
           "Headline shares of PIs with a value for the report year")
    sentence = narrative.describe_headlines(shares, council=context["council_name"], year=year)
    shown += [show_text(sentence),
              show_table(shares.assign(share=[narrative.percent(s) for s in shares["share"]]),
                         caption="Headline measures", row_header="measure"),
              show_figure(charts.plot_share_bars(shares, title=f"Headline measures, {year}"),
                          alt=sentence, caption="Headline measures")]

    states = [engine.GREEN, engine.AMBER, engine.RED, engine.NO_DATA, engine.NO_TARGET,
              engine.NOT_APPLICABLE]
    counts = scorecard.count_by_state(card, "rag", states)
    record("rag_counts", counts.rename_axis("rag").reset_index(name="indicators"))
    shown += [show_text(narrative.describe_counts(counts, what="indicators")),
              show_figure(charts.plot_category_counts(counts, title="Status against target"),
                          alt="counts", caption="counts"),
              show_table(scorecard.performance_table(card), caption="Performance",
                         row_header="Indicator", note=engine.RAG_METHOD + " " + symbol_legend())]

    positions = scorecard.home_positions(card)
    measures = shares.set_index("measure")["share"]
    record("share_top_two_quartiles", measures.get("in top two quartiles"))
    shown += [show_figure(charts.plot_percentile_positions(positions, title="Position"),
                          alt=narrative.describe_positions(positions), caption="positions"),
              show_table(scorecard.benchmark_table(card), caption="Rank", row_header="Indicator")]

    views = resident_views(data, council=council, survey=p["survey"], wave=p["survey_wave"],
                           previous_wave=p["previous_wave"], year=year)
    record("resident_views", views["table"])
    shown += [show_figure(views["figure"], alt=views["alt"], caption=views["caption"]),
              show_table(views["display"], caption=views["caption"], row_header="Question")]

    money = money_summary(data, council=council, year=year, group=group)
    record("net_spend_per_head", money["spend_table"])
    record("budget_outturn", money["budget_table"])
    shown += [show_figure(money["spend_figure"], alt="spend", caption="spend"),
              show_table(money["spend_display"], caption="spend", row_header="Council"),
              show_figure(money["budget_figure"], alt="budget", caption="budget"),
              show_table(money["budget_display"], caption="budget", row_header="Service")]

    trends = scorecard.comparator_trends(data, council, group, p["key_indicators"], year,
                                         p["trend_years"])
    record("key_indicator_trends", trends)
    tests = scorecard.trend_tests(data, trends)
    record("key_indicator_trend_tests", tests[["indicator", "n", "s", "p_value", "slope",
                                               "judgement"]])
    shown += [show_figure(charts.plot_small_multiples(trends, title="Key indicators"),
                          alt="trends", caption="trends"),
              show_table(scorecard.trend_table(trends), caption="trends", row_header="Indicator"),
              show_text(narrative.describe_trend_tests(tests)),
              show_table(scorecard.trend_tests_table(tests), caption="tests",
                         row_header="Indicator")]

    issues = scorecard.issues_to_consider(card)
    record("issues_to_consider", issues[["indicator", "period", "reasons"]])
    reasons = scorecard.count_reasons(issues)
    shown += [show_figure(charts.plot_category_counts(reasons, title="Why"), alt="reasons",
                          caption="reasons"),
              show_list(list(issues["title"])),
              show_table(scorecard.issues_table(issues), caption="issues", row_header="Indicator")]

    shown += [show_list(context["method_notes"]),
              show_figure(charts.plot_category_counts(context["source_counts"], title="Kinds"),
                          alt="kinds", caption="kinds"),
              show_table(context["sources"], caption="sources", row_header="Indicators"),
              show_table(context["parameters"], caption="parameters", row_header="Parameter")]
    return figures


def main(argv: list[str] | None = None) -> None:
    """Build the report's figures; write the key figures as JSON when asked."""
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    params = yaml.safe_load(args.params.read_text()) if args.params else {}
    figures = build(params or {})
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True, allow_nan=False))
    print(f"{len(figures)} key figures", file=sys.stderr)


if __name__ == "__main__":
    main()
