"""数据导入: Excel ledgers in — template, upload, dry run, rejected rows, commit; boundary files;
batch history."""

import streamlit as st

from dashboard.components.boundaries import render_boundaries
from dashboard.components.imports import render_history, render_import, show_flash
from dashboard.components.layout import page_header
from dashboard.context import current_view

view = current_view()
page_header(view, "数据导入")
show_flash()

import_tab, boundary_tab, history_tab = st.tabs(["导入台账", "导入边界", "导入记录"])
with import_tab:
    render_import(view)
with boundary_tab:
    render_boundaries(view)
with history_tab:
    render_history(view)
