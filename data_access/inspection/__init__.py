"""暗访选点: risk-weighted random draws, their append-only log, verification and findings,
by job: ``draw`` (parameters, the draw, logging it), ``log`` (verification, the log, the
sealed plan), ``findings`` (recording findings, turning them into 整改 items), ``errors``.

A draw runs in four steps, each a pure function of what came before:

1. snapshot: the risk table of the villages in the draw's townships as of the draw's date, the
   villages excluded (inspected within the exclusion window), the inspector pool with its ties
   (unit, home township, the villages each unit is paired with);
2. villages drawn by risk (data_access.sampling, A-ES), households drawn in each (监测户 first,
   then 脱贫户 below the income band, then other 脱贫户; never a household of an earlier draw),
   one team of inspectors per village with recusal;
3. the input hash: SHA-256 of a canonical JSON of the parameters, the risk table, the inspector
   pool and the eligible households of the drawn villages;
4. one new row in inspection_draws. Rows are never updated or deleted: this module has no
   function that would, and a redraw is a new row pointing at the draw it replaces.

``verify_draw`` repeats steps 1–3 for a logged draw on the current data (excluding households
of later draws) and says whether the hash and the result are the same: the same seed,
parameters and data always give the same draw, and any change of input shows as a new hash.
"""
