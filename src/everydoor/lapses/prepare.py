"""What lapse lists and forecasts read, made ahead for this version of the registers.

The first list or forecast after an import otherwise pays for it: the registers' columnar copy (4.4M
card periods read out of the database), each period's history and holder (services.registers_read), the
new enrolments and the renewal rates as of a date (forecast.py). Run once after the registers change
(the demo does, as the monthly routine would), the next user's run is as fast as any other. It also
computes the lapse page's figures for every area of the province (digest.py).
"""

from __future__ import annotations

import datetime as dt
import time

from everydoor.coverage import columnar
from everydoor.geo.models import AdminUnit
from everydoor.lapses import forecast as fc
from everydoor.lapses.digest import digests_compute
from everydoor.lapses.services import registers_read


def prepare(*, as_of: dt.date, province: str | None = None) -> dict:
    started = time.perf_counter()
    regs = registers_read()
    fc.enrolment_pace(regs, as_of=as_of, commune_ids=None)
    fc.renewal_rates(regs, as_of=as_of, province=province)
    unit = AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE, code=province).first() if province else None
    areas = digests_compute(regs, province=unit, as_of=as_of) if unit is not None else 0
    columnar.written()
    return {"version": columnar.version_key(), "as_of": as_of.isoformat(), "periods": regs.periods.height,
            "areas": areas, "seconds": round(time.perf_counter() - started, 1)}
