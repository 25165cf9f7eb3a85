"""A real county's first week, end to end: an empty database, the files a county office has — the
乡镇村 list, the national system's 基础信息表, the assisting units' roster, last year's 摸排, this
year's 收支登记, a published 整改清单, a published township boundary file — imported through the
command line as they come, and every view then showing that county (not the demo's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.__main__ import main
from data_access.db import init_db, make_engine
from tests.import_helpers import workbook_bytes
from tests.login import logged_in
from tests.national_export import export_workbook, family

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
BY_PATH = {spec.url_path: spec for spec in PAGES}
# Township (code, name) → villages (code, name, lon, lat).
VILLAGES = {
    ("452731100", "城关镇"): [
        ("452731100201", "东门村", 107.02, 24.02),
        ("452731100202", "西门村", 107.06, 24.06),
    ],
    ("452731101", "清水镇"): [
        ("452731101201", "河口村", 107.12, 24.02),
        ("452731101202", "山背村", 107.16, 24.06),
    ],
}


def households() -> list:
    """Two households of four in every village; one 脱贫不稳定户, one 边缘易致贫户."""
    found = []
    number = 0
    for (_, township), villages in VILLAGES.items():
        for code, village, _, _ in villages:
            for _ in range(2):
                number += 1
                options = {}
                if number == 3:
                    options = {"category": "脱贫不稳定户", "cleared": "否", "since": 202503}
                if number == 6:
                    options = {"household_type": "一般农户", "lifted_year": None}
                    options |= {"category": "边缘易致贫户", "cleared": "否", "since": 202406}
                found.append(family(f"{code}{number:04d}", township, village, 4, **options))
    return found


# Per household, last year's net income (yuan, household of 4) and this year's monthly wage: the
# first falls (10,000 → 7,500 per person), the second falls below the line (7,000 → 6,000).
INCOMES = {0: (40000, 2500), 1: (28000, 2000)}
OTHERS = (36000, 3500)


def write_files(folder: Path, people: list) -> dict[str, Path]:
    places = [["乡镇代码", "乡镇名称", "村代码", "村名称", "经度", "纬度"]]
    for (code, township), villages in VILLAGES.items():
        places.append([code, township, None, None, None, None])
        places += [[code, township, v, name, lon, lat] for v, name, lon, lat in villages]
    roster = [["姓名", "手机号", "角色", "帮扶单位", "单位类型", "乡镇", "村", "联系户编号"]]
    for n, household in enumerate(people):
        if n % 2 == 0:
            pair = "、".join(h.code for h in people[n : n + 2])
            roster.append([f"干部{n}", f"139000000{n:02d}", "帮扶干部", "县农业农村局", "县直部门",
                           household.township, household.village, pair])  # fmt: skip
    moupai = [["户编号", "年度", "家庭人口", "工资性收入（元）", "生产经营性收入（元）",
               "财产性收入（元）", "转移性收入（元）", "生产经营性支出（元）"]]  # fmt: skip
    registers = [["户编号", "月份", "工资性收入（元）"]]
    for n, household in enumerate(people):
        last_year, monthly = INCOMES.get(n, OTHERS)
        moupai.append([household.code, 2025, 4, last_year, 0, 0, 0, 0])
        registers += [[household.code, f"2026-{m:02d}", monthly] for m in range(1, 11)]
    rectification = [
        ["序号", "反馈问题", "牵头单位", "责任单位", "整改措施", "整改时限", "整改进展"],
        [1, "部分监测户帮扶措施不精准", "县乡村振兴局", "城关镇", "一户一策", "2026年12月底前",
         "整改中"],
        [2, "防返贫监测预警不及时", "县乡村振兴局", "各乡镇", "每月比对", "长期坚持", "长期坚持"],
        [3, "产业奖补发放滞后", "县农业农村局", "县农业农村局", "加快发放", "2026年6月30日前",
         "未整改"],
    ]  # fmt: skip

    def square(lon: float, lat: float) -> list:
        return [
            [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
        ]

    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"街道名称": name, "adcode": f"{code}000"},
             "geometry": {"type": "Polygon", "coordinates": square(lon, 24.0)}}
            for (code, name), lon in zip(VILLAGES, (107.0, 107.1), strict=True)
        ],
    }  # fmt: skip
    files = {
        "places": ("乡镇村.xlsx", workbook_bytes(places, title="云岭县行政区划")),
        "national": ("基础信息表.xlsx", export_workbook(people)),
        "cadres": ("帮扶干部花名册.xlsx", workbook_bytes(roster, title="帮扶干部花名册")),
        "income_years": ("2025年收支情况摸排.xlsx", workbook_bytes(moupai)),
        "registers": ("2026年收支登记.xlsx", workbook_bytes(registers)),
        "rectification": (
            "整改清单.xlsx",
            workbook_bytes(rectification, title="2025年度省级考核评估反馈问题整改清单"),
        ),
    }
    paths = {}
    for kind, (name, content) in files.items():
        paths[kind] = folder / name
        paths[kind].write_bytes(content)
    paths["boundaries"] = folder / "乡镇边界.geojson"
    paths["boundaries"].write_text(json.dumps(boundaries, ensure_ascii=False), encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> str:
    """The database after the week's imports, and the settings file the app runs with."""
    folder = tmp_path_factory.mktemp("county")
    url = f"sqlite:///{folder / 'county.db'}"
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    return url


