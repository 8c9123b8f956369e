/*
 * The calendar table: each year's holidays and working weekend days,
 * as two comma-separated lists of ISO dates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

static char *
join_days(const day_t *d, size_t n)
{
	char *s = xmalloc(n * 11 + 1);
	size_t i, len = 0;
	char buf[16];

	s[0] = '\0';
	for (i = 0; i < n; i++) {
		date_format(d[i], buf);
		len += (size_t)sprintf(s + len, "%s%s", i ? "," : "", buf);
	}
	return s;
}

static size_t
split_days(const char *s, day_t **out)
{
	size_t n = 0, cap = 0;
	char buf[16];
	day_t d;

	*out = NULL;
	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ",");

		if (len < sizeof(buf)) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			if (date_parse(buf, &d) == 0) {
				if (n == cap) {
					cap = cap ? cap * 2 : 32;
					*out = xreallocarray(*out, cap,
					                     sizeof(**out));
				}
				(*out)[n++] = d;
			}
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

int
store_calendar_set(struct store *s, int year, const day_t *hol, size_t nh,
                   const day_t *work, size_t nw)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CAL_SET);
	char *h, *w;
	int rc;

	if (st == NULL)
		return -1;
	h = join_days(hol, nh);
	w = join_days(work, nw);
	sqlite3_bind_int(st, 1, year);
	bind_text(st, 2, h);
	bind_text(st, 3, w);
	rc = store_exec_stmt(s, st, "calendar set");
	free(h);
	free(w);
	return rc;
}

int
store_calendar_load(struct store *s, struct cal *cal)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CAL_ALL);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int year = sqlite3_column_int(st, 0);
		day_t *h, *w, bad;
		size_t nh, nw;
		const char *why;

		nh = split_days((const char *)sqlite3_column_text(st, 1), &h);
		nw = split_days((const char *)sqlite3_column_text(st, 2), &w);
		if (cal_set_year(cal, year, h, nh, w, nw, &why, &bad) == -1)
			log_warnx("store: calendar %d in the database is"
			          " invalid: %s",
			          year, why);
		free(h);
		free(w);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "calendar load");
	return 0;
}
