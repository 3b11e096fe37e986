"""The HTML export (:mod:`perfeval.run.export`): what the publication preprocessor leaves out,
on tiny hand-made notebooks, and the page that the template and the outline give."""

from __future__ import annotations

import copy
import re

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from perfeval.core.exceptions import RunError
from perfeval.present.section import SECTION_MIME
from perfeval.run import export
from perfeval.run.export import export_html, prepare_for_publication, report_title
from perfeval.run.provenance import KEY_FIGURE_MIME, key_figure_payload


def _code(*outputs, tags=()):
    cell = new_code_cell("secret_code_text = 1", metadata={"tags": list(tags)})
    cell.outputs = list(outputs)
    return cell


def _report():
    return new_notebook(
        cells=[
            new_markdown_cell("# Annual review\n\nWhy this report."),
            _code(
                new_output("stream", name="stdout", text="shown on stdout\n"),
                new_output("stream", name="stderr", text="a warning on stderr\n"),
                new_output("display_data", data={KEY_FIGURE_MIME: key_figure_payload("n", 3)}),
                new_output("execute_result", data={"text/plain": "<Figure size 640x480>"}),
                new_output(
                    "display_data",
                    data={"text/html": "<p>kept</p><script>alert(1)</script>", SECTION_MIME: {}},
                ),
                new_output(
                    "display_data",
                    data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"}},
                ),
            ),
            _code(new_output("stream", name="stdout", text="removed cell\n"), tags=["remove-cell"]),
            new_markdown_cell("## First part\n\n#### Too deep"),
            new_markdown_cell("## Second part"),
        ]
    )


def test_the_preprocessor_keeps_what_readers_see_and_drops_the_rest():
    nb = _report()
    before = copy.deepcopy(nb)
    published = prepare_for_publication(nb)
    assert nb == before, "the notebook given is not changed"
    outputs = published.cells[1].outputs
    assert [o.output_type for o in outputs] == ["stream", "display_data"]
    assert outputs[0].text == "shown on stdout\n"
    assert outputs[1].data["text/html"] == "<p>kept</p>"
    assert len(published.cells) == 4, "the cell tagged remove-cell is gone"
    assert published.cells[0].source == "\nWhy this report.", "the title block shows the title"


def test_only_a_level_one_title_heading_is_taken_out():
    nb = new_notebook(cells=[new_markdown_cell("## A section first\n\nText.")])
    assert prepare_for_publication(nb).cells[0].source == nb.cells[0].source
    assert report_title(nb, "x.ipynb") == "A section first"
    assert report_title(new_notebook(cells=[]), "annual_review.ipynb") == "Annual Review"


def test_the_page_hides_code_and_outputs_readers_must_not_see():
    page = export_html(_report(), notebook_name="review.ipynb", parameters={})
    for hidden in ("secret_code_text", "a warning on stderr", "<script", "Figure size", "removed"):
        assert hidden not in page
    assert "shown on stdout" in page and "<p>kept</p>" in page
    assert page.count("<h1") == 1, "the title only once, in the title block"


def test_the_outline_has_no_skipped_level_and_a_contents_list_of_every_h2():
    """Every h2 of the page: the notebook's and the template's legend of symbols."""
    page = export_html(_report(), notebook_name="review.ipynb", parameters={})
    levels = [int(n) for n in re.findall(r"<h([1-6])", page)]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    nav = re.search(r'<nav class="contents".*?</nav>', page, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', nav) == ["First-part", "Second-part", "symbols"]
    assert '<h2 id="First-part">' in page and "<h3" in page and "<h4" not in page


def test_an_h2_without_an_id_gets_a_unique_one_for_the_contents():
    page = export._add_contents(
        '<!-- perfeval:contents --><h2 id="A">A</h2><h2>A</h2><h2>A &amp; b</h2>'
    )
    assert re.findall(r'<li><a href="#([^"]+)">', page) == ["A", "A-2", "A-b"]


def test_a_page_that_would_run_a_script_or_load_from_the_internet_is_refused():
    page = export_html(_report(), notebook_name="review.ipynb", parameters={})
    export.check_page(page, "review.ipynb")
    with pytest.raises(RunError, match="would contain a <script>"):
        export.check_page(page.replace("</main>", "<script></script></main>"), "review.ipynb")
    with pytest.raises(RunError, match="would load https://example.org/x.png"):
        export.check_page(
            page.replace("</main>", '<img src="https://example.org/x.png"></main>'), "r.ipynb"
        )
    with pytest.raises(RunError, match="lacks its Content-Security-Policy"):
        export.check_page(page.replace("Content-Security-Policy", "X-Nothing"), "review.ipynb")


def test_the_input_notebook_is_not_changed_by_the_export():
    nb = _report()
    before = copy.deepcopy(nb)
    export_html(nb, notebook_name="review.ipynb", parameters={})
    assert nb == before