@pytest.fixture
def app_env(monkeypatch, county, test_config_path):
    monkeypatch.setenv("DASHBOARD_DB_URL", county)
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    return county


def test_a_real_countys_files_import_as_they_come_and_every_view_shows_that_county(
    app_env, tmp_path, capsys
):
    paths = write_files(tmp_path, households())
    for kind in ("places", "national", "cadres", "income_years", "registers", "rectification"):
        assert main(["import", str(paths[kind]), "--kind", kind, "--commit"]) == 0, (
            kind,
            capsys.readouterr().out,
        )
    assert main(["import-boundaries", str(paths["boundaries"]), "--commit"]) == 0
    assert main(["users", "add", "admin", "--role", "管理员", "--password", "a-long-password"]) == 0
    engine = make_engine(app_env)
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM households),"
                " (SELECT COUNT(*) FROM household_members),"
                " (SELECT COUNT(*) FROM income_years), (SELECT COUNT(*) FROM income_registers),"
                " (SELECT COUNT(*) FROM rectification_items),"
                " (SELECT COUNT(*) FROM townships WHERE boundary IS NOT NULL)"
            )
        ).one()
    engine.dispose()
    assert tuple(counts) == (8, 32, 8, 80, 3, 2)

    for spec in PAGES:
        app = AppTest.from_file(APP, default_timeout=60)
        if not spec.default:
            app.switch_page(str(spec.path))
        logged_in(app, "admin", "a-long-password")
        assert not app.exception, (spec.url_path, [e.value for e in app.exception])
        assert not app.error, (spec.url_path, [e.value for e in app.error])
        values = {m.label: m.value for m in app.metric}
        if spec.default:
            # Last year from the 摸排, this year from the registers: two fell, one below the line.
            assert (values["收入不增反降"], values["脱贫户（含监测户）"]) == ("2", "8"), values
            assert values[next(k for k in values if k.startswith("低于监测线"))] == "1", values
            # The county-department item is overdue; the township one is not due yet.
            assert values["逾期未整改"] == "1", values
        if spec.url_path == "visits":
            deck = json.loads(app.get("deck_gl_json_chart")[0].proto.json)
            drawn = json.dumps(deck["layers"], ensure_ascii=False)
            # The published outlines, not the demo's generated ones, and the township labels.
            assert "[[[107.0, 24.0], [107.1, 24.0], [107.1, 24.1]" in drawn, drawn[:500]
            assert "清水镇" in drawn
