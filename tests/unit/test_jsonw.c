/*
 * jsonw: jw_json must write exactly what json_dumps(JSON_SORT_KEYS |
 * JSON_COMPACT) writes (history events are stored, hashed and copied as
 * that text), and fail where it fails. Fixed edge cases, events shaped
 * like every method's, then thousands of pseudo-random nested values.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../daemon/jsonw.h"
#include "tap.h"

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)

/* jw_json's text (caller frees), or NULL where it failed; jw_json_valid's
 * with valid. */
static char *
jw_text_as(const json_t *v, bool valid)
{
	struct jw w;
	bool ok;
	char *s;

	jw_init(&w);
	ok = valid ? jw_json_valid(&w, v) : jw_json(&w, v);
	s = jw_finish(&w, NULL);
	if (!ok) {
		free(s);
		return NULL;
	}
	return s;
}

static char *
jw_text(const json_t *v)
{
	return jw_text_as(v, false);
}

/*
 * Both fail, or both write the same bytes. Where jansson writes it (its
 * strings are valid), jw_json_valid writes the same bytes too. Takes v.
 */
static bool
same(json_t *v, const char *what)
{
	char *ref = json_dumps(v, DUMP_FLAGS), *text = jw_text(v);
	char *valid = ref != NULL ? jw_text_as(v, true) : NULL;
	bool eq = (ref == NULL && text == NULL) ||
	          (ref != NULL && text != NULL && strcmp(ref, text) == 0 &&
	           valid != NULL && strcmp(ref, valid) == 0);

	if (!eq)
		printf("# %s\n#  jansson: %s\n#  jw_json: %s\n#  valid: %s\n",
		       what, ref ? ref : "(failed)", text ? text : "(failed)",
		       valid ? valid : "(failed)");
	free(ref);
	free(text);
	free(valid);
	json_decref(v);
	return eq;
}

