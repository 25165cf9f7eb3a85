"""Chinese for the words Streamlit's own widgets put on screen, and silence for its icons.

Streamlit draws some texts of its own in English (the file uploader's "Drag and drop a file
here" and its size refusal, the multiselect's "Select all" and "No results", the running
indicator's "Stop", the data grid's "Search" and "Fullscreen", the password field's "Show
password"). It has no setting for another language, so a script on the page (a v2 component:
it runs in the page itself, not in a frame) puts the Chinese in their place as they appear,
in text and in the labels a screen reader reads (aria-label, title, placeholder).

Material icons are ligatures: the icon is the word "dashboard" drawn as a picture, and a screen
reader or a copy of the page reads the word. The same script marks every icon decorative
(aria-hidden) and a style keeps it out of a selection, so only the Chinese label is read.

Only whole texts that are Streamlit's own are replaced (TEXTS, PATTERNS): a page's own words
are Chinese and never match.
"""

from __future__ import annotations

import streamlit as st

# Streamlit's fixed texts → ours.
TEXTS = {
    "Drag and drop a file here": "将文件拖到此处",
    "Drag and drop files here": "将文件拖到此处",
    "Upload": "选择文件",
    "Browse files": "选择文件",
    "Select all": "全选",
    "No results": "无匹配项",
    "Choose an option": "请选择",
    "Choose options": "请选择（可多选）",
    "Clear all": "全部清除",
    "Clear value": "清除",
    "Remove": "移除",
    "Running...": "正在加载…",
    "Stop": "停止加载",
    "Search": "搜索",
    "Download as CSV": "下载",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Exit fullscreen": "退出全屏",
    "Show password": "显示密码",
    "Hide password": "隐藏密码",
    "Copy to clipboard": "复制",
    "Collapse sidebar": "收起侧栏",
    "Add files": "添加文件",
    "Sidebar": "侧栏",
    "Open": "展开",
    "Close": "收起",
    "file upload": "上传文件",
    "Expand sidebar": "展开侧栏",
}
# Streamlit's texts with a number or a name in them: (JavaScript regular expression, ours).
PATTERNS = (
    (r"^File must be (.+?) or smaller\.?$", "文件不能超过 $1，请拆分或删去多余的工作表后再上传。"),
    (r"^(.+?) files are not allowed\.?$", "不支持 $1 格式的文件。"),
    (r"^(?:Limit )?(.+?) per file(.*)$", "单个文件不超过 $1$2"),
    (r"^Help for (.+)$", "$1：说明"),
    (r"^Remove (.+)$", "移除 $1"),
    (r"^Error:\s*(.*)$", "错误：$1"),
)
ICON_SELECTOR = '[data-testid="stIconMaterial"]'
# What Streamlit names an icon for a screen reader ("add icon", as a label or a visually hidden
# text): the element is marked decorative, the hidden text emptied.
ICON_LABEL = r"^[a-z0-9_]+ icon$"
PATTERNS += ((ICON_LABEL, ""),)

_JS = """
export default function (component) {
  const { texts, patterns, icons, iconLabel } = component.data;
  const win = window;
  win.__dashboardLocale = {
    texts,
    patterns: patterns.map(([p, r]) => [new RegExp(p), r]),
    icons,
    iconLabel: new RegExp(iconLabel),
  };
  if (win.__dashboardLocaleObserver) return;
  const style = document.createElement("style");
  style.textContent = `${icons}{user-select:none;-webkit-user-select:none}`;
  document.head.appendChild(style);
  const ATTRIBUTES = ["aria-label", "title", "placeholder"];
  const translated = (value) => {
    const locale = win.__dashboardLocale;
    const text = value.trim();
    if (!text) return null;  // also what an emptied icon name leaves: nothing more to do
    if (Object.prototype.hasOwnProperty.call(locale.texts, text)) {
      return value.replace(text, locale.texts[text]);
    }
    for (const [pattern, replacement] of locale.patterns) {
      if (pattern.test(text)) {
        const better = text.replace(pattern, replacement);
        return better ? value.replace(text, better) : "";
      }
    }
    return null;
  };
  const fix = (root) => {
    const locale = win.__dashboardLocale;
    if (root.nodeType === Node.TEXT_NODE) {
      const better = translated(root.nodeValue);
      if (better !== null) root.nodeValue = better;
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const elements = [root, ...root.querySelectorAll("*")];
    for (const element of elements) {
      const label = element.getAttribute("aria-label");
      if (element.matches(locale.icons) || (label && locale.iconLabel.test(label))) {
        element.setAttribute("aria-hidden", "true");
        continue;
      }
      for (const name of ATTRIBUTES) {
        const value = element.getAttribute(name);
        if (value) {
          const better = translated(value);
          if (better !== null) element.setAttribute(name, better);
        }
      }
    }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const better = translated(node.nodeValue);
      if (better !== null) node.nodeValue = better;
    }
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "characterData") fix(record.target);
      else if (record.type === "attributes") fix(record.target);
      else record.addedNodes.forEach(fix);
    }
  });
  observer.observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
  win.__dashboardLocaleObserver = observer;
  fix(document.body);
}
"""
_localize = st.components.v2.component("dashboard_localize", js=_JS)


def localize_streamlit() -> None:
    """Once per run of every page (the script installs itself once per browser tab)."""
    _localize(
        key="dashboard-localize",
        data={
            "texts": TEXTS,
            "patterns": [list(pair) for pair in PATTERNS],
            "icons": ICON_SELECTOR,
            "iconLabel": ICON_LABEL,
        },
        height=0,
    )
