/*
 * A tiny TAP producer for the unit tests: each check prints "ok N - what"
 * or "not ok N - what"; tests/run.sh counts them.
 */
#ifndef OGI_TAP_H
#define OGI_TAP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/date.h"

static int tap_n, tap_failed;

#define ok(cond, ...)                                                          \
	do {                                                                   \
		int ok_c_ = !!(cond);                                          \
		printf("%sok %d - ", ok_c_ ? "" : "not ", ++tap_n);            \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!ok_c_) {                                                  \
			tap_failed++;                                          \
			printf("#   at %s:%d\n", __FILE__, __LINE__);          \
		}                                                              \
	} while (0)

/* Like ok() but only prints when it fails (for checks run in bulk). */
#define check(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			ok(0, __VA_ARGS__);                                    \
	} while (0)

/* A date the test spells out (NULL for none): parsed, or the test bails
 * out. */
static inline day_t
D(const char *s)
{
	day_t d;

	if (s == NULL)
		return DAY_NONE;
	if (date_parse(s, &d) == -1) {
		printf("Bail out! bad date in test: %s\n", s);
		exit(1);
	}
	return d;
}

/* xorshift64: the same pseudo-random sequence on every run. */
static uint64_t tap_rng = 88172645463325252ULL;

static inline unsigned
tap_rnd(unsigned n)
{
	tap_rng ^= tap_rng << 13;
	tap_rng ^= tap_rng >> 7;
	tap_rng ^= tap_rng << 17;
	return (unsigned)(tap_rng % n);
}

#define tap_done() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
