/*
 * The annual report (SPEC section 7) as the familiar tables 三 and 四 of
 * the 政府信息公开工作年度报告, with their official row and column labels,
 * or as CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xmalloc.h"
#include "ogi.h"

struct report_row {
	const char *key; /* NULL: a heading without figures */
	const char *label;
	int level;
};

/* Table 三, in the order of the official form. */
static const struct report_row rows3[] = {
	{ "new", "一、本年新收政府信息公开申请数量", 0 },
	{ "carried_in", "二、上年结转政府信息公开申请数量", 0 },
	{ NULL, "三、本年度办理结果", 0 },
	{ "grant", "（一）予以公开", 1 },
	{ "partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
	  1 },
	{ "deny", "（三）不予公开", 1 },
	{ "deny.state_secret", "1.属于国家秘密", 2 },
	{ "deny.law_prohibited", "2.其他法律行政法规禁止公开", 2 },
	{ "deny.security_stability", "3.危及“三安全一稳定”", 2 },
	{ "deny.third_party", "4.保护第三方合法权益", 2 },
	{ "deny.internal_affairs", "5.属于三类内部事务信息", 2 },
	{ "deny.process_info", "6.属于四类过程性信息", 2 },
	{ "deny.enforcement_file", "7.属于行政执法案卷", 2 },
	{ "deny.administrative_query", "8.属于行政查询事项", 2 },
	{ "unavailable", "（四）无法提供", 1 },
	{ "unavailable.not_held", "1.本机关不掌握相关政府信息", 2 },
	{ "unavailable.needs_creation", "2.没有现成信息需要另行制作", 2 },
	{ "unavailable.unclear", "3.补正后申请内容仍不明确", 2 },
	{ "not_processed", "（五）不予处理", 1 },
	{ "not_processed.petition", "1.信访举报投诉类申请", 2 },
	{ "not_processed.repeat", "2.重复申请", 2 },
	{ "not_processed.publication", "3.要求提供公开出版物", 2 },
	{ "not_processed.excessive", "4.无正当理由大量反复申请", 2 },
	{ "not_processed.confirmation",
	  "5.要求行政机关确认或重新出具已获取信息", 2 },
	{ "other", "（六）其他处理", 1 },
	{ "other.no_correction",
	  "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
	  2 },
	{ "other.fee_unpaid",
	  "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公"
	  "开申请",
	  2 },
	{ "other.other", "3.其他", 2 },
	{ "concluded", "（七）总计", 1 },
	{ "carried_out", "四、结转下年度继续办理", 0 },
};

#define NROWS3 (sizeof rows3 / sizeof rows3[0])

static const char *const cols3[][2] = {
	{ "natural_person", "自然人" },
	{ "commercial", "商业企业" },
	{ "research", "科研机构" },
	{ "social_welfare", "社会公益组织" },
	{ "legal_service", "法律服务机构" },
	{ "other", "其他" },
	{ "total", "总计" },
};

#define NCOLS3 7

static const char *const kinds4[][2] = {
	{ "reconsideration", "行政复议" },
	{ "litigation", "行政诉讼（未经复议直接起诉）" },
	{ "litigation_after_reconsideration", "行政诉讼（复议后起诉）" },
};

static const char *const results4[][2] = {
	{ "upheld", "结果维持" }, { "corrected", "结果纠正" },
	{ "other", "其他结果" },  { "pending", "尚未审结" },
	{ "total", "总计" },
};

#define TITLE3 "三、收到和处理政府信息公开申请情况"
#define TITLE4 "四、政府信息公开行政复议、行政诉讼情况"

/* A label without its numbering: "（三）不予公开" as "不予公开". */
static char *
label_bare(const char *label, int level)
{
	const char *p = label, *q;

	if (level == 1 && (q = strstr(p, "）")) != NULL)
		p = q + strlen("）");
	else if (level == 2 && (q = strchr(p, '.')) != NULL)
		p = q + 1;
	if ((q = strstr(p, "（")) != NULL && q != p)
		return xstrndup(p, (size_t)(q - p));
	return xstrdup(p);
}

char *
report_outcome_text(const char *code)
{
	size_t i, g;
	char *group, *item, *s;

	for (i = 0; i < NROWS3; i++)
		if (rows3[i].key != NULL && strcmp(rows3[i].key, code) == 0)
			break;
	if (i == NROWS3 || rows3[i].level == 0)
		return NULL;
	item = label_bare(rows3[i].label, rows3[i].level);
	if (rows3[i].level == 1)
		return item;
	for (g = i; rows3[g].level != 1; g--)
		;
	group = label_bare(rows3[g].label, 1);
	s = xasprintf("%s：%s", group, item);
	free(group);
	free(item);
	return s;
}