static void
test_fixed(void)
{
	static const double reals[] = {
		0.1,
		1e300,
		-0.0,
		0.0,
		1.0,
		-1.0,
		123456789012345678.0,
		1e17,
		1e16,
		9007199254740993.0,
		0.5,
		1e-5,
		1e-4,
		123.456,
		-1e-300,
		DBL_MAX,
		-DBL_MAX,
		DBL_MIN,
		-DBL_MIN,
		5e-324,
		-5e-324,
		-2.2250738585072014e-308,
		1.7976931348623157e308,
		3.0e21,
	};
	static const json_int_t ints[] = {
		0,
		1,
		-1,
		9,
		10,
		-10,
		99,
		100,
		1000000007,
		INT32_MAX,
		INT32_MIN,
		(json_int_t)INT32_MAX + 1,
		INT64_MAX,
		INT64_MIN,
		INT64_MAX - 1,
		INT64_MIN + 1,
		1000000000000000000,
		-999999999999999999,
	};
	char ctl[0x21];
	size_t i;
	json_t *o;

	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		ok(same(json_real(reals[i]), "real"), "real %.17g", reals[i]);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		ok(same(json_integer(ints[i]), "integer"), "integer %lld",
		   (long long)ints[i]);
	ok(same(json_object(), "{}"), "empty object");
	ok(same(json_array(), "[]"), "empty array");
	ok(same(json_pack("[[],{},[{}],{s:[]}]", "a"), "empties"),
	   "nested empty objects and arrays");
	ok(same(json_pack("[n,b,b]", 1, 0), "literals"), "null, true, false");

	for (i = 0; i < 0x20; i++)
		ctl[i] = (char)(i + 1); /* 0x01..0x20 */
	ctl[0x20] = '\0';
	ok(same(json_string(ctl), "controls"), "control characters 01-1f");
	ok(same(json_stringn("a\0b\x7f", 4), "nul"), "NUL and DEL in a string");
	ok(same(json_string("\"\\/ \xe2\x80\xa8\xe2\x80\xa9"), "escapes"),
	   "quote, backslash, slash, U+2028, U+2029");
	ok(same(json_string("张三 某路段规划许可信息 \xf0\x9f\x98\x80 "
	                    "\xf0\x9d\x84\x9e \xef\xbf\xbf \xf4\x8f\xbf\xbf"),
	        "utf-8"),
	   "CJK, 4-byte UTF-8, U+FFFF, U+10FFFF");

	/* Key order is bytes, then length; bytes >= 0x80 sort last. */
	o = json_object();
	json_object_set_new(o, "b", json_integer(1));
	json_object_set_new(o, "", json_integer(2));
	json_object_set_new(o, "a\x7f", json_integer(3));
	json_object_set_new(o, "ab", json_integer(4));
	json_object_set_new(o, "a", json_integer(5));
	json_object_set_new(o, "\xc3\xa9", json_integer(6));
	json_object_set_new(o, "\xe4\xb8\xad", json_integer(7));
	json_object_set_new(o, "A", json_integer(8));
	json_object_set_new(o, "a\n", json_integer(9));
	json_object_set_new(o, "\"", json_integer(10));
	json_object_setn_new(o, "a\0b", 3, json_integer(11));
	json_object_setn_new(o, "a\0", 2, json_integer(12));
	ok(same(o, "keys"), "key order: prefixes, NUL, DEL, UTF-8");

	/* More members than sort on the stack: qsort's order is the same. */
	o = json_object();
	for (i = 0; i < 200; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%zu", (i * 7919) % 1000);
		json_object_set_new(o, k, json_integer((json_int_t)i));
	}
	ok(same(o, "200 keys"), "an object of 200 members");

	/* As deep as json_loads goes (JSON_PARSER_MAX_DEPTH). */
	o = json_string("bottom");
	for (i = 0; i < 2048; i++) {
		json_t *up = i % 2 ? json_array() : json_object();

		if (i % 2)
			json_array_append_new(up, o);
		else
			json_object_set_new(up, i % 3 ? "k" : "", o);
		o = up;
	}
	ok(same(o, "deep"), "2048 nested arrays and objects");

	/* Where jansson fails, jw_json fails. */
	{
		json_t *bad[] = {
			json_string_nocheck("a\xff"),
			json_string_nocheck("\xc0\x80"),     /* overlong NUL */
			json_string_nocheck("\xe0\x9f\xbf"), /* overlong */
			json_string_nocheck("\xf0\x8f\xbf\xbf"), /* overlong */
			json_string_nocheck("\xed\xa0\x80"),     /* surrogate */
			json_string_nocheck("\xf4\x90\x80\x80"), /* too high */
			json_string_nocheck("\xf5\x80\x80\x80"), /* too high */
			json_string_nocheck("\xe4\xb8"),         /* cut short */
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			json_t *a = json_pack("[O]", bad[i]);
			bool alone = same(bad[i], "bad utf-8");
			bool inside = same(a, "bad in array");

			ok(alone && inside, "invalid UTF-8 %zu: both fail", i);
		}
	}
	{
		/* jansson writes a bad key half-escaped; we refuse it */
		json_t *k = json_object();
		char *t;

		json_object_set_new_nocheck(k, "\xff", json_true());
		t = jw_text(k);
		ok(t == NULL, "invalid UTF-8 in a key fails");
		free(t);
		json_decref(k);
	}
	ok(!jw_real(&(struct jw){ 0 }, NAN) &&
	       !jw_real(&(struct jw){ 0 }, INFINITY),
	   "jw_real refuses NaN and infinity, as json_real does");
}

/* jansson's UTF-8 check and ours agree on s (n bytes) inside "a...z". */
static bool
utf8_agrees(const unsigned char *s, size_t n)
{
	char b[8];
	json_t *j;
	struct jw w;
	bool jansson, valid, checked;

	b[0] = 'a';
	memcpy(b + 1, s, n);
	b[n + 1] = 'z';
	j = json_stringn(b, n + 2);
	jansson = j != NULL;
	json_decref(j);
	valid = jw_utf8_valid(b, n + 2);
	jw_init(&w);
	checked = jw_string_checked(&w, b, n + 2);
	jw_free(&w);
	return jansson == valid && jansson == checked;
}

/*
 * Every 1- and 2-byte sequence; every lead byte of 3 and 4 with every
 * second byte, and the edges of the bytes after it.
 */
