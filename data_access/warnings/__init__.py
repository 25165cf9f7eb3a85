"""预警核实: rules raise warnings on households ("线上自动预警"), village teams verify them at the
household within a deadline ("线下入户核实").

- ``rules``: one SQL definition per rule (ids and parameters in config [warnings]);
- ``store``: raising (``refresh``), verification (``verify``), deadlines and the page's reads.
"""
