/*
 * Calendar dates as day numbers: days since 1970-01-01 (proleptic
 * Gregorian). Valid dates are DATE_MIN_YEAR-01-01 .. DATE_MAX_YEAR-12-31.
 */
#ifndef OGI_DATE_H
#define OGI_DATE_H

#include <stdint.h>

typedef int32_t day_t;

#define DATE_MIN_YEAR 1990
#define DATE_MAX_YEAR 2199
#define DAY_NONE INT32_MIN

/* Strict "YYYY-MM-DD", a real date in range. 0 on success, -1 otherwise. */
int date_parse(const char *s, day_t *out);
/* "YYYY-MM-DD" into buf (at least 11 bytes); returns buf. */
char *date_format(day_t d, char *buf);
day_t date_from_ymd(int y, int m, int d); /* no range check */
void date_to_ymd(day_t d, int *y, int *m, int *dd);
int date_year(day_t d);
/* 1 = Monday .. 7 = Sunday (ISO). */
int date_weekday(day_t d);
int date_valid_ymd(int y, int m, int d);
/* Exactly n decimal digits at s: 0 and the value, or -1. */
int date_digits(const char *s, int n, int *out);
day_t date_first_day(void); /* DATE_MIN_YEAR-01-01 */
day_t date_last_day(void);  /* DATE_MAX_YEAR-12-31 */

#endif
