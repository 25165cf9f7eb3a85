"""导入边界: upload a GeoJSON boundary file, choose the property townships are matched by, read the
dry run (matched, merged, repaired, unmatched, warnings), then commit.

The commit goes through ``commit_boundaries`` (audit entry, data version) with the dry run's
digest, so what is written is what the page showed; a file changed in between, or a database
changed by someone else, is refused and dry-run again. The parsed file and the dry run are kept in
the session (per file, options and data version): choosing a property does not re-read 20 MB.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import escaping
from dashboard.components.layout import choose, row_height, show_table
from dashboard.context import ViewContext
from dashboard.data import engine_for
from data_access.boundaries import (
    BoundaryError,
    BoundaryOptions,
    BoundaryReport,
    PropertySummary,
    choose_matching,
    commit_boundaries,
    dry_run_boundaries,
    file_properties,
    parse_geojson,
)

logger = logging.getLogger("dashboard.boundaries")

UPLOAD_KEY = "boundary-file"
PROPERTY_KEY = "boundary-property"
GCJ_KEY = "boundary-gcj02"
COMMIT_KEY = "boundary-commit"
AUTO = "auto"
_FILE_KEY = "_boundary_file"
_REPORT_KEY = "_boundary_report"
_FLASH_KEY = "_boundary_flash"


def _bulleted(lines: list[str]) -> str:
    """A markdown list of ``lines``, each shown as text (they quote the file's property values,
    feature labels and place names)."""
    return "\n".join(f"- {escaping.markdown(line)}" for line in lines)


def _refused(error: BoundaryError) -> None:
    lines = [*error.problems, *error.hints]
    st.error(
        f"**拒绝导入**（数据库未改动）：\n\n{_bulleted(lines)}",
        icon=":material/block:",
    )


def _parsed(content: bytes, name: str) -> tuple[str, Any, list[PropertySummary]]:
    """(digest, document, properties) of the uploaded file, kept in the session."""
    digest = hashlib.sha256(content).hexdigest()
    cached = st.session_state.get(_FILE_KEY)
    if cached is not None and cached[0] == digest:
        return cached
    # A new file: the property chosen for the previous one means nothing here.
    st.session_state.pop(PROPERTY_KEY, None)
    document = parse_geojson(content, file_name=name)
    parsed = (digest, document, file_properties(document))
    st.session_state[_FILE_KEY] = parsed
    return parsed


def _options(choice: str, summaries: dict[str, PropertySummary], gcj02: bool) -> BoundaryOptions:
    source = "gcj02" if gcj02 else "wgs84"
    if choice == AUTO:
        return BoundaryOptions(source=source)
    if summaries[choice].code_like:
        return BoundaryOptions(code_property=choice, source=source)
    return BoundaryOptions(name_property=choice, source=source)


def _dry_run(
    view: ViewContext, digest: str, document: Any, options: BoundaryOptions
) -> BoundaryReport:
    key = (digest, options, view.data_version)
    cached = st.session_state.get(_REPORT_KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    with (
        st.spinner("正在试导入（核对每个要素，不写入）…"),
        engine_for(view.database_url).connect() as conn,
    ):
        report = dry_run_boundaries(conn, document, options=options)
    st.session_state[_REPORT_KEY] = (key, report)
    return report


def render_boundaries(view: ViewContext) -> None:
    """Upload → property → GCJ-02 → dry run → commit."""
    flash = st.session_state.pop(_FLASH_KEY, None)
    if flash is not None:
        st.success(flash, icon=":material/check_circle:")
    st.caption(
        "乡镇（及村）边界的 GeoJSON 文件：每个乡镇一个或多个要素（多个要素合并为一个边界），"
        "属性中写乡镇名称或 9 位、12 位乡镇代码。文件中须有本县的全部乡镇；"
        "先试导入，核对无误再确认写入。"
    )
    upload = st.file_uploader(
        "上传边界文件",
        type=["geojson", "json"],
        key=UPLOAD_KEY,
        max_upload_size=view.settings.imports.max_file_mb,
        help=f".geojson 或 .json（GeoJSON FeatureCollection），不超过 "
        f"{view.settings.imports.max_file_mb} MB。",
    )
    if upload is None:
        st.info("上传乡镇边界文件后先试导入，列出匹配、合并、修复的要素，核对无误再确认写入。")
        return
    try:
        digest, document, summaries = _parsed(upload.getvalue(), upload.name)
    except BoundaryError as error:
        _refused(error)
        return
    by_name = {summary.name: summary for summary in summaries}
    try:
        detected = choose_matching(document, BoundaryOptions())
    except BoundaryError as error:
        detected = None
        st.info(
            f"未能自动确定按哪个属性匹配乡镇，请在下面选择：\n\n{_bulleted(error.problems)}",
            icon=":material/help:",
        )
    choices = ([AUTO] if detected else []) + list(by_name)

    def label(choice: str) -> str:
        if choice == AUTO and detected is not None:
            return detected.describe()
        summary = by_name[choice]
        return f"{'代码' if summary.code_like else '名称'}：{summary.label()}"

    property_column, gcj_column = st.columns([3, 2], vertical_alignment="bottom")
    choice = choose(
        "匹配乡镇所用的属性",
        choices,
        index=0 if detected else None,
        format_func=label,
        placeholder="请选择写乡镇名称或代码的属性",
        key=PROPERTY_KEY,
        where=property_column,
    )
    gcj02 = gcj_column.checkbox(
        "坐标为 GCJ-02（高德、腾讯等网络地图），导入时换算为 WGS84",
        key=GCJ_KEY,
    )
    if choice is None:
        return
    options = _options(choice, by_name, gcj02)
    try:
        report = _dry_run(view, digest, document, options)
    except BoundaryError as error:
        _refused(error)
        return
    except Exception:  # a file no check foresaw must not take the page down
        logger.exception("boundary dry run failed")
        st.error("**试导入失败**：出现意外错误，数据库未改动。", icon=":material/error:")
        return
    _render_report(report)
    _render_commit(view, document, options, report, upload.name)


def _render_report(report: BoundaryReport) -> None:
    st.markdown("**试导入结果**（尚未写入）")
    for column, (label, value) in zip(
        st.columns(5),
        (
            ("乡镇", report.townships),
            ("村", report.villages),
            ("将改变", report.changes),
            ("已修复的要素", len(report.repaired)),
            ("未匹配的要素", len(report.unmatched)),
        ),
        strict=True,
    ):
        column.metric(label, f"{value:,}", border=True)
    st.caption(
        f"{escaping.markdown(report.matching)}；"
        f"坐标按 {'GCJ-02 换算' if report.source == 'gcj02' else 'WGS84'}"
    )
    if report.warnings:
        st.warning(_bulleted(report.warnings), icon=":material/warning:")
    if report.repaired:
        st.warning(
            f"以下要素的几何图形无效，已自动修复，请核对：\n\n{_bulleted(report.repaired)}",
            icon=":material/build:",
        )
    if report.unmatched:
        st.warning(
            f"以下要素与数据库中的乡镇、村都对应不上，不导入：\n\n{_bulleted(report.unmatched)}",
            icon=":material/link_off:",
        )
    if report.renamed:
        st.info(f"名称按去掉后缀匹配：\n\n{_bulleted(report.renamed)}", icon=":material/rule:")
    if report.merged:
        st.info(f"同一地方的多个要素已合并：\n\n{_bulleted(report.merged)}", icon=":material/join:")
    matched = pd.DataFrame(
        {
            "类别": [place.kind for place in report.matched],
            "名称": [place.name for place in report.matched],
            "要素": ["、".join(f"第 {n} 个" for n in place.features) for place in report.matched],
            "变化": ["将改变" if place.changed else "不变" for place in report.matched],
        }
    )
    show_table(
        matched,
        hide_index=True,
        width="stretch",
        height=row_height(min(len(matched), 12)),
        key="boundary-matched",
    )


def _render_commit(
    view: ViewContext,
    document: Any,
    options: BoundaryOptions,
    report: BoundaryReport,
    file_name: str,
) -> None:
    nothing = not report.changes
    clicked = st.button(
        "确认导入边界",
        type="primary",
        icon=":material/upload:",
        disabled=nothing,
        key=COMMIT_KEY,
        help="边界与数据库中的相同，无需写入"
        if nothing
        else "写入上表中将改变的边界，并记入审计日志",
    )
    if not clicked:
        return
    try:
        with st.spinner("正在写入…"):
            written = commit_boundaries(
                engine_for(view.database_url),
                document,
                username=view.access.username,
                now=view.clock.now(),
                options=options,
                expected_digest=report.digest,
                file_name=file_name,
            )
    except BoundaryError as error:
        _refused(error)
        return
    except Exception:
        logger.exception("boundary import failed")
        st.error("**导入失败**：写入时出错，已全部撤销，数据库未改动。", icon=":material/error:")
        return
    st.session_state[_FLASH_KEY] = (
        f"边界已导入：乡镇 {written.townships} 个、村 {written.villages} 个，"
        f"改变 {written.changes} 个（数据版本 {written.data_version}）。走访地图随即按新边界显示。"
    )
    st.rerun()
