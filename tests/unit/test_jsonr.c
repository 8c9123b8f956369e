/*
 * jsonr: jr_loadb must give the tree json_loadb(JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY) gives, keys in the same order, or NULL (and never a
 * tree where jansson refuses). Fixed cases, then values jansson writes in
 * every style, then those texts with bytes changed at random.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../fuzz/jsonr_check.h"
#include "tap.h"

static enum jsonr_verdict
verdict_s(const char *text)
{
	return jsonr_compare(text, strlen(text));
}

/* The first bytes of a text for a test's name, controls as '.'. */
static const char *
shown(const char *text)
{
	static char buf[61];
	size_t i;

	for (i = 0; i < sizeof(buf) - 1 && text[i] != '\0'; i++)
		buf[i] = (unsigned char)text[i] < 0x20 ? '.' : text[i];
	buf[i] = '\0';
	return buf;
}

static void
test_fixed(void)
{
	static const char *fast[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"app.submit\","
		"\"params\":{\"applicant\":{\"kind\":\"natural_person\","
		"\"name\":"
		"\"压测用户3\",\"phone\":\"13800000000\"},\"channel\":"
		"\"online\","
		"\"description\":"
		"\"请求公开2025年度朝阳区住房和城乡建设局关于老旧"
		"小区改造的批准文件及会议纪要\",\"form\":\"electronic\","
		"\"delivery\":\"email\",\"client_ref\":\"bench-1-2-3\"}}",
		"[{\"jsonrpc\":\"2.0\",\"method\":\"auth\",\"params\":{"
		"\"token\":"
		"\"abc\"},\"id\":1},{\"jsonrpc\":\"2.0\",\"method\":\"x\"}]",
		"{}",
		"[]",
		" \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 ] , \"b\" : { } } \n",
		"\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
		"\"\\u00e9\\u4E2D\\ud83d\\ude00 \\u0001 \\u001f \\u2028\"",
		"{\"\\u4e2d\\n\":\"键有转义\",\"中\":\"x\\\\y\"}",
		"9223372036854775807",
		"-9223372036854775808",
		"[true,false,null,\"\",{\"\":[]}]",
		"\"张三\"",
		"{\"a\":{\"b\":{\"c\":[[[[1]]]]}}}",
	};
	static const char *slow[] = {
		"1.5",
		"1e3",
		"-0.0",
		"[1E5]",
		"9223372036854775808",
		"-9223372036854775809",
		"123456789012345678901234567890",
		"\"\\u0000\"",
		"{\"a\\u0000\":1}",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"\\ud800x\"",
		"{\"a\":1,\"a\":2}",
		"{\"a\":1,\"b\":{\"c\":1,\"c\":1}}",
		"\"\xff\"",
		"\"\xc0\x80\"",
		"\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"",
		"\"\xe4\xb8\"",
		"{\"\xff\":1}",
		"\"a\tb\"",
		"\"a\nb\"",
		"{} x",
		"01",
		"-",
		"-a",
		"[1,]",
		"[,1]",
		"{,}",
		"{\"a\" 1}",
		"{\"a\":}",
		"{\"a\":1,}",
		"{1:1}",
		"",
		"   ",
		"\xef\xbb\xbf{}",
		"tru",
		"nul",
		"truex",
		"[1 2]",
		"\"abc",
		"\"\\x\"",
		"\"\\u12\"",
		"\"\\u12g4\"",
		"[\"a\"",
		"{\"a\":1",
		"}",
		"]",
		"[1]]",
	};
	char deep[2 * (JR_MAX_DEPTH + 1) + 1];
	size_t i;

	for (i = 0; i < sizeof(fast) / sizeof(fast[0]); i++)
		ok(verdict_s(fast[i]) == JSONR_SAME,
		   "read as jansson reads it: %s", shown(fast[i]));
	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++)
		ok(jr_loadb(slow[i], strlen(slow[i])) == NULL,
		   "left to jansson: %s", shown(slow[i]));
	ok(jsonr_compare("[1]\0", 4) == JSONR_FALLBACK,
	   "a NUL byte after the value");
	ok(jsonr_compare("\"a\0b\"", 5) == JSONR_FALLBACK,
	   "a NUL byte in a string");

	memset(deep, '[', JR_MAX_DEPTH);
	memset(deep + JR_MAX_DEPTH, ']', JR_MAX_DEPTH);
	deep[2 * JR_MAX_DEPTH] = '\0';
	ok(verdict_s(deep) == JSONR_SAME, "nested %d deep", JR_MAX_DEPTH);
	memset(deep, '[', JR_MAX_DEPTH + 1);
	memset(deep + JR_MAX_DEPTH + 1, ']', JR_MAX_DEPTH + 1);
	deep[2 * (JR_MAX_DEPTH + 1)] = '\0';
	ok(verdict_s(deep) == JSONR_FALLBACK, "deeper is left to jansson");
}

