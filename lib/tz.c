/* Local dates and instants in the configured zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz.h"

int
tz_set(const char *zone)
{
	if (setenv("TZ", zone, 1) == -1)
		return -1;
	tzset();
	return 0;
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
	return local_instant(d, 0, 0, 0);
}

day_t
tz_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

char *
tz_format(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	localtime_r(&tt, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
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
