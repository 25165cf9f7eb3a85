"""The registry of views: one entry per file in pages/, with its stable URL path.

``dashboard/app.py`` builds ``st.navigation`` from it, the meeting playlist and the tests read it,
and a test fails when a file in pages/ is missing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data_access.auth import Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Who may open a view (a user holding any of the roles may).
WORKING_ROLES = (Role.LEADER, Role.SUPERVISOR, Role.TOWNSHIP, Role.ADMIN)
INSPECTION_ROLES = (Role.SUPERVISOR, Role.ADMIN)
EVERY_ROLE = tuple(Role)
ADMIN_ROLES = (Role.ADMIN,)


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    url_path: str
    icon: str
    section: str
    default: bool = False
    roles: tuple[Role, ...] = WORKING_ROLES
    # Closed to anyone holding 乡镇用户, whatever other roles they hold (the 暗访 plan).
    confidential: bool = False

    @property
    def path(self) -> Path:
        return PROJECT_ROOT / self.file


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "总览", "overview", ":material/dashboard:", "督导", default=True),
    PageSpec("pages/rankings.py", "红黑榜", "rankings", ":material/leaderboard:", "督导"),
    PageSpec("pages/rectification.py", "整改进度", "rectification", ":material/checklist:", "督导"),
    PageSpec("pages/income.py", "收入监测", "income", ":material/payments:", "督导"),
    PageSpec(
        "pages/inspection.py",
        "暗访选点",
        "inspection",
        ":material/casino:",
        "督导",
        roles=INSPECTION_ROLES,
        confidential=True,
    ),
    PageSpec("pages/meeting.py", "会议大屏", "meeting", ":material/tv:", "会议", roles=EVERY_ROLE),
    PageSpec("pages/visits.py", "走访覆盖", "visits", ":material/map:", "督导"),
    PageSpec(
        "pages/warnings.py", "预警核实", "warnings", ":material/notification_important:", "督导"
    ),
    PageSpec(
        "pages/import.py",
        "数据导入",
        "import",
        ":material/upload_file:",
        "管理",
        roles=ADMIN_ROLES,
    ),
    PageSpec(
        "pages/admin.py",
        "用户与审计",
        "admin",
        ":material/admin_panel_settings:",
        "管理",
        roles=ADMIN_ROLES,
    ),
)