static void
test_utf8(void)
{
	static const unsigned char tail[] = { 0x00, 0x41, 0x7F, 0x80, 0x9F,
		                              0xA0, 0xBF, 0xC0, 0xFF };
	unsigned char s[4];
	unsigned a, b, c, d;
	int bad = 0;

	for (a = 0x01; a < 0x100; a++) {
		s[0] = (unsigned char)a;
		bad += !utf8_agrees(s, 1);
		for (b = 0; b < 0x100; b++) {
			s[1] = (unsigned char)b;
			bad += !utf8_agrees(s, 2);
			if (a < 0xC0)
				continue;
			for (c = 0; c < sizeof(tail); c++) {
				s[2] = tail[c];
				bad += !utf8_agrees(s, 3);
				if (a < 0xF0)
					continue;
				for (d = 0; d < sizeof(tail); d++) {
					s[3] = tail[d];
					bad += !utf8_agrees(s, 4);
				}
			}
		}
	}
	ok(bad == 0, "UTF-8 check the same as jansson's (%d differ)", bad);
}

/*
 * Events as history_append writes them, one per method, with params of
 * the shapes the methods take (the integration tests compare every real
 * event under OGID_VIEW_CHECK).
 */
static void
test_events(void)
{
	static const struct {
		const char *method, *from, *to, *params;
	} ev[] = {
		{ "app.submit", NULL, "received",
		  "{\"applicant\":{\"kind\":\"person\",\"name\":\"张三\","
		  "\"id_number\":\"11010519491231002X\",\"phone\":"
		  "\"13800000000\",\"email\":\"z@example.cn\",\"address\":"
		  "\"北京市东城区\\n1号\"},\"channel\":\"in_person\","
		  "\"description\":\"某路段规划许可信息\\t\\\"2026\\\"/附件\","
		  "\"received_on\":\"2026-11-20\",\"client_ref\":\"r-1\"}" },
		{ "app.assign", "received", "review",
		  "{\"id\":\"2026-000001\",\"reviewer\":\"li\",\"version\":"
		  "1}" },
		{ "app.request_correction", "received", "correction",
		  "{\"id\":\"2026-000001\",\"note\":\"请补正\",\"items\":"
		  "[\"身份证明\",\"描述\"]}" },
		{ "app.correct", "correction", "received",
		  "{\"id\":\"2026-000001\",\"received_on\":\"2026-11-25\","
		  "\"description\":\"补正后的描述\"}" },
		{ "app.consult", "review", "consultation",
		  "{\"id\":\"2026-000001\",\"third_party\":\"某公司\","
		  "\"sent_on\":\"2026-11-26\"}" },
		{ "app.consulted", "consultation", "review",
		  "{\"id\":\"2026-000001\",\"opinion\":\"不同意\","
		  "\"received_on\":\"2026-12-01\"}" },
		{ "app.review", "review", "secrecy",
		  "{\"id\":\"2026-000001\",\"outcome\":\"grant\","
		  "\"note\":\"可以公开\"}" },
		{ "app.secrecy", "secrecy", "approved",
		  "{\"id\":\"2026-000001\",\"result\":\"pass\",\"note\":"
		  "\"无涉密内容\"}" },
		{ "app.fee_notice", "approved", "fee",
		  "{\"id\":\"2026-000001\",\"amount_yuan\":12.5,"
		  "\"notice_on\":\"2026-12-02\"}" },
		{ "app.fee_paid", "fee", "approved",
		  "{\"id\":\"2026-000001\",\"paid_on\":\"2026-12-03\","
		  "\"amount_yuan\":0.01}" },
		{ "app.extend", "review", "review",
		  "{\"id\":\"2026-000001\",\"days\":20,\"reason\":"
		  "\"情况复杂\"}" },
		{ "app.reply", "approved", "replied",
		  "{\"id\":\"2026-000001\",\"note\":\"已答复\",\"replied_on\":"
		  "\"2026-12-04\",\"version\":7}" },
		{ "app.withdraw", "review", "withdrawn",
		  "{\"id\":\"2026-000001\",\"note\":null}" },
		{ "app.appeal", "replied", "replied",
		  "{\"id\":\"2026-000001\",\"kind\":\"reconsideration\","
		  "\"filed_on\":\"2027-01-05\"}" },
		{ "app.appeal_decided", "replied", "replied",
		  "{\"id\":\"2026-000001\",\"n\":1,\"result\":\"upheld\","
		  "\"decided_on\":\"2027-03-01\"}" },
		{ "timer.due_soon", "review", "review",
		  "{\"due_on\":\"2026-12-18\"}" },
		{ "timer.overdue", "review", "review",
		  "{\"due_on\":\"2026-12-18\"}" },
		{ "timer.lapse", "correction", "withdrawn",
		  "{\"period\":\"correction\",\"last_day\":\"2026-12-11\"}" },
	};
	size_t i;

	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		json_t *p = json_loads(ev[i].params, 0, NULL);
		bool parsed = p != NULL;
		json_t *e = json_pack(
		    "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "app",
		    "2026-000001", "at", "2026-11-20T09:30:00+08:00", "actor",
		    "wang", "method", ev[i].method, "from",
		    ev[i].from ? json_string(ev[i].from) : json_null(), "to",
		    json_string(ev[i].to), "params", p ? p : json_null(),
		    "version", (json_int_t)i + 1);

		ok(same(e, ev[i].method) && parsed, "event of %s",
		   ev[i].method);
	}
}

