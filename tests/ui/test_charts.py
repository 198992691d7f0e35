"""Charts the page tests do not draw with data: built here from frames of their documented shape, turned into the
spec the app draws (ui.charts.vega_lite_spec, which skips the schema check) and checked as the page tests check."""

from __future__ import annotations

import jsonschema
import pandas as pd
import pytest

from tests.support.pages import check_chart_spec
from ui.charts import staffing_heatmap, vega_lite_spec
from ui.i18n import translate


def test_the_staffing_grid_is_a_valid_chart() -> None:
    shown = pd.DataFrame(
        {
            "weekday": [0, 0, 1],
            "hour": [8, 18, 18],
            "avg_pickups": [3.5, 12.0, 9.0],
            "suggested": [1, 2, 2],
            "on_duty": [1, 1, 2],
            "short": [False, True, False],
        }
    ).assign(weekday_name=["周一", "周一", "周二"], band=["08:00", "18:00", "18:00"], people=["1/1", "1/2", "2/2"])
    spec = vega_lite_spec(staffing_heatmap(shown, weekday_names=["周一", "周二"]))
    frames = spec.pop("datasets")
    check_chart_spec(spec)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text"]
    # One frame, on the layer, under the name the spec reads.
    assert list(frames) == [spec["data"]["name"]] and frames[spec["data"]["name"]] is shown
    # Its text summary, which a screen reader reads as the chart's name: the highest and lowest cell and where.
    what = translate("zh-CN", "column.avg_pickups").plain
    summary = translate(
        "zh-CN",
        "a11y.chart_summary",
        what=what,
        count=3,
        high="12",
        high_at="周一 18:00",
        low="3.5",
        low_at="周一 08:00",
    )
    assert spec["description"] == summary.plain


def test_a_chart_off_the_schema_fails_the_page_tests_check() -> None:
    """The check the page tests make on every chart they draw does fail: a mark Vega-Lite does not know."""
    spec = {"mark": "bar", "data": {"name": "table-0"}, "encoding": {"x": {"field": "day", "type": "ordinal"}}}
    check_chart_spec(spec)
    with pytest.raises(jsonschema.ValidationError):
        check_chart_spec({**spec, "mark": "hexagon"})
