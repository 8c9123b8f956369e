/*
 * Local time in the configured zone (SPEC section 4): ogid sets TZ once at
 * start-up; these convert between unix seconds and local dates.
 */
#ifndef OGI_TZ_H
#define OGI_TZ_H

#include <stdint.h>

#include "date.h"

/*
 * setenv TZ + tzset; 0 or -1. The only way to change the zone: tz_day and
 * tz_format keep their last conversion until the next tz_set.
 */
int tz_set(const char *zone);
int64_t tz_midnight(day_t); /* 00:00 local time of that date */
day_t tz_day(int64_t t);    /* local date of an instant */
/* RFC 3339 with the local offset, e.g. 2026-01-05T09:00:00+08:00. */
char *tz_format(int64_t t, char *buf, size_t len);
/* Parse RFC 3339 (Z or +hh:mm offsets; "YYYY-MM-DD" alone is 00:00 local). */
int tz_parse(const char *s, int64_t *out);

#endif