/* ---- random values, written by jansson in every style ---- */

/* A short valid UTF-8 string: ASCII, controls, quotes, CJK, astral. */
static json_t *
rnd_string(void)
{
	static const char *bits[] = {
		"a",    "Z",    " ",    "\"", "\\", "/",  "\n", "\t",
		"\x01", "\x1f", "\x7f", "é",  "中", "文", "😀",  "\xe2\x80\xa8",
		"0",    "-",    "{",    "]",  ":",  ",",  "u",  "\\u",
	};
	char buf[256];
	size_t n = 0, k, m = tap_rnd(12);

	while (m-- > 0) {
		const char *b = bits[tap_rnd(sizeof(bits) / sizeof(bits[0]))];

		k = strlen(b);
		if (n + k >= sizeof(buf))
			break;
		memcpy(buf + n, b, k);
		n += k;
	}
	return json_stringn(buf, n);
}

static json_t *
rnd_value(int depth)
{
	static const json_int_t edge[] = {
		0, 1, -1, 9, 10, INT64_MAX, INT64_MIN, 1000000007
	};
	unsigned kind = tap_rnd(depth > 4 ? 5 : 8), i, n;
	json_t *v, *k;

	switch (kind) {
	case 0:
		return json_integer(tap_rnd(2) ? edge[tap_rnd(8)]
		                               : (json_int_t)tap_rnd(1000000) -
		                                     500000);
	case 1:
		return rnd_string();
	case 2:
		return tap_rnd(3) == 0 ? json_null()
		       : tap_rnd(2)    ? json_true()
		                       : json_false();
	case 3:
		return tap_rnd(8) == 0 ? json_real((double)tap_rnd(1000) / 8)
		                       : json_integer(tap_rnd(100));
	case 4:
		return json_integer(-(json_int_t)tap_rnd(100));
	case 5:
	case 6:
		v = json_object();
		n = tap_rnd(6);
		for (i = 0; i < n; i++) {
			k = rnd_string();
			json_object_set_new(v, json_string_value(k),
			                    rnd_value(depth + 1));
			json_decref(k);
		}
		return v;
	default:
		v = json_array();
		n = tap_rnd(6);
		for (i = 0; i < n; i++)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	}
}

static void
test_random(void)
{
	static const size_t styles[] = {
		JSON_COMPACT,
		JSON_INDENT(2),
		JSON_COMPACT | JSON_ENSURE_ASCII,
		JSON_INDENT(1) | JSON_ESCAPE_SLASH,
		JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH,
	};
	static const char mut[] = "\"\\{}[],:0-9e.u a\x00\xff\xc3\x80\xe4\n";
	unsigned i, j, same = 0, fallback = 0, bad = 0, msame = 0, mfall = 0;
	char text[8192];

	for (i = 0; i < 20000; i++) {
		json_t *v = rnd_value(0);
		size_t flags =
		    styles[tap_rnd(sizeof(styles) / sizeof(styles[0]))];
		char *s = json_dumps(v, flags | JSON_ENCODE_ANY);
		size_t len;

		json_decref(v);
		if (s == NULL || (len = strlen(s)) >= sizeof(text)) {
			free(s);
			continue;
		}
		switch (jsonr_compare(s, len)) {
		case JSONR_SAME:
			same++;
			break;
		case JSONR_FALLBACK:
			/* Of what jansson writes here, only reals. */
			check(strchr(s, '.') != NULL,
			      "a value without reals went to jansson: %s", s);
			fallback++;
			break;
		case JSONR_MISMATCH:
			bad++;
			break;
		}
		/* The same text with one to three bytes changed. */
		for (j = 0; j < 4; j++) {
			unsigned e, edits = 1 + tap_rnd(3);

			memcpy(text, s, len);
			for (e = 0; e < edits; e++) {
				unsigned at = tap_rnd((unsigned)len);

				text[at] = mut[tap_rnd(sizeof(mut) - 1)];
			}
			switch (jsonr_compare(text, len)) {
			case JSONR_SAME:
				msame++;
				break;
			case JSONR_FALLBACK:
				mfall++;
				break;
			case JSONR_MISMATCH:
				bad++;
				break;
			}
		}
		free(s);
	}
	ok(bad == 0,
	   "never a different tree, never a tree jansson refuses "
	   "(%u wrong)",
	   bad);
	ok(same > 15000,
	   "jansson's own texts read fast (%u of 20000, %u to "
	   "jansson)",
	   same, fallback);
	ok(msame > 1000 && mfall > 20000,
	   "changed texts: %u read fast, %u left to jansson", msame, mfall);
}

