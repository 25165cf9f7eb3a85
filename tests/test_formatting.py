import math

import pandas as pd

from config import load_settings
from dashboard import formatting
from dashboard.components.countdown import countdown_html, urgency


def test_counts_and_percentages_read_as_people_write_them():
    assert formatting.count(24318) == "24,318"
    assert formatting.count(math.nan) == "—"
    assert formatting.percent(0.9634) == "96.3%"
    assert formatting.percent(None) == "—"


def test_changes_carry_their_sign_for_the_arrow():
    assert formatting.signed_count(-12, " 户") == "-12 户"
    assert formatting.signed_count(3) == "+3"
    assert formatting.signed_count(None) is None
    assert formatting.signed_points(0.012) == "+1.2 个百分点"


def test_no_change_reads_as_zero_so_no_arrow_is_drawn():
    assert formatting.signed_count(0.2, " 户") == "0"
    assert formatting.signed_points(0.0001) == "0"


def test_countdown_urgency_follows_the_configured_thresholds():
    settings = load_settings().rectification
    assert urgency(settings.urgent_days, settings) == "urgent"
    assert urgency(settings.urgent_days + 1, settings) == "warning"
    assert urgency(settings.warning_days + 1, settings) == "calm"


def test_the_countdown_banner_names_each_milestone_and_its_open_items():
    from datetime import date

    milestones = pd.DataFrame(
        {
            "name": ["省级交叉检查", "年底考核<评估>"],
            "due_on": [date(2026, 12, 11), date(2027, 1, 8)],
            "days_left": [12, 40],
            "description": ["", ""],
            "open_items": [7, 0],
        }
    )
    html = countdown_html(milestones, load_settings().rectification, limit=4)
    assert "还有 12 天" in html
    assert "此前到期未销号 <b>7</b> 项" in html
    assert "均已销号" in html
    assert "&lt;评估&gt;" in html
