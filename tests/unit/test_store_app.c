/*
 * lib/store_app.c: an application reads back as it was inserted, every
 * column, whichever INSERT writes it: STMT_APP_INSERT_FRESH for one as
 * app.submit makes it (its later-step columns written as constants), and
 * STMT_APP_INSERT for any other. Each column the fresh statement does not
 * bind is changed alone in turn: the application is then not fresh, and
 * the column's value survives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/app.h"
#include "../../lib/store.h"
#include "sqldb.h"
#include "tap.h"

static int next_n = 1;

static void
bail(const char *what, struct store *s)
{
	printf("Bail out! %s: %s\n", what, s ? store_error(s) : "");
	exit(1);
}

static bool
same_str(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	       (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* The first column where a and b differ, or NULL. */
static const char *
differs(const struct app *a, const struct app *b)
{
#define F(f)                                                                   \
	do {                                                                   \
		if (a->f != b->f)                                              \
			return #f;                                             \
	} while (0)
#define S(f)                                                                   \
	do {                                                                   \
		if (!same_str(a->f, b->f))                                     \
			return #f;                                             \
	} while (0)
	if (strcmp(a->id, b->id) != 0)
		return "id";
	F(rowid);
	F(state);
	F(column);
	S(name);
	S(id_number);
	S(phone);
	S(email);
	S(address);
	F(channel);
	F(received_on);
	S(description);
	F(form);
	F(delivery);
	S(client_ref);
	F(created_by);
	S(assignee);
	F(outcome);
	F(version);
	F(rules);
	F(start);
	F(cycle);
	F(extension_days);
	S(pauses);
	F(wait);
	F(wait_from);
	F(wait_last_day);
	F(wait_days);
	F(fee_return);
	S(proposer);
	F(correction_late);
	F(fee_fen);
	F(due_on);
	F(next_event_at);
	F(next_event);
	F(due_soon_fired);
	F(overdue_fired);
	F(concluded_on);
	F(replied_on);
	F(created_at);
	F(updated_at);
#undef F
#undef S
	return NULL;
}

/* An application as app.submit makes it (strings are literals). */
static void
fresh(struct app *a)
{
	app_init(a);
	snprintf(a->id, APP_ID_LEN, "2026-%06d", next_n++);
	a->state = ST_RECEIVED;
	a->column = COL_RESEARCH;
	a->name = "北京中科研究院";
	a->phone = "13800000001";
	a->address = "北京海淀区";
	a->channel = 2;
	a->received_on = a->start = 20784;
	a->description = "请求公开2025年度的批准文件";
	a->form = 1;
	a->delivery = 2;
	a->client_ref = NULL;
	a->created_by = 37;
	a->version = 1;
	a->rules = 2019;
	a->due_on = 20812;
	a->next_event_at = 1797868800;
	a->next_event = TK_DUE_SOON;
	a->created_at = a->updated_at = 1795722641;
}

/* Insert a, read it back by its number, compare: NULL or the column. */
static const char *
round_trip(struct store *s, struct app *a)
{
	static char why[128];
	struct app b;
	const char *d;

	if (store_begin(s) == -1 || store_app_insert(s, a) == -1 ||
	    store_commit(s) == -1) {
		snprintf(why, sizeof(why), "insert: %s", store_error(s));
		return why;
	}
	app_init(&b);
	if (store_app_get(s, a->id, &b) != 0) {
		app_clear(&b);
		return "not found";
	}
	d = differs(a, &b);
	app_clear(&b);
	return d;
}

int
main(void)
{
	char dir[] = "/tmp/ogi-test-app.XXXXXX", path[128];
	struct store *s;
	struct app a;
	const char *d;
	int i;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp", NULL);
	snprintf(path, sizeof(path), "%s/ogi.db", dir);
	if (store_create(path, &s) == -1)
		bail("create", s);

	fresh(&a);
	d = round_trip(s, &a);
	ok(d == NULL, "a fresh application reads back whole (%s)",
	   d ? d : "same");
	fresh(&a);
	a.client_ref = "ref-1";
	a.id_number = "110101199001011234";
	a.email = "a@example.cn";
	a.next_event_at = 0;
	a.next_event = TK_NONE;
	a.due_on = DAY_NONE;
	d = round_trip(s, &a);
	ok(d == NULL, "with a ref, every contact, no due date, no timer (%s)",
	   d ? d : "same");

	/* Each column the fresh INSERT writes as a constant, alone. */
	for (i = 0; i < 17; i++) {
		fresh(&a);
		switch (i) {
		case 0:
			a.assignee = "reviewer1";
			break;
		case 1:
			a.pauses = "20790:20795;";
			break;
		case 2:
			a.proposer = "reviewer2";
			break;
		case 3:
			a.start = a.received_on + 3;
			break;
		case 4:
			a.updated_at = a.created_at + 60;
			break;
		case 5:
			a.cycle = 2;
			break;
		case 6:
			a.extension_days = 20;
			break;
		case 7:
			a.wait = WAIT_FEE;
			break;
		case 8:
			a.correction_late = true;
			break;
		case 9:
			a.fee_fen = 12345;
			break;
		case 10:
			a.wait_days = 15;
			break;
		case 11:
			a.wait_from = 20790;
			break;
		case 12:
			a.wait_last_day = 20805;
			break;
		case 13:
			a.due_soon_fired = 20812;
			break;
		case 14:
			a.overdue_fired = 20812;
			break;
		case 15:
			a.concluded_on = 20800;
			break;
		case 16:
			a.replied_on = 20801;
			break;
		}
		d = round_trip(s, &a);
		ok(d == NULL, "not fresh by change %d: reads back whole (%s)",
		   i, d ? d : "same");
	}

	/* Everything of a later step at once, and a non-default outcome. */
	fresh(&a);
	a.state = ST_REPLIED;
	a.outcome = OC_PARTIAL;
	a.version = 9;
	a.assignee = "reviewer1";
	a.pauses = "20790:20795;";
	a.proposer = "reviewer2";
	a.cycle = 1;
	a.start = 20786;
	a.extension_days = 20;
	a.fee_return = ST_SECRECY;
	a.fee_fen = 500;
	a.wait_days = 10;
	a.concluded_on = a.replied_on = 20830;
	a.updated_at = a.created_at + 86400;
	d = round_trip(s, &a);
	ok(d == NULL, "a replied application reads back whole (%s)",
	   d ? d : "same");

	store_close(s);
	db_files_remove(path);
	rmdir(dir);
	return tap_done();
}
