"""The 会议大屏, by job: screen (design size, full-screen style), tiles, rotation, panels, refresh
(the data version re-read without a reload) and control (screen size and keys); its figures are
built in dashboard.charts.wall.

Every panel shows county aggregates only — townships, units and counts; never a household, a
person's name or an inspection target — so the screen can face a full meeting room. Panels read
through the published scope (all townships, no personal data), whatever the viewer's filter.
"""
