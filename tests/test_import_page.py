"""The /import page through AppTest, signed in as the demo admin, and the import command line."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from dashboard import escaping
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.__main__ import main
from data_access.demo.ids import id_check_character
from data_access.models import AuditEntry, Household, ImportBatch, IncomeRegister, Village
from tests.import_helpers import committed, fingerprint, scalar, workbook_bytes, writable_demo
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
IMPORT_PAGE = next(spec for spec in PAGES if spec.url_path == "import")
HEADER = ["户编号", "月份", "工资性收入（元）"]


@pytest.fixture
def engine(demo_sqlite_path, tmp_path, monkeypatch, test_config_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    monkeypatch.setenv("DASHBOARD_DB_URL", str(engine.url))
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    yield engine
    engine.dispose()


@pytest.fixture
def code(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(Household.code).order_by(Household.id).limit(1)).scalar()


def import_page(username: str = "admin") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(IMPORT_PAGE.path))
    return logged_in(app, username)


def upload(app: AppTest, name: str, content: bytes, kind: str = "registers") -> AppTest:
    app.selectbox(key="import-kind").set_value(kind).run()
    return (
        app.file_uploader(key="import-file")
        .set_value((name, content, "application/octet-stream"))
        .run()
    )


def frame_with(app: AppTest, column: str):
    """The one table on the page that has ``column`` (AppTest does not expose table keys)."""
    [frame] = [table.value for table in app.dataframe if column in table.value.columns]
    return frame


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_an_uploaded_ledger_is_dry_run_then_committed_and_listed(engine, code):
    content = workbook_bytes(
        [HEADER, [code, "2024-10", "1,000"], ["0000", "2024-10", 5], [code, "2099-01", 5]],
        title="收支登记台账",
    )
    app = upload(import_page(), "收支.xlsx", content)
    assert not app.exception
    assert metrics(app) == {"新增": "1", "更新": "0", "不变": "0", "拒绝": "2"}
    assert "2 行被拒绝" in app.warning[0].value
    errors = frame_with(app, "原因")
    assert errors["行号"].tolist() == [4, 5]
    assert scalar(engine, "SELECT COUNT(*) FROM import_batches") == 0

    app.button(key="import-commit").click().run()
    assert not app.exception
    assert app.success[0].value.startswith("导入完成（批次 #1）：新增 1 行")
    # The page now dry-runs the same file against the new data: nothing left to change.
    assert metrics(app) == {"新增": "0", "更新": "0", "不变": "1", "拒绝": "2"}
    batches = frame_with(app, "台账类别")
    assert batches[["台账类别", "文件名", "状态", "新增", "拒绝"]].values.tolist() == [
        ["收支登记", "收支.xlsx", "已导入", 1, 2]
    ]
    with engine.connect() as conn:
        wage = conn.execute(
            select(IncomeRegister.wage)
            .join(Household, Household.id == IncomeRegister.household_id)
            .where(Household.code == code, IncomeRegister.month == "2024-10-01")
        ).scalar()
        user = conn.execute(select(ImportBatch.username)).scalar()
    assert (wage, user) == (1000, "admin")


def test_all_or_nothing_on_the_page_writes_nothing_when_a_row_is_rejected(engine, code):
    content = workbook_bytes([HEADER, [code, "2024-10", 1000], ["0000", "2024-10", 5]])
    before = fingerprint(engine, ["income_registers"])
    app = upload(import_page(), "收支.xlsx", content)
    app.checkbox(key="import-all-or-nothing").check().run()
    app.button(key="import-commit").click().run()
    assert not app.exception
    assert "按“全有或全无”没有写入任何数据" in app.warning[0].value
    assert fingerprint(engine, ["income_registers"]) == before


def test_a_refused_file_shows_the_reason_in_chinese_and_is_audited(engine):
    app = upload(import_page(), "旧台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert not app.exception
    # The refusal quotes the file: shown as text, its punctuation escaped for markdown.
    assert escaping.markdown("不支持 .xls 格式") in app.error[0].value
    with engine.connect() as conn:
        targets = (
            conn.execute(select(AuditEntry.target).where(AuditEntry.action == "导入台账"))
            .scalars()
            .all()
        )
    assert targets == ["拒绝导入：旧台账.xls"]


def test_a_workbook_with_several_fitting_sheets_asks_which_one(engine, code):
    content = workbook_bytes(
        [HEADER, [code, "2024-10", 1]],
        sheet="九月",
        extra_sheets={"十月": [HEADER, [code, "2024-09", 1], [code, "2024-08", 1]]},
    )
    app = upload(import_page(), "两张表.xlsx", content)
    assert "请选择要导入的一个" in app.info[0].value
    assert not app.metric
    app.selectbox(key="import-sheet").set_value("十月").run()
    assert not app.exception
    assert metrics(app)["新增"] == "2"


def test_the_template_of_the_chosen_kind_is_offered(engine):
    app = import_page()
    app.selectbox(key="import-kind").set_value("visits").run()
    assert not app.exception
    assert "走访记录" in app.get("download_button")[0].proto.label


# --- command line ----------------------------------------------------------------------------


def test_the_command_line_dry_runs_by_default_and_commits_when_asked(
    engine, code, tmp_path, capsys
):
    path = tmp_path / "收支.xlsx"
    path.write_bytes(workbook_bytes([HEADER, [code, "2024-10", 800], [code, "2024-13", 1]]))
    assert main(["import", str(path), "--kind", "收支登记"]) == 1
    dry_output = capsys.readouterr().out
    assert "试导入（未写入）：新增 1 行，更新 0 行，不变 0 行，拒绝 1 行" in dry_output
    assert "工作表“Sheet1”第 3 行，列“月份”，值“2024-13”：月份应在 1 到 12 之间" in dry_output
    assert scalar(engine, "SELECT COUNT(*) FROM import_batches") == 0

    assert main(["import", str(path), "--kind", "registers", "--commit", "--user", "王局长"]) == 1
    output = capsys.readouterr().out
    assert "已导入，批次 #1：新增 1 行" in output
    with engine.connect() as conn:
        assert conn.execute(select(ImportBatch.username)).scalar() == "王局长"
        assert conn.execute(select(func.count()).select_from(ImportBatch)).scalar() == 1


def test_the_command_line_refuses_a_broken_file_with_status_2(engine, tmp_path, capsys):
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(b"not a workbook")
    assert main(["import", str(path), "--kind", "registers", "--commit"]) == 2
    assert "拒绝导入：文件不是有效的 Excel 工作簿" in capsys.readouterr().out


def test_the_command_line_writes_a_template(engine, tmp_path, capsys):
    path = tmp_path / "模板.xlsx"
    assert main(["import-template", "households", str(path)]) == 0
    sheet = load_workbook(BytesIO(path.read_bytes())).worksheets[0]
    headers = [cell.value for cell in sheet[2]]
    assert headers[:4] == ["户编号", "村代码", "网格号", "户主姓名"]
    assert str(sheet["A3"].value).startswith("填写说明：")
    assert {dv.formula1 for dv in sheet.data_validations.dataValidation} >= {'"脱贫户,监测户"'}


def test_an_unknown_kind_is_named_with_the_choices(engine, tmp_path, capsys):
    assert main(["import-template", "花名册", str(tmp_path / "x.xlsx")]) == 2
    assert "没有“花名册”这类台账" in capsys.readouterr().out


def test_figures_on_other_pages_follow_a_committed_import(engine, settings):
    def households_on_overview() -> int:
        app = logged_in(AppTest.from_file(APP, default_timeout=60))
        assert not app.exception
        return int(metrics(app)["脱贫户（含监测户）"].replace(",", ""))

    before = households_on_overview()
    with engine.connect() as conn:
        village = conn.execute(select(Village.code).order_by(Village.id).limit(1)).scalar()
    first17 = "45273119900909123"
    content = workbook_bytes(
        [
            ["户编号", "村代码", "户主姓名", "户主身份证号", "户类型", "脱贫年度", "家庭人口"],
            [
                "9900000000000301",
                village,
                "新户主",
                first17 + id_check_character(first17),
                "脱贫户",
                2019,
                2,
            ],
        ]
    )
    assert committed(engine, content, "households", settings).data_version is not None
    assert households_on_overview() == before + 1
