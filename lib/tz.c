/* Local dates and instants in the configured zone. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz.h"

/*
 * The last instant converted, per thread. One request converts the same
 * second several times (today's date, created_at, its history event, the
 * pushed event, the reply), and localtime_r and snprintf cost thousands of
 * instructions each. tz_set bumps tz_zone so that no conversion made in
 * an earlier zone is served again; like setenv, it runs before any other
 * thread converts.
 */
#define TZ_TEXT_LEN 25 /* 2026-01-05T09:00:00+08:00 */

struct tz_cache {
	bool valid;
	unsigned zone; /* tz_zone when converted */
	int64_t t;
	struct tm tm;
	bool has_text;
	char text[TZ_TEXT_LEN + 1];
};

static unsigned tz_zone;
static _Thread_local struct tz_cache tz_last;

/* The last midnight converted, per thread: every submit of a day asks for
 * the same few (its next event's day), and mktime costs ~3k instructions. */
static _Thread_local struct {
	bool valid;
	unsigned zone;
	day_t d;
	int64_t t;
} tz_mid;

int
tz_set(const char *zone)
{
	if (setenv("TZ", zone, 1) == -1)
		return -1;
	tzset();
	tz_zone++;
	return 0;
}

/* localtime_r(t) through the cache; the result lives until the next call. */
static const struct tm *
tz_local(int64_t t)
{
	struct tz_cache *c = &tz_last;
	time_t tt = (time_t)t;

	if (c->valid && c->t == t && c->zone == tz_zone)
		return &c->tm;
	memset(&c->tm, 0, sizeof(c->tm));
	c->valid = localtime_r(&tt, &c->tm) != NULL;
	c->zone = tz_zone;
	c->t = t;
	c->has_text = false;
	return &c->tm;
}

/* The instant of a local date and time of day. */
static int64_t
local_instant(day_t d, int hh, int mm, int ss)
{
	struct tm tm;
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t
tz_midnight(day_t d)
{
	if (!tz_mid.valid || tz_mid.d != d || tz_mid.zone != tz_zone) {
		tz_mid.t = local_instant(d, 0, 0, 0);
		tz_mid.d = d;
		tz_mid.zone = tz_zone;
		tz_mid.valid = true;
	}
	return tz_mid.t;
}

day_t
tz_day(int64_t t)
{
	const struct tm *tm = tz_local(t);

	return date_from_ymd(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
}

static void
two_digits(char *p, long v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * The text of "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld" written by hand
 * when every field has its usual width; false (use snprintf) otherwise.
 */
static bool
format_fields(const struct tm *tm, long off, char out[TZ_TEXT_LEN + 1])
{
	int y = tm->tm_year + 1900;
	long ah = labs(off) / 60, am = labs(off) % 60;

	if (y < 0 || y > 9999 || ah > 99)
		return false;
	two_digits(out, y / 100);
	two_digits(out + 2, y % 100);
	out[4] = '-';
	two_digits(out + 5, tm->tm_mon + 1);
	out[7] = '-';
	two_digits(out + 8, tm->tm_mday);
	out[10] = 'T';
	two_digits(out + 11, tm->tm_hour);
	out[13] = ':';
	two_digits(out + 14, tm->tm_min);
	out[16] = ':';
	two_digits(out + 17, tm->tm_sec);
	out[19] = off < 0 ? '-' : '+';
	two_digits(out + 20, ah);
	out[22] = ':';
	two_digits(out + 23, am);
	out[TZ_TEXT_LEN] = '\0';
	return true;
}

char *
tz_format(int64_t t, char *buf, size_t len)
{
	const struct tm *tm = tz_local(t);
	struct tz_cache *c = &tz_last;
	long off = tm->tm_gmtoff / 60;

	if (!c->has_text)
		c->has_text = format_fields(tm, off, c->text);
	if (c->has_text && len > TZ_TEXT_LEN) {
		memcpy(buf, c->text, TZ_TEXT_LEN + 1);
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	         tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour,
	         tm->tm_min, tm->tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
	         labs(off) % 60);
	return buf;
}

int
tz_parse(const char *s, int64_t *out)
{
	char date[11];
	day_t d;
	int hh, mm, ss = 0, oh, om, sign;
	const char *p;
	int64_t t;

	if (strlen(s) < 10)
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse(date, &d) == -1)
		return -1;
	if (s[10] == '\0') {
		*out = tz_midnight(d);
		return 0;
	}
	if ((s[10] != 'T' && s[10] != ' ') || date_digits(s + 11, 2, &hh) ||
	    s[13] != ':' || date_digits(s + 14, 2, &mm))
		return -1;
	p = s + 16;
	if (*p == ':') {
		if (date_digits(p + 1, 2, &ss))
			return -1;
		p += 3;
		if (*p == '.') /* fractions are ignored */
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	t = (int64_t)d * 86400 + hh * 3600 + mm * 60 + ss;
	if (*p == 'Z' || *p == 'z') {
		if (p[1] != '\0')
			return -1;
		*out = t;
		return 0;
	}
	if (*p == '\0') { /* no offset: local time */
		*out = local_instant(d, hh, mm, ss);
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p == '-' ? -1 : 1;
	if (date_digits(p + 1, 2, &oh) || p[3] != ':' ||
	    date_digits(p + 4, 2, &om) || p[6] != '\0' || oh > 23 || om > 59)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}
