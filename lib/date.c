/*
 * Dates as days since 1970-01-01, proleptic Gregorian, with Howard
 * Hinnant's days_from_civil and civil_from_days.
 */
#include <stddef.h>

#include "date.h"

static int
date_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
		                      31, 31, 30, 31, 30, 31 };

	if (m == 2 && date_leap(y))
		return 29;
	return days[m - 1];
}

int
date_valid_ymd(int y, int m, int d)
{
	if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR)
		return 0;
	if (m < 1 || m > 12)
		return 0;
	return d >= 1 && d <= date_month_days(y, m);
}

day_t
date_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
date_to_ymd(day_t z, int *yp, int *mp, int *dp)
{
	int era, doe, yoe, y, doy, mp5, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp5 = (5 * doy + 2) / 153;
	d = doy - (153 * mp5 + 2) / 5 + 1;
	m = mp5 < 10 ? mp5 + 3 : mp5 - 9;
	if (yp != NULL)
		*yp = y + (m <= 2);
	if (mp != NULL)
		*mp = m;
	if (dp != NULL)
		*dp = d;
}

int
date_year(day_t d)
{
	int y;

	date_to_ymd(d, &y, NULL, NULL);
	return y;
}

int
date_weekday(day_t d)
{
	int w;

	/* 1970-01-01 was a Thursday (4). */
	w = (int)((d % 7 + 7 + 3) % 7);
	return w + 1;
}

int
date_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
date_parse(const char *s, day_t *out)
{
	int y, m, d;

	if (s == NULL)
		return -1;
	if (date_digits(s, 4, &y) == -1 || s[4] != '-' ||
	    date_digits(s + 5, 2, &m) == -1 || s[7] != '-' ||
	    date_digits(s + 8, 2, &d) == -1 || s[10] != '\0')
		return -1;
	if (!date_valid_ymd(y, m, d))
		return -1;
	*out = date_from_ymd(y, m, d);
	return 0;
}

char *
date_format(day_t d, char *buf)
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	if (y < 0 || y > 9999)
		y = 0; /* not a date we hand out */
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + dd / 10);
	buf[9] = (char)('0' + dd % 10);
	buf[10] = '\0';
	return buf;
}

day_t
date_first_day(void)
{
	return date_from_ymd(DATE_MIN_YEAR, 1, 1);
}

day_t
date_last_day(void)
{
	return date_from_ymd(DATE_MAX_YEAR, 12, 31);
}