/* xorshift64*: the same values on every run. */
static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Du;
}

static size_t
pick(size_t n)
{
	return (size_t)(rnd() % n);
}

/* Pieces of strings and keys: ASCII, escapes, controls, DEL, CJK, 4-byte. */
static const char *const bits[] = {
	"a",
	"b",
	"Z",
	"0",
	" ",
	"/",
	"\"",
	"\\",
	"\x01",
	"\x08",
	"\x09",
	"\x0a",
	"\x0b",
	"\x0c",
	"\x0d",
	"\x1f",
	"\x7f",
	"\x1b",
	"中",
	"文",
	"张三",
	"\xc3\xa9",
	"\xe2\x80\xa8",
	"\xef\xbf\xbd",
	"\xf0\x9f\x98\x80",
	"\xf0\x9d\x84\x9e",
	"\xf4\x8f\xbf\xbf",
	"{}",
	"[1]",
	":",
	",",
	"\\u0000",
	"e",
	"é",
};
#define NBITS (sizeof(bits) / sizeof(bits[0]))

static void
gen_text(char *buf, size_t size, size_t max_bits)
{
	size_t n = pick(max_bits + 1), len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *b = bits[pick(NBITS)];
		size_t bl = strlen(b);

		if (len + bl + 1 > size)
			break;
		memcpy(buf + len, b, bl + 1);
		len += bl;
	}
}

static double
gen_real(void)
{
	static const double some[] = {
		0.1,    1e300,   -0.0,  1.0,  123456789012345678.0,
		0.0,    -2.5,    1e-7,  1e22, 1e21,
		1e-320, 3.14159, 100.0, 1e16, 1e17,
	};
	double d;
	uint64_t u;

	switch (pick(4)) {
	case 0:
		return some[pick(sizeof(some) / sizeof(some[0]))];
	case 1: /* any finite bit pattern */
		do {
			u = rnd();
			memcpy(&d, &u, sizeof(d));
		} while (!isfinite(d));
		return d;
	case 2:
		return (double)(int64_t)rnd() / (double)(1 + pick(1000000));
	default:
		return (double)(int32_t)rnd() / 100.0;
	}
}

static json_int_t
gen_int(void)
{
	static const json_int_t some[] = { 0,  -1,  1,   INT64_MAX, INT64_MIN,
		                           10, -10, 999, 1000 };

	switch (pick(3)) {
	case 0:
		return some[pick(sizeof(some) / sizeof(some[0]))];
	case 1:
		return (json_int_t)rnd();
	default:
		return (json_int_t)(int64_t)(rnd() >> pick(64));
	}
}

static json_t *
gen(int depth)
{
	char text[256];
	json_t *v;
	size_t n, i;

	switch (depth > 0 ? pick(9) : 2 + pick(7)) {
	case 0:
		v = json_object();
		n = pick(depth > 2 ? 12 : 24);
		for (i = 0; i < n; i++) {
			gen_text(text, sizeof(text), 3);
			json_object_set_new(v, text, gen(depth - 1));
		}
		return v;
	case 1:
		v = json_array();
		n = pick(8);
		for (i = 0; i < n; i++)
			json_array_append_new(v, gen(depth - 1));
		return v;
	case 2:
	case 3:
		gen_text(text, sizeof(text), 12);
		return json_string(text);
	case 4:
		return json_integer(gen_int());
	case 5:
		return json_real(gen_real());
	case 6:
		return json_true();
	case 7:
		return json_false();
	default:
		return json_null();
	}
}