/*
 * Each byte that ends, escapes, refuses or marks a string as not ASCII, at
 * each place of a longer one, ASCII and Chinese around it: jr_string's
 * eight-bytes-a-step skip never misses one.
 */
static void
test_positions(void)
{
	static const char special[] = { '"',  '\\', '\x01',     '\x1f',    '\t',
		                        0x7f, 'n',  (char)0xe4, (char)0x80 };
	static const char *const fill[] = { "abcdefghijklmnopqrstuvwxyz0123",
		                            "依申请公开政府信息办理期限" };
	size_t f, p, k, bad = 0, fast = 0, all = 0;

	for (f = 0; f < 2; f++)
		for (p = 0; p < strlen(fill[f]); p++)
			for (k = 0; k < sizeof(special); k++) {
				char t[64];

				snprintf(t, sizeof(t), "\"%s\"", fill[f]);
				t[p + 1] = special[k];
				if (f == 0 &&
				    (special[k] == 'n' || special[k] == 0x7f))
					all++;
				switch (verdict_s(t)) {
				case JSONR_SAME:
					if (f == 0 && (special[k] == 'n' ||
					               special[k] == 0x7f))
						fast++;
					break;
				case JSONR_FALLBACK:
					break;
				case JSONR_MISMATCH:
					bad++;
					break;
				}
			}
	ok(bad == 0,
	   "a byte of each kind at every place of a string: %zu wrong", bad);
	ok(fast == all, "'n' and 0x7F anywhere in ASCII read fast: %zu of %zu",
	   fast, all);
}

/* jr_first_element: the span of a batch's first object, or 0. */
static void
test_first_element(void)
{
	static const struct {
		const char *text;
		int found;
		const char *span;
	} cases[] = {
		{ "[{\"a\":1},{\"b\":2}]", 1, "{\"a\":1}" },
		{ " \t[ \r\n{\"a\":[1,{\"x\":\"}\"}]}, 5", 1,
		  "{\"a\":[1,{\"x\":\"}\"}]}" },
		{ "[{\"t\":\"a\\\"}b\"}", 1, "{\"t\":\"a\\\"}b\"}" },
		{ "[{\"t\":\"\\\\\"}", 1, "{\"t\":\"\\\\\"}" },
		{ "[{\"a\":1", 0, NULL },   /* not ended yet */
		{ "[{\"a\":\"}", 0, NULL }, /* the brace is in a string */
		{ "{\"method\":\"auth\"}", 0, NULL }, /* not a batch */
		{ "[1,{\"a\":1}]", 0, NULL },         /* first not an object */
		{ "[]", 0, NULL },
		{ "", 0, NULL },
		{ "[", 0, NULL },
	};
	size_t i, off = 0, len = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;
		int r = jr_first_element(t, strlen(t), &off, &len);

		if (cases[i].found)
			ok(r == 1 && len == strlen(cases[i].span) &&
			       memcmp(t + off, cases[i].span, len) == 0,
			   "first element of %s", shown(t));
		else
			ok(r == 0, "no first element in %s", shown(t));
	}
}

int
main(void)
{
	test_first_element();
	test_fixed();
	test_random();
	test_positions();
	return tap_done();
}