/* A figure as text: "" when the server left it out. */
static char *
figure(const json_t *table, const char *row, const char *col)
{
	return jtext(json_object_get(json_object_get(table, row), col));
}

/* Table 三 in a table: label, then the seven columns. */
static struct table *
table3(const json_t *apps, bool csv)
{
	struct table *t = table_new(NCOLS3 + 1);
	size_t i, c;
	char *s;

	for (c = 1; c <= NCOLS3; c++)
		table_align_right(t, (int)c);
	table_add(t, csv ? "项目" : "");
	for (c = 0; c < NCOLS3; c++)
		table_add(t, cols3[c][1]);
	for (i = 0; i < NROWS3; i++) {
		table_addf(t, "%*s%s", csv ? 0 : rows3[i].level * 2, "",
		           rows3[i].label);
		for (c = 0; c < NCOLS3; c++) {
			if (rows3[i].key == NULL) {
				table_add(t, "");
				continue;
			}
			s = figure(apps, rows3[i].key, cols3[c][0]);
			table_add(t, s);
			free(s);
		}
	}
	return t;
}

static struct table *
table4(const json_t *appeals, bool csv)
{
	struct table *t = table_new(6);
	size_t k, r;
	char *s;

	for (r = 1; r <= 5; r++)
		table_align_right(t, (int)r);
	table_add(t, csv ? "项目" : "");
	for (r = 0; r < 5; r++)
		table_add(t, results4[r][1]);
	for (k = 0; k < 3; k++) {
		table_add(t, kinds4[k][1]);
		for (r = 0; r < 5; r++) {
			s = figure(appeals, kinds4[k][0], results4[r][0]);
			table_add(t, s);
			free(s);
		}
	}
	return t;
}

/*
 * The header of table 三 as on the form: 法人或其他组织 spans the five
 * organization columns.
 */
static void
print_header3(const int *w)
{
	const char *span = "法人或其他组织";
	int span_w = 0, c, left, sw = out_width(span);

	for (c = 2; c <= 6; c++)
		span_w += w[c] + (c > 2 ? 2 : 0);
	printf("%*s  ", w[0], "");
	out_pad(stdout, cols3[0][1], w[1], true);
	left = (span_w - sw) / 2;
	printf("  %*s%s%*s  ", left > 0 ? left : 0, "", span,
	       span_w - sw - left > 0 ? span_w - sw - left : 0, "");
	out_pad(stdout, cols3[6][1], w[7], true);
	printf("\n%*s  %*s", w[0], "", w[1], "");
	for (c = 2; c <= 6; c++) {
		fputs("  ", stdout);
		out_pad(stdout, cols3[c - 1][1], w[c], true);
	}
	printf("\n");
}

static void
print_table3(const json_t *apps)
{
	struct table *t = table3(apps, false);
	int w[NCOLS3 + 1], c;

	for (c = 0; c <= NCOLS3; c++)
		w[c] = table_col_width(t, c);
	print_header3(w);
	table_print_body(t, stdout, 0);
	table_free(t);
}

static void
print_report(const json_t *result)
{
	const json_t *apps = json_object_get(result, "applications");
	const json_t *appeals = json_object_get(result, "appeals");
	char *year = jtext(json_object_get(result, "year"));
	struct table *t;

	printf("%s年度政府信息公开工作年度报告\n\n%s\n\n", year, TITLE3);
	print_table3(apps);
	printf("\n%s\n\n", TITLE4);
	t = table4(appeals, false);
	table_print(t, stdout, 0);
	table_free(t);
	free(year);
}

static void
print_report_csv(const json_t *result)
{
	struct table *t;

	out_csv_field(stdout, TITLE3);
	printf("\n");
	t = table3(json_object_get(result, "applications"), true);
	table_print_csv(t, stdout);
	table_free(t);
	printf("\n");
	out_csv_field(stdout, TITLE4);
	printf("\n");
	t = table4(json_object_get(result, "appeals"), true);
	table_print_csv(t, stdout);
	table_free(t);
}

int
cmd_report(struct ctx *ctx, struct args *a)
{
	json_t *result;
	long long year;
	int r;

	if (arg_int(ctx, a->pos[0], "YEAR", &year) != 0)
		return EXIT_USAGE;
	if ((r = ctx_call(ctx, "report.annual",
	                  json_pack("{s:I}", "year", (json_int_t)year),
	                  &result)) != 0)
		return r;
	if (ctx->json)
		ctx_print_json(result);
	else if (arg_flag(a, "csv"))
		print_report_csv(result);
	else
		print_report(result);
	json_decref(result);
	return EXIT_DONE;
}
