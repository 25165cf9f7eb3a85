"""Household income against the monitoring line (收入监测), by job:

- projection: each household's year, registered and projected (the rule, in SQL);
- store: the stored income basis and projections per month that the figures read;
- summary: per-township figures (headline, alerts, sources, growth);
- bands: bands, band table and histogram;
- growth: the "两个高于" checks;
- structure: income by source;
- registers: missing 收支登记 per 帮扶干部;
- households: the household list.
"""
