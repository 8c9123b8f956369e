"""The working-day calendar of SPEC section 3 for the model tests
(test_deadline_model, test_report_model), read from the reference copy of
the State Council's holiday data beside the project (../shared/calendar,
or $OGI_REF_CALENDAR), not from the project's own data: a listed date is
off or an adjusted working day as listed (a file is keyed by its notice's
year, so all files are merged by date); any other date is a working day
when it is Monday to Friday. Without the reference data, from an admin's
calendar.get of every year (ogid's own calendar: the holidays are then not
checked, tests/unit/test_calendar.c does that where the reference is; the
deadlines still are)."""

import bisect
import datetime
import glob
import json
import os

DAY = datetime.timedelta(days=1)
CAL_DIR = os.environ.get("OGI_REF_CALENDAR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "calendar")


def D(s):
    return s if isinstance(s, datetime.date) else datetime.date.fromisoformat(s)


def have_reference():
    return bool(glob.glob(os.path.join(CAL_DIR, "*.json")))


class RefCal:
    def __init__(self, lo, hi, admin=None):
        self.LO, self.HI = lo, hi
        self.off, self.work = set(), set()
        files = sorted(glob.glob(os.path.join(CAL_DIR, "*.json")))
        if files:
            for f in files:
                with open(f, encoding="utf-8") as fh:
                    for day in json.load(fh).get("days", []):
                        (self.off if day["isOffDay"] else self.work).add(D(day["date"]))
        elif admin is not None:
            for year in range(lo.year, hi.year + 1):
                c = admin.call("calendar.get", {"year": year})
                self.off.update(D(x) for x in c.get("holidays", []))
                self.work.update(D(x) for x in c.get("workdays", []))
        else:
            raise RuntimeError("no reference calendar in %s, and no daemon to ask" % CAL_DIR)
        self.rebuild()

    def rebuild(self):
        self.days = []  # every working day from LO to HI, in order
        d = self.LO
        while d <= self.HI:
            if self.is_workday(d):
                self.days.append(d)
            d += DAY

    def is_workday(self, d):
        d = D(d)
        if d in self.work:
            return True
        if d in self.off:
            return False
        return d.weekday() < 5

    def toggle(self, d):
        """Make a working day a day off, or a day off a working day."""
        if self.is_workday(d):
            self.work.discard(d)
            if d.weekday() < 5:
                self.off.add(d)
        else:
            self.off.discard(d)
            if d.weekday() >= 5:
                self.work.add(d)
        self.rebuild()

    def year_lists(self, year):
        """calendar.set's {holidays, workdays} for a year: the days off that
        are not weekend days, and the weekend days declared working days."""
        hol = sorted(d.isoformat() for d in self.off if d.year == year and d.weekday() < 5)
        work = sorted(d.isoformat() for d in self.work if d.year == year and d.weekday() >= 5)
        return hol, work

    def effective(self, d):
        """A date received on a non-working day counts from the next one."""
        return self.days[bisect.bisect_left(self.days, D(d))]

    def add(self, d, n):
        """calendar.add: the nth working day after the effective date of d."""
        return self.days[bisect.bisect_left(self.days, D(d)) + n]

    def count(self, a, b):
        """calendar.count: working days x with a < x <= b (negative when
        a is after b, README)."""
        return bisect.bisect_right(self.days, D(b)) - bisect.bisect_right(self.days, D(a))

    def due_soon_day(self, due, n):
        """The first day x with count(x, due) <= n."""
        j = bisect.bisect_right(self.days, D(due))
        return self.days[j - n - 1]
