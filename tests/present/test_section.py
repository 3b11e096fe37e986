"""The Section type: one set of blocks, shown as HTML through one template and described as JSON
for the Word writer; key figures offered by the section and recorded by the notebook."""

import json

import pandas as pd
import pytest
from matplotlib.figure import Figure

from perfeval.core.exceptions import RecordError
from perfeval.present import keyfigures
from perfeval.present.html import html_table, show_list, show_text
from perfeval.present.section import SECTION_MIME, SECTION_VERSION, Section, table_block


def small_figure() -> Figure:
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([1, 2], [3, 4])
    return fig


FRAME = pd.DataFrame(
    {
        "Indicator": ["Waste <sent> to landfill", "Rent & arrears"],
        "Value": ["£1,200", "[x]"],
        "Rank": [1, 12],
    }
)


def test_blocks_keep_reading_order_and_render_through_the_one_template():
    s = (
        Section()
        .text("First sentence.")
        .figure(small_figure(), alt="A rising line.", caption="Caption.")
        .table(FRAME, "Values, 2024/25", row_header="Indicator", note="[x] not available")
        .bullets(["one", "two"], heading="Listed")
        .caveat("Provisional figures.")
    )
    html = s.to_html()
    order = [
        html.index(t) for t in ("First sentence.", "<figure", "<table", "<ul>", 'class="caveat"')
    ]
    assert order == sorted(order)
    assert "Waste &lt;sent&gt; to landfill" in html and "Rent &amp; arrears" in html
    assert '<th scope="row">Waste' in html and '<td class="num">£1,200</td>' in html
    # the one-block helpers give exactly the markup of the same block in a section
    assert (
        html_table(FRAME, "Values, 2024/25", row_header="Indicator", note="[x] not available")
        in html
    )
    assert str(show_text("First sentence.")) in html
    assert str(show_list(["one", "two"], heading="Listed")) in html


def test_json_description_matches_the_html_cell_for_cell():
    s = Section(heading="Money").table(FRAME, "Values", row_header="Indicator")
    bundle = s._repr_mimebundle_()
    described = json.loads(json.dumps(bundle[SECTION_MIME]))
    assert described["version"] == SECTION_VERSION and described["heading"] == "Money"
    table = described["blocks"][0]
    assert table["kind"] == "table" and table["columns"] == ["Indicator", "Value", "Rank"]
    assert table["rows"] == [
        ["Waste <sent> to landfill", "£1,200", "1"],
        ["Rent & arrears", "[x]", "12"],
    ]
    assert table["numeric"] == [False, True, True] and table["row_header"] == "Indicator"
    assert bundle["text/html"].startswith("<h2>Money</h2>")


def test_absent_parts_add_nothing_and_an_empty_table_says_so():
    s = Section().text("").figure(None, alt="x", caption="y").table(None, "z").caveat("")
    assert s.blocks == [] and s.caveats == [] and s.to_html() == ""
    empty = Section().table(FRAME.iloc[:0], "Overdue actions.")
    assert empty.to_html() == '<p class="table-empty">Overdue actions: no rows to show.</p>'
    assert (
        Section().bullets([], heading="Issues").to_html()
        == "<p><strong>Issues</strong></p><p>None.</p>"
    )


def test_a_chart_without_a_text_alternative_and_a_wrong_row_header_are_refused():
    with pytest.raises(RecordError, match="no text alternative"):
        Section().figure(small_figure(), alt=" ", caption="Spend per head")
    with pytest.raises(RecordError, match="row header 'Council' is not one of its columns"):
        table_block(FRAME, "Values", row_header="Council")


def test_record_publishes_offered_figures_and_refuses_others(monkeypatch):
    published = []
    monkeypatch.setattr(
        keyfigures,
        "record",
        lambda name, value, description=None: published.append((name, value, description)),
    )
    s = Section().offer("headline_share", 0.25, "Share on target").offer("count", 3)
    s.record("headline_share")
    assert published == [("headline_share", 0.25, "Share on target")]
    s.record()
    assert [p[0] for p in published] == ["headline_share", "headline_share", "count"]
    with pytest.raises(
        RecordError, match="offers no key figure 'missing'; it offers: headline_share, count"
    ):
        s.record("missing")


def test_extend_joins_sections_in_order():
    a = Section().text("A.").offer("a", 1)
    b = Section().text("B.").caveat("Careful.").offer("b", 2)
    joined = a.extend(b)
    assert [blk.text for blk in joined.blocks] == ["A.", "B."]
    assert joined.caveats == ["Careful."] and set(joined.figures) == {"a", "b"}
