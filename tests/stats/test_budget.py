"""Tests for perfeval.stats.budget: hand-worked cases a reader can check with a calculator."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from perfeval.core.exceptions import AnalysisError, ParameterError, PerfevalError  # noqa: E402
from perfeval.present import charts
from perfeval.stats import budget as bd  # noqa: E402

NAN = float("nan")


def make_budget() -> pd.DataFrame:
    """Two services, 2023/24, reported at Q2. Figures in £.

    Waste: budget 100k a quarter (400k a year); actual Q1 110k, Q2 120k; forecast at Q2 450k.
    Parks: budget 20k, 80k, 80k, 20k (seasonal; 200k a year); actual Q1 20k, Q2 60k;
           forecast at Q2 180k.
    """
    rows = []
    spec = {
        "Waste": ([100, 100, 100, 100], [110, 120], 450),
        "Parks": ([20, 80, 80, 20], [20, 60], 180),
    }
    for service, (budgets, actuals, forecast) in spec.items():
        for q in range(1, 5):
            rows.append(
                {
                    "authority": "E07000001",
                    "service": service,
                    "period": f"2023/24 Q{q}",
                    "budget": budgets[q - 1] * 1000.0,
                    "forecast_outturn": forecast * 1000.0 if q == 2 else NAN,
                    "actual": actuals[q - 1] * 1000.0 if q <= len(actuals) else NAN,
                }
            )
    return pd.DataFrame(rows)


# ---- variance sign and labels ---------------------------------------------------------------


def test_overspend_is_positive_and_labelled():
    m = bd.monitor_budget(make_budget(), "2023/24 Q2").set_index("service")
    assert m.loc["Waste", "annual_budget"] == 400_000
    assert m.loc["Waste", "forecast_variance"] == 50_000  # 450k - 400k
    assert m.loc["Waste", "forecast_variance_pct"] == pytest.approx(12.5)
    assert m.loc["Waste", "forecast_direction"] == "Overspend"
    assert m.loc["Waste", "ytd_budget"] == 200_000
    assert m.loc["Waste", "ytd_actual"] == 230_000
    assert m.loc["Waste", "ytd_variance"] == 30_000  # 230k - 200k
    assert m.loc["Waste", "ytd_variance_pct"] == pytest.approx(15.0)


def test_underspend_is_negative_and_labelled():
    m = bd.monitor_budget(make_budget(), "2023/24 Q2").set_index("service")
    assert m.loc["Parks", "forecast_variance"] == -20_000  # 180k - 200k
    assert m.loc["Parks", "forecast_variance_pct"] == pytest.approx(-10.0)
    assert m.loc["Parks", "forecast_direction"] == "Underspend"
    # profiled budget to date is 20k + 80k = 100k, actual 80k
    assert m.loc["Parks", "ytd_budget"] == 100_000
    assert m.loc["Parks", "ytd_variance"] == -20_000


def test_describe_variance_words():
    assert bd.describe_variance(10.0) == "Overspend"
    assert bd.describe_variance(-0.01) == "Underspend"
    assert bd.describe_variance(0.0) == "On budget"
    assert bd.describe_variance(1e-9) == "On budget"  # floating dust
    assert bd.describe_variance(NAN) == "Not known"


def test_variance_pct_uses_absolute_budget_and_handles_zero():
    # an income budget of -100k with outturn -90k: 10k less income = overspend of 10 %
    assert bd.compute_variance_pct(10_000.0, -100_000.0) == pytest.approx(10.0)
    assert math.isnan(bd.compute_variance_pct(5.0, 0.0))
    pct = bd.compute_variance_pct(pd.Series([5.0, 5.0]), pd.Series([0.0, 50.0]))
    assert math.isnan(pct.iloc[0]) and pct.iloc[1] == pytest.approx(10.0)


# ---- RAG thresholds --------------------------------------------------------------------------

T = bd.VarianceThresholds(amount=50_000, percent=5.0)  # on a £1m budget, 5 % = £50k


@pytest.mark.parametrize(
    "variance, budget, expected",
    [
        (50_000, 1_000_000, "Green"),  # exactly at both thresholds: within
        (50_000.01, 1_000_000, "Red"),  # just over both
        (60_000, 2_000_000, "Amber"),  # over £50k but 3 % < 5 %: one threshold only
        (40_000, 400_000, "Amber"),  # 10 % > 5 % but £40k < £50k: one threshold only
        (20_000, 400_000, "Green"),  # £20k and 5 % exactly (400k x 5 % = 20k): within both
        (0, 1_000_000, "Green"),
        (-50_000, 1_000_000, "Green"),  # underspend at the boundary: not flagged
        (-50_000.01, 1_000_000, "Amber"),  # underspend beyond both: flagged Amber
        (-60_000, 2_000_000, "Green"),  # underspend beyond one only: not flagged
        (1_000, 0, "Amber"),  # nil budget: any overspend exceeds the % threshold
        (NAN, 1_000_000, "Not rated"),
        (1_000, NAN, "Not rated"),
    ],
)
def test_rate_variance_rule(variance, budget, expected):
    assert bd.rate_variance(variance, budget, T) == expected


def test_underspend_flag_can_be_switched_off():
    quiet = bd.VarianceThresholds(amount=50_000, percent=5.0, flag_underspend=False)
    assert bd.rate_variance(-500_000, 1_000_000, quiet) == "Green"
    assert bd.rate_variance(-500_000, 1_000_000, T) == "Amber"


def test_thresholds_are_validated():
    with pytest.raises(ParameterError, match="percent"):
        bd.VarianceThresholds(amount=1, percent=-5)


def test_monitoring_rag_uses_thresholds():
    m = bd.monitor_budget(
        make_budget(), "2023/24 Q2", bd.VarianceThresholds(amount=40_000, percent=10.0)
    ).set_index("service")
    assert m.loc["Waste", "forecast_rag"] == "Red"  # 50k > 40k and 12.5 % > 10 %
    assert m.loc["Parks", "forecast_rag"] == "Green"  # 20k underspend within both
    assert m.loc["Waste", "ytd_rag"] == "Amber"  # 30k < 40k but 15 % > 10 %


# ---- monitoring inputs -----------------------------------------------------------------------


def test_as_at_must_be_a_quarter():
    with pytest.raises(ParameterError, match="quarter"):
        bd.monitor_budget(make_budget(), "2023/24")


def test_missing_quarter_is_reported_with_the_service():
    data = make_budget()
    data = data[~((data["service"] == "Parks") & (data["period"] == "2023/24 Q4"))]
    with pytest.raises(AnalysisError, match="Parks: budget rows for 3 of the 4 quarter"):
        bd.monitor_budget(data, "2023/24 Q2")


def make_annual_budget() -> pd.DataFrame:
    """Annual-basis layout: the full-year budget (400k, revised to 440k at Q2) on each row.

    Waste: actual Q1 110k, Q2 120k; forecast at Q2 450k. Only rows up to Q2 exist.
    """
    return pd.DataFrame(
        {
            "authority": "E07000001",
            "service": "Waste",
            "period": ["2023/24 Q1", "2023/24 Q2"],
            "budget": [400_000.0, 440_000.0],
            "forecast_outturn": [420_000.0, 450_000.0],
            "actual": [110_000.0, 120_000.0],
        }
    )


def test_annual_budget_basis():
    m = bd.monitor_budget(make_annual_budget(), "2023/24 Q2", T, budget_basis="annual").iloc[0]
    assert m["annual_budget"] == 440_000  # current budget at Q2
    assert m["forecast_variance"] == 10_000  # 450k - 440k
    assert m["ytd_budget"] == pytest.approx(220_000)  # 440k x 2 / 4
    assert m["ytd_variance"] == pytest.approx(10_000)  # 230k - 220k
    q1 = bd.monitor_budget(make_annual_budget(), "2023/24 Q1", budget_basis="annual").iloc[0]
    assert (q1["annual_budget"], q1["ytd_budget"], q1["forecast_variance"]) == (
        400_000,
        100_000,
        20_000,
    )
    # read as quarterly figures, the same table is rightly refused: Q3 and Q4 are missing
    with pytest.raises(AnalysisError, match="2 of the 4 quarter"):
        bd.monitor_budget(make_annual_budget(), "2023/24 Q2")
    with pytest.raises(ParameterError, match="budget_basis"):
        bd.monitor_budget(make_annual_budget(), "2023/24 Q2", budget_basis="yearly")


def test_annual_basis_needs_rows_to_date():
    with pytest.raises(AnalysisError, match="1 of the 2 quarter"):
        bd.monitor_budget(make_annual_budget().iloc[[1]], "2023/24 Q2", budget_basis="annual")
    f = bd.forecast_full_year(
        make_annual_budget(), "2023/24 Q2", method="budget_profile", budget_basis="annual"
    ).iloc[0]
    assert f["projected_outturn"] == pytest.approx(460_000)  # even profile = straight line


def test_missing_actual_to_date_gives_missing_not_a_smaller_total():
    data = make_budget()
    data.loc[(data["service"] == "Waste") & (data["period"] == "2023/24 Q1"), "actual"] = NAN
    m = bd.monitor_budget(data, "2023/24 Q2").set_index("service")
    assert math.isnan(m.loc["Waste", "ytd_actual"])
    assert m.loc["Waste", "ytd_rag"] == "Not rated"


def test_missing_column_error_names_column():
    with pytest.raises(AnalysisError, match="forecast_outturn"):
        bd.monitor_budget(make_budget().drop(columns="forecast_outturn"), "2023/24 Q2")


# ---- full-year forecast ----------------------------------------------------------------------


def test_straight_line_forecast():
    f = bd.forecast_full_year(make_budget(), "2023/24 Q2").set_index("service")
    assert f.loc["Waste", "projected_outturn"] == pytest.approx(460_000)  # 230k / 2 x 4
    assert f.loc["Parks", "projected_outturn"] == pytest.approx(160_000)  # 80k / 2 x 4
    assert f.loc["Waste", "projected_variance"] == pytest.approx(60_000)


def test_budget_profile_forecast_allows_for_season():
    f = bd.forecast_full_year(make_budget(), "2023/24 Q2", method="budget_profile").set_index(
        "service"
    )
    # Parks: 100k of 200k profiled to date (50 %), so 80k / 0.5 = 160k
    assert f.loc["Parks", "projected_outturn"] == pytest.approx(160_000)
    f1 = bd.forecast_full_year(make_budget(), "2023/24 Q1", method="budget_profile").set_index(
        "service"
    )
    # at Q1 Parks had 20k of 200k (10 %) profiled and spent 20k: on profile -> 200k
    assert f1.loc["Parks", "projected_outturn"] == pytest.approx(200_000)
    s1 = bd.forecast_full_year(make_budget(), "2023/24 Q1").set_index("service")
    assert s1.loc["Parks", "projected_outturn"] == pytest.approx(80_000)  # straight line


def test_unknown_forecast_method():
    with pytest.raises(ParameterError, match="straight_line"):
        bd.forecast_full_year(make_budget(), "2023/24 Q2", method="magic")


# ---- summaries -------------------------------------------------------------------------------


def test_council_summary_recomputes_from_totals():
    m = bd.monitor_budget(make_budget(), "2023/24 Q2", T)
    s = bd.summarise_budget(m, thresholds=T).iloc[0]
    assert s["service"] == "All services"
    assert s["annual_budget"] == 600_000
    assert s["forecast_variance"] == 30_000  # 50k - 20k
    assert s["forecast_variance_pct"] == pytest.approx(5.0)  # 30k / 600k, not mean of %
    assert s["forecast_rag"] == "Green"
    assert s["ytd_variance"] == 10_000


def test_service_summary_across_authorities():
    two = pd.concat([make_budget(), make_budget().assign(authority="E07000002")])
    m = bd.monitor_budget(two, "2023/24 Q2")
    s = bd.summarise_budget(m, by="service").set_index("service")
    assert s.loc["Waste", "authority"] == "All authorities"
    assert s.loc["Waste", "forecast_variance"] == 100_000


# ---- spend per head, population, real terms --------------------------------------------------


def test_spend_per_head_and_nearest_population_year():
    spend = pd.DataFrame(
        {
            "authority": ["A", "A", "A"],
            "period": ["2018/19", "2020/21", "2022/23"],
            "service": "Total",
            "net_current_expenditure": [1_000.0, 1_200.0, 900.0],
        }
    )
    population = pd.DataFrame(
        {
            "authority": "A",
            "year": ["2017/18", "2019/20", "2021/22"],
            "population": [100_000, 125_000, 150_000],
            "source": "ONS",
        }
    )
    out = bd.compute_spend_per_head(spend, population).set_index("period")
    # 2018/19 is 1 year from both 2017/18 and 2019/20: the earlier year is used
    assert out.loc["2018/19", "population_year"] == "2017/18"
    assert out.loc["2018/19", "spend_per_head"] == pytest.approx(10.0)  # £1,000k / 100,000
    assert out.loc["2020/21", "population_year"] == "2019/20"
    assert out.loc["2020/21", "spend_per_head"] == pytest.approx(9.6)  # £1,200k / 125,000
    assert out.loc["2022/23", "population_year"] == "2021/22"  # latest available
    assert out.loc["2022/23", "population_gap_years"] == 1
    assert out.loc["2022/23", "spend_per_head"] == pytest.approx(6.0)


def test_exact_population_year_preferred_and_max_gap():
    spend = pd.DataFrame(
        {
            "authority": ["A"],
            "period": ["2019/20"],
            "service": "Total",
            "net_current_expenditure": [500.0],
        }
    )
    population = pd.DataFrame(
        {"authority": "A", "year": ["2015/16", "2019/20"], "population": [1_000, 2_000]}
    )
    out = bd.compute_spend_per_head(spend, population)
    assert out["population_gap_years"].iloc[0] == 0
    assert out["spend_per_head"].iloc[0] == pytest.approx(250.0)
    far = population.iloc[[0]]
    with pytest.raises(AnalysisError, match="4 years away"):
        bd.compute_spend_per_head(spend, far, max_gap_years=2)


def test_missing_population_names_authority():
    spend = pd.DataFrame(
        {
            "authority": ["A", "B"],
            "period": ["2019/20"] * 2,
            "service": "T",
            "net_current_expenditure": [1.0, 2.0],
        }
    )
    population = pd.DataFrame({"authority": ["A"], "year": ["2019/20"], "population": [10]})
    with pytest.raises(AnalysisError, match="no population for authority 'B'"):
        bd.compute_spend_per_head(spend, population)


def test_unit_cost_and_zero_activity():
    spend = pd.DataFrame(
        {
            "authority": ["A", "B"],
            "period": ["2022/23"] * 2,
            "service": "Waste",
            "net_current_expenditure": [5_000.0, 3_000.0],
        }
    )
    households = pd.DataFrame(
        {"authority": ["A", "B"], "period": ["2022/23"] * 2, "households": [50_000, 0]}
    )
    out = bd.compute_unit_cost(spend, households, activity_column="households")
    assert out["unit_cost"].iloc[0] == pytest.approx(100.0)  # £5m / 50,000 households
    assert math.isnan(out["unit_cost"].iloc[1])


def test_real_terms_arithmetic():
    frame = pd.DataFrame(
        {"period": ["2020/21", "2023/24", "2023/24 Q3"], "spend": [100.0, 100.0, 50.0]}
    )
    deflators = pd.DataFrame({"year": ["2020/21", "2023/24"], "deflator": [80.0, 100.0]})
    out = bd.compute_real_terms(frame, deflators, base_year="2023/24", columns=["spend"])
    # 100 x 100 / 80 = 125 in 2023/24 prices
    assert out["spend_real"].tolist() == pytest.approx([125.0, 100.0, 50.0])
    assert (out["price_base"] == "2023/24 prices").all()
    back = bd.compute_real_terms(frame, deflators, base_year="2020/21", columns=["spend"])
    assert back["spend_real"].iloc[1] == pytest.approx(80.0)


def test_real_terms_missing_deflator():
    frame = pd.DataFrame({"period": ["2019/20"], "spend": [1.0]})
    deflators = pd.DataFrame({"year": ["2023/24"], "deflator": [100.0]})
    with pytest.raises(AnalysisError, match="2019/20"):
        bd.compute_real_terms(frame, deflators, base_year="2023/24", columns=["spend"])


def test_compare_with_group():
    frame = pd.DataFrame(
        {
            "authority": ["H", "B", "C", "D", "X"],
            "spend_per_head": [120.0, 100.0, 150.0, 100.0, 999.0],
        }
    )
    out = bd.compare_with_group(frame, ["B", "C", "D"], home="H").set_index("authority")
    assert "X" not in out.index  # not in the group
    assert out["group_median"].iloc[0] == pytest.approx(110.0)  # median of 100,100,120,150
    assert out.loc["C", "rank"] == 1 and out.loc["H", "rank"] == 2
    assert out.loc["B", "rank"] == out.loc["D", "rank"] == 3  # ties share rank
    assert out.loc["H", "difference_from_median"] == pytest.approx(10.0)
    assert out.loc["H", "difference_from_median_pct"] == pytest.approx(100 * 10 / 110)
    assert out.loc["H", "is_home"] and not out.loc["B", "is_home"]


# ---- service-level join ----------------------------------------------------------------------


def test_join_variance_with_pi_rag_counts():
    m = bd.monitor_budget(make_budget(), "2023/24 Q2", T)
    pi = pd.DataFrame(
        {
            "service": ["Waste", "Waste", "Waste", "Housing"],
            "rag": ["Red", "Green", "Red", "No target"],
        }
    )
    out = bd.join_variance_with_pi_rag(m, pi).set_index("service")
    assert out.loc["Waste", ["pis_green", "pis_amber", "pis_red", "pis_other", "pis"]].tolist() == [
        1,
        0,
        2,
        0,
        3,
    ]
    assert out.loc["Waste", "forecast_variance"] == 50_000
    assert out.loc["Parks", "pis"] == 0  # budget, no PIs
    assert out.loc["Housing", "pis_other"] == 1  # PIs, no budget
    assert math.isnan(out.loc["Housing", "forecast_variance"])
    assert out.loc["Housing", "forecast_rag"] == "Not rated"


# ---- value for money -------------------------------------------------------------------------


def vfm_data():
    spend = pd.Series({"A": 100.0, "B": 120.0, "C": 140.0, "D": 160.0, "E": 180.0})
    score = pd.Series({"A": 52.0, "B": 50.0, "C": 60.0, "D": 58.0, "E": 70.0})
    return score, spend


def test_vfm_quadrants():
    score, spend = vfm_data()
    r = bd.value_for_money(score, spend, home="B")
    q = r.table.set_index("authority")["quadrant"]
    # medians: spend 140, score 58
    assert (r.median_spend, r.median_score) == (140.0, 58.0)
    assert q["A"] == "Lower performance, lower spend"
    assert q["E"] == "Higher performance, higher spend"
    assert q["C"] == "Higher performance, median spend"
    assert q["D"] == "Median performance, higher spend"
    assert bd.classify_quadrant(60, 100, 58, 140) == "Higher performance, lower spend"
    assert bd.classify_quadrant(50, 200, 58, 140) == "Lower performance, higher spend"


def test_vfm_fit_and_residuals_match_numpy_lstsq():
    score, spend = vfm_data()
    r = bd.value_for_money(score, spend, home="B")
    x = spend.sort_index().to_numpy()
    y = score.sort_index().to_numpy()
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert (r.intercept, r.slope) == pytest.approx(tuple(coef))
    t = r.table.set_index("authority").sort_index()
    assert t["residual"].to_numpy() == pytest.approx(y - design @ coef)
    # by hand: slope = Sxy/Sxx = 880/4000 = 0.22, intercept = 58 - 0.22 x 140 = 27.2
    assert r.slope == pytest.approx(0.22) and r.intercept == pytest.approx(27.2)
    assert t.loc["B", "residual"] == pytest.approx(50 - (27.2 + 0.22 * 120))  # -3.6
    assert "3.6 score points below" in t.loc["B", "finding"]
    assert "B" in r.home_finding() and r.caveats


def test_vfm_confidence_band_contains_line_and_narrowest_at_mean():
    score, spend = vfm_data()
    r = bd.value_for_money(score, spend, level=0.9)
    line = r.line
    assert (line["ci_lower"] <= line["fitted"]).all() and (line["fitted"] <= line["ci_upper"]).all()
    width = line["ci_upper"] - line["ci_lower"]
    narrowest = line.loc[width.idxmin(), "spend_per_head"]
    assert abs(narrowest - spend.mean()) < (spend.max() - spend.min()) / 49 + 1e-9


def test_vfm_accepts_frames_and_validates():
    score, spend = vfm_data()
    s = score.rename_axis("authority").reset_index(name="score")
    p = spend.rename_axis("authority").reset_index(name="spend_per_head")
    r = bd.value_for_money(s, p)
    assert r.n == 5
    with pytest.raises(AnalysisError, match="at least 3"):
        bd.value_for_money(score.iloc[:2], spend)
    with pytest.raises(AnalysisError, match="'Z'"):
        bd.value_for_money(score, spend, home="Z")
    with pytest.raises(ParameterError):
        bd.value_for_money(score, spend, level=95)


def test_plot_value_for_money_labels_home_by_name():
    score, spend = vfm_data()
    r = bd.value_for_money(score, spend, home="B")
    fig = charts.plot_value_for_money(r, title="Spend and performance", names={"B": "Borsetshire"})
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "Borsetshire" in texts
    assert set(bd.QUADRANTS) <= set(texts)
    labels = ax.get_legend_handles_labels()[1]
    assert "Borsetshire (home council)" in labels and "Fitted line (OLS)" in labels
    assert ax.get_title() == "Spend and performance"
    plt.close(fig)


def test_all_errors_are_perfeval_errors():
    with pytest.raises(PerfevalError):
        bd.monitor_budget(make_budget(), "not a period")


# --- the spend measure and the years without a deflator (#14 item 2) ----------------------------


def spend_rows(*lines: tuple[str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "authority": ["A"] * len(lines),
            "period": ["2024/25"] * len(lines),
            "service": [line for line, _ in lines],
            "net_current_expenditure": [value for _, value in lines],
        }
    )


def test_the_spend_measure_is_total_service_expenditure_when_the_folder_has_it():
    both = spend_rows((bd.SPEND_LINE, 100.0), (bd.NET_SPEND, 110.0))
    assert bd.choose_spend_measure(both) is bd.SPEND
    assert bd.SPEND.line == "TOTAL SERVICE EXPENDITURE" and not bd.SPEND.fallback
    assert bd.SPEND.fallback_note() == ""
    assert bd.SPEND.lower == "total service expenditure"


def test_a_folder_with_net_current_expenditure_only_falls_back_to_it():
    older = spend_rows((bd.NET_SPEND, 110.0), ("Central services", 5.0))
    measure = bd.choose_spend_measure(older)
    assert measure is bd.NET_SPEND_MEASURE and measure.fallback
    assert "has no TOTAL SERVICE EXPENDITURE line" in measure.fallback_note()
    assert "add rows with service 'TOTAL SERVICE EXPENDITURE'" in measure.fallback_note()


def test_blank_total_service_expenditure_rows_do_not_count_as_having_the_line():
    # a [x] (not available) cell is read as missing: the line is not there to compare
    blank = spend_rows((bd.SPEND_LINE, None), (bd.NET_SPEND, 110.0))
    assert bd.choose_spend_measure(blank) is bd.NET_SPEND_MEASURE


def test_a_folder_with_neither_total_keeps_the_usual_measure():
    # the sections then say no total service expenditure figures are in the folder
    assert bd.choose_spend_measure(spend_rows(("Central services", 5.0))) is bd.SPEND
    assert bd.choose_spend_measure(pd.DataFrame()) is bd.SPEND


def test_years_without_deflator_are_the_financial_years_missing_from_the_series():
    deflators = pd.DataFrame(
        {"year": ["2022/23", "2023/24", "2024/25"], "deflator": [95, 97, None]}
    )
    periods = ["2024/25", "2021/22", "2023/24", "2024/25 Q1", "2022/23"]
    # a blank deflator is no deflator; a quarter counts as its financial year; each year once
    assert bd.years_without_deflator(periods, deflators) == ["2021/22", "2024/25"]
    assert bd.years_without_deflator(["2023/24"], deflators) == []
