/*
 * Local time: tz_format and tz_day, which keep the last conversion, give
 * exactly what localtime_r and snprintf give, in zones with odd offsets
 * and summer time, and a tz_set is never answered from the old zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/tz.h"
#include "tap.h"

/* The conversion as tz.c wrote it before it kept one. Cutting the text to
 * len is the point (tz_format must cut it the same way). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
static void
reference(int64_t t, char *buf, size_t len, day_t *day)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	memset(&tm, 0, sizeof(tm));
	localtime_r(&tt, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
	         labs(off) % 60);
	*day = date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
#pragma GCC diagnostic pop

/* Same text, same day, twice in a row (the second from the cache). */
static int
same(int64_t t, size_t len)
{
	char got[64], want[64];
	day_t d;
	int i;

	reference(t, want, len, &d);
	for (i = 0; i < 2; i++) {
		memset(got, 'x', sizeof(got));
		if (strcmp(tz_format(t, got, len), want) != 0 ||
		    tz_day(t) != d) {
			printf("# t=%lld len=%zu: got %s, want %s\n",
			       (long long)t, len, got, want);
			return 0;
		}
	}
	return 1;
}

static const char *zones[] = {
	"Asia/Shanghai",      "UTC",
	"America/New_York",   "America/St_Johns",
	"Asia/Kolkata",       "Asia/Kathmandu",
	"Europe/London",      "Pacific/Chatham",
	"Pacific/Kiritimati",
};

static void
test_zones(void)
{
	size_t i;
	int64_t t;
	int bad;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		ok(tz_set(zones[i]) == 0, "tz_set %s", zones[i]);
		bad = 0;
		/* 1900 to 2100, every 11 hours 6 minutes and 37 seconds. */
		for (t = -2208988800LL; t < 4102444800LL && !bad; t += 39997)
			bad = !same(t, 40);
		ok(!bad, "%s: every half day 1900-2100", zones[i]);
		bad = 0;
		/* Around 2026's instants second by second, as requests are. */
		for (t = 1767571200LL; t < 1767571200LL + 5000 && !bad; t++)
			bad = !same(t, 40) || !same(t + 15552000, 40);
		ok(!bad, "%s: second by second", zones[i]);
		ok(same(-4000000000LL, 40), "%s: local mean time", zones[i]);
		ok(same(300000000000LL, 40), "%s: a year past 9999", zones[i]);
		ok(same(-70000000000LL, 40), "%s: a year before 0", zones[i]);
		ok(same(1767571200LL, 26) && same(1767571200LL, 25) &&
		       same(1767571200LL, 10) && same(1767571200LL, 1),
		   "%s: short buffers are cut as snprintf cuts", zones[i]);
	}
}

/* A new zone: the instant converted last is converted again. */
static void
test_zone_change(void)
{
	char a[40], b[40];
	int64_t t = 1767578400LL; /* 2026-01-05T02:00:00Z */

	tz_set("Asia/Shanghai");
	tz_format(t, a, sizeof(a));
	ok(strcmp(a, "2026-01-05T10:00:00+08:00") == 0, "Shanghai: %s", a);
	ok(tz_day(t) == date_from_ymd(2026, 1, 5), "Shanghai day");
	tz_set("America/New_York");
	tz_format(t, b, sizeof(b));
	ok(strcmp(b, "2026-01-04T21:00:00-05:00") == 0, "New York: %s", b);
	ok(tz_day(t) == date_from_ymd(2026, 1, 4), "New York day");
	tz_set("Asia/Shanghai");
	ok(tz_day(t) == date_from_ymd(2026, 1, 5), "Shanghai again");
}

/*
 * tz_midnight keeps its last answer: every midnight of two years is the
 * first second of its day (tz_day of it is the day, of the second before
 * the day before), asked twice, and never one of the zone before.
 */
static void
test_midnight(void)
{
	day_t d0 = date_from_ymd(2026, 1, 5), d;
	int bad = 0;
	int64_t t;

	tz_set("America/New_York");
	for (d = d0 - 400; d < d0 + 400 && !bad; d++) {
		t = tz_midnight(d);
		bad = tz_day(t) != d || tz_day(t - 1) != d - 1 ||
		      tz_midnight(d) != t;
	}
	ok(!bad, "New York: every midnight of two years, twice each");
	ok(tz_midnight(d0) == 1767589200LL, "New York 2026-01-05: %lld",
	   (long long)tz_midnight(d0));
	tz_set("Asia/Shanghai");
	ok(tz_midnight(d0) == 1767542400LL,
	   "Shanghai 2026-01-05, right after New York's: %lld",
	   (long long)tz_midnight(d0));
}

int
main(void)
{
	test_zones();
	test_zone_change();
	test_midnight();
	return tap_done();
}