/* Each byte to escape at each place of a longer text, ASCII and Chinese
 * around it: jw_escaped's eight-bytes-a-step skip never misses one. */
static void
test_positions(void)
{
	static const char special[] = { '"', '\\', '\x01', '\x1f', '\n', 0x7f };
	static const char *const fill[] = { "abcdefghijklmnopqrstuvwxyz0123",
		                            "依申请公开政府信息办理期限" };
	size_t f, p, k, bad = 0;

	for (f = 0; f < 2; f++)
		for (p = 0; p < strlen(fill[f]); p++)
			for (k = 0; k < sizeof(special); k++) {
				char t[64];

				snprintf(t, sizeof(t), "%s", fill[f]);
				t[p] = special[k];
				/* a cut UTF-8 sequence is jansson's refusal,
				 * also tested: both must agree */
				if (!same(json_string_nocheck(t), t))
					bad++;
			}
	ok(bad == 0, "a byte to escape at every place of a text: %zu differ",
	   bad);
}

static void
test_random(void)
{
	int i, bad = 0;

	for (i = 0; i < 20000; i++) {
		char what[32];

		snprintf(what, sizeof(what), "random value %d", i);
		if (!same(gen(i % 5), what))
			bad++;
	}
	ok(bad == 0, "20000 random nested values: jw_json == json_dumps");
}

/* jw_clear and jw_contents: one buffer for one text after another. */
static void
test_reuse(void)
{
	struct jw w;
	const char *t;
	char *before;
	size_t n;

	jw_init(&w);
	t = jw_contents(&w, &n);
	ok(n == 0 && strcmp(t, "") == 0,
	   "reuse: an empty writer's text is \"\"");
	jw_begin_object(&w);
	jw_key(&w, "a");
	jw_int(&w, 1);
	jw_end_object(&w);
	t = jw_contents(&w, &n);
	ok(n == 7 && strcmp(t, "{\"a\":1}") == 0, "reuse: the first text (%s)",
	   t);
	before = w.buf;
	jw_clear(&w);
	jw_begin_array(&w);
	jw_int(&w, 2);
	jw_end_array(&w);
	t = jw_contents(&w, &n);
	ok(n == 3 && strcmp(t, "[2]") == 0,
	   "reuse: after jw_clear, no comma carried over (%s)", t);
	ok(w.buf == before, "reuse: the same buffer");
	jw_free(&w);
}

/*
 * jw_utf8_valid's eight-byte and three-byte steps: a long text of ASCII,
 * Chinese and a 4-byte character, with a bad byte put at every place in
 * turn (and the text cut at every length), judged as jansson judges it.
 */
static void
test_utf8_long(void)
{
	static const char text[] = "ogi 依申请公开 2026-000001 \xf0\x9f\x98\x80"
	                           " 请求公开某路段规划许可信息 abcdefghij 完";
	static const unsigned char bad[] = {
		0xFF, 0x80, 0xC0, 0xED, 0xE0, 'A'
	};
	char b[sizeof(text)];
	size_t n = sizeof(text) - 1, i, k;
	int differ = 0;
	json_t *j;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(bad); k++) {
			memcpy(b, text, n);
			b[i] = (char)bad[k];
			j = json_stringn(b, n);
			differ += (j != NULL) != jw_utf8_valid(b, n);
			json_decref(j);
		}
	for (i = 0; i <= n; i++) {
		j = json_stringn(text, i);
		differ += (j != NULL) != jw_utf8_valid(text, i);
		json_decref(j);
	}
	ok(differ == 0,
	   "a bad byte at every place of a long text, and every "
	   "cut: %d differ from jansson",
	   differ);
}

int
main(void)
{
	test_reuse();
	test_fixed();
	test_utf8();
	test_utf8_long();
	test_events();
	test_positions();
	test_random();
	return tap_done();
}
