/*
 * gen: fill an ogi database (made by "ogid init") with N realistic
 * applications received over several years, each taken through its life
 * by the same code the daemon runs: lib/workflow decides and applies every
 * transition, lib/store writes the rows, the clock records and the
 * hash-chained history (SHA-256(prev || canonical content), canonical
 * content as daemon/methods.c history_append makes it), and the deadline
 * timers (due soon, overdue, lapses) fire in order as daemon/timers.c
 * fires them, up to "now". So the daemon opens the result normally, finds
 * nothing to catch up, and "ogid verify" passes.
 *
 * usage: gen --db FILE --n N [--years Y] [--seed S] [--ids FILE]
 *        gen --db FILE --index-only   (bring the search index up to date:
 *        made anew if it is of an older version, as ogid would at start)
 *
 * Every state is represented: recent applications are caught mid-way, a
 * few old ones are stuck (long overdue), some are slow. Applications are
 * generated in order of receipt, each through its whole life before the
 * next, so history rows are grouped per application (the chain is still
 * one chain over all rows).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../lib/app.h"
#include "../lib/calendar.h"
#include "../lib/deadline.h"
#include "../lib/store.h"
#include "../lib/tz.h"
#include "../lib/workflow.h"

#define DUE_SOON_DAYS 3
#define BATCH 2000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
rint_(int lo, int hi) /* inclusive */
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static double
rfrac(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

#define PICK(arr) (arr[rnd() % (sizeof(arr) / sizeof(arr[0]))])

/* ---- text ---- */

static const char *surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄",
	                          "赵", "吴", "周", "徐", "孙", "马", "朱",
	                          "胡", "郭", "何", "高", "林", "罗", "郑",
	                          "梁", "谢", "宋", "唐", "许", "韩", "冯",
	                          "邓", "曹", "彭", "曾" };
static const char *given[] = { "伟",   "芳",  "娜",   "敏",   "静",   "丽",
	                       "强",   "磊",  "军",   "洋",   "勇",   "艳",
	                       "杰",   "娟",  "涛",   "明",   "超",   "秀英",
	                       "霞",   "平",  "刚",   "桂英", "建华", "文",
	                       "华",   "红",  "玉兰", "志强", "海燕", "晓东",
	                       "建国", "淑珍" };
static const char *cities[] = { "北京", "上海", "广州", "深圳", "成都", "杭州",
	                        "南京", "武汉", "西安", "重庆", "天津", "苏州",
	                        "长沙", "郑州", "青岛", "合肥" };
static const char *districts[] = { "朝阳区", "海淀区", "浦东新区", "天河区",
	                           "南山区", "武侯区", "西湖区",   "鼓楼区",
	                           "江岸区", "雁塔区", "渝中区",   "和平区",
	                           "姑苏区", "岳麓区", "金水区",   "市南区" };
static const char *org_words[] = { "华信", "中科", "恒达", "新世纪", "东方",
	                           "远景", "宏图", "金桥", "明德",   "正源" };
static const char *depts[] = { "住房和城乡建设局",     "自然资源和规划局",
	                       "生态环境局",           "财政局",
	                       "市场监督管理局",       "教育局",
	                       "卫生健康委员会",       "交通运输局",
	                       "人力资源和社会保障局", "城市管理综合执法局",
	                       "发展和改革委员会",     "水务局",
	                       "应急管理局",           "民政局",
	                       "农业农村局",           "街道办事处" };
static const char *topics[] = { "国有土地上房屋征收补偿",
	                        "集体土地征收补偿",
	                        "建设项目环境影响评价",
	                        "政府采购项目",
	                        "城市道路改造工程",
	                        "老旧小区改造",
	                        "拆迁安置",
	                        "财政预算执行",
	                        "行政处罚决定",
	                        "义务教育学校划片招生",
	                        "医疗保障基金使用",
	                        "专项资金分配",
	                        "违法建设查处",
	                        "噪声污染投诉处理",
	                        "排水管网建设",
	                        "养老服务补贴发放",
	                        "最低生活保障审批",
	                        "食品安全抽检",
	                        "建设用地规划许可",
	                        "公共租赁住房分配" };
static const char *docs[] = {
	"批准文件", "会议纪要", "审批材料", "补偿方案", "评估报告", "合同文本",
	"验收报告", "处理结果", "预算明细", "调查报告", "立项批复", "公告及附件"
};
static const char *endings[] = { "",
	                         "",
	                         "",
	                         "，包括相关附件",
	                         "，以及作出决定的法律依据",
	                         "，请以电子邮件方式提供",
	                         "，并提供纸质复印件",
	                         "及其执行情况" };
static const char *notes[] = {
	"已核实",
	"按程序办理",
	"材料齐全",
	"请申请人补充说明所需信息的名称、文号或者便于查询的其他特征性描述",
	"经审查",
	"依法处理"
};

static char *
person_name(void)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s", PICK(surnames), PICK(given),
	         rnd() % 2 ? PICK(given) : "");
	return strdup(buf);
}

static char *
org_name(enum app_column col)
{
	char buf[128];
	const char *suffix;

	switch (col) {
	case COL_COMMERCIAL:
		suffix = rnd() % 2 ? "科技有限公司" : "房地产开发有限公司";
		break;
	case COL_RESEARCH:
		suffix = rnd() % 2 ? "大学" : "研究院";
		break;
	case COL_SOCIAL_WELFARE:
		suffix = "公益基金会";
		break;
	case COL_LEGAL_SERVICE:
		suffix = "律师事务所";
		break;
	default:
		suffix = "业主委员会";
		break;
	}
	snprintf(buf, sizeof(buf), "%s%s%s", PICK(cities), PICK(org_words),
	         suffix);
	return strdup(buf);
}

static char *
description(int year)
{
	char buf[512];

	if (rnd() % 1000 == 0)
		snprintf(buf, sizeof(buf),
		         "请求公开地铁十号线延伸工程%s涉及本人房屋的%s",
		         PICK(districts), PICK(docs));
	else
		snprintf(buf, sizeof(buf), "请求公开%d年度%s%s关于%s的%s%s",
		         year - rint_(0, 2), PICK(districts), PICK(depts),
		         PICK(topics), PICK(docs), PICK(endings));
	return strdup(buf);
}

/* ---- users ---- */

#define NREVIEWERS 24
#define NCLERKS 6
#define NSECRECY 3
#define NSUPERVISORS 2

static void
add_user(struct store *st, const char *name, unsigned roles)
{
	uint8_t raw[32], h[32];
	unsigned n = 32;
	int i;

	for (i = 0; i < 32; i++)
		raw[i] = (uint8_t)rnd();
	EVP_Digest(raw, 32, h, &n, EVP_sha256(), NULL);
	if (store_user_create(st, name, roles, h, (int64_t)time(NULL), NULL) ==
	    -1) {
		fprintf(stderr, "gen: user %s: %s\n", name, store_error(st));
		exit(1);
	}
}

static const char *
user_name(const char *prefix, int n)
{
	static char buf[8][32];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s%02d", prefix, n);
	return buf[k];
}

/* ---- the simulation of one application ---- */

struct gen {
	struct store *st;
	struct cal *cal;
	int64_t now;
	day_t today;
	unsigned long long events, transitions, lapses, timers;
};

static struct gen G;

static void
die_store(const char *what)
{
	fprintf(stderr, "gen: %s: %s\n", what, store_error(G.st));
	exit(1);
}

static json_t *
jdate(day_t d)
{
	char buf[16];

	return d == DAY_NONE ? json_null() : json_string(date_format(d, buf));
}

/* As daemon/methods.c history_append. Steals params. */
static void
history(const struct app *a, int64_t at, const char *actor, const char *method,
        int from, int to, json_t *params)
{
	json_t *ev;
	char *content, buf[40];

	ev = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "app", a->id, "at",
	    tz_format(at, buf, sizeof(buf)), "actor", actor, "method", method,
	    "from", from < 0 ? json_null() : json_string(app_state_name(from)),
	    "to", to < 0 ? json_null() : json_string(app_state_name(to)),
	    "params", params ? params : json_null(), "version",
	    (json_int_t)a->version);
	if (ev == NULL) {
		fprintf(stderr, "gen: json_pack failed\n");
		exit(1);
	}
	content = json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(ev);
	if (store_event_append(G.st, a->id, at, content) == -1)
		die_store("event");
	free(content);
	G.events++;
}

static void
derive(struct app *a)
{
	day_t ev;

	wf_derive(a, G.cal, DUE_SOON_DAYS, &ev);
	a->next_event_at = ev == DAY_NONE ? 0 : tz_midnight(ev);
}

/* daemon/timers.c handle(), on the in-memory application. */
static void
fire(struct app *a)
{
	int64_t at = a->next_event_at;
	enum timer_kind kind = a->next_event;
	struct wf_actor sys = { "system", 0, true };
	struct wf_args args;
	struct wf_effects fx;
	enum app_state from = a->state;
	day_t due = a->due_on;
	char buf[16];

	memset(&args, 0, sizeof(args));
	args.today = tz_day(at);
	G.timers++;
	switch (kind) {
	case TK_DUE_SOON:
	case TK_OVERDUE:
		wf_fired(a, kind);
		derive(a);
		history(
		    a, at, "system",
		    kind == TK_DUE_SOON ? "timer.due_soon" : "timer.overdue",
		    from, a->state, json_pack("{s:o}", "due_on", jdate(due)));
		break;
	case TK_LAPSE_CORRECTION:
	case TK_LAPSE_CONSULTATION:
	case TK_LAPSE_FEE: {
		const char *period = wait_kind_name(a->wait);
		day_t last = a->wait_last_day;
		int cycle = a->cycle;

		wf_apply(a, wf_lapse_action(kind), &sys, &args, G.cal, &fx);
		derive(a);
		a->version++;
		a->updated_at = at;
		if (fx.pause_closed &&
		    store_clock_close(G.st, a->id, cycle,
		                      wait_kind_name(fx.closed), fx.closed_to,
		                      fx.closed_days) == -1)
			die_store("clock close");
		history(a, at, "system", "timer.lapse", from, a->state,
		        json_pack("{s:s, s:s}", "period", period, "last_day",
		                  date_format(last, buf)));
		G.lapses++;
		break;
	}
	default:
		derive(a);
		break;
	}
}

/* Fire every timer event due at or before t, in order. */
static void
fire_until(struct app *a, int64_t t)
{
	int guard = 0;

	derive(a);
	while (a->next_event_at != 0 && a->next_event_at <= t && guard++ < 64)
		fire(a);
}

/* One user action, as daemon/methods_transition.c m_app_transition does it. */
static int
act(struct app *a, enum wf_action action, const char *actor, unsigned roles,
    struct wf_args *args, int64_t now, json_t *params)
{
	struct wf_actor who = { actor, roles, false };
	struct wf_error we;
	struct wf_effects fx;
	struct store_clock c;
	enum app_state from;
	int old_cycle;
	json_t *note;
	const char *reason;

	if (wf_check(a, action, &who, args, G.cal, &we) == -1) {
		json_decref(params);
		return -1;
	}
	from = a->state;
	old_cycle = a->cycle;
	if (action == WF_APPEAL || action == WF_APPEAL_DECIDED) {
		/* handled by the caller (appeal rows); history here */
	}
	wf_apply(a, action, &who, args, G.cal, &fx);
	derive(a);
	a->version++;
	a->updated_at = now;
	note = json_object_get(params, "note");
	reason = json_string_value(note);
	if (action == WF_EXTEND) {
		memset(&c, 0, sizeof(c));
		c.cycle = a->cycle;
		snprintf(c.kind, sizeof(c.kind), "extension");
		c.from = c.to = DAY_NONE;
		c.days = args->days;
		c.reason = (char *)json_string_value(
		    json_object_get(params, "reason"));
		snprintf(c.actor, sizeof(c.actor), "%s", actor);
		c.at = now;
		if (store_clock_add(G.st, a->id, &c) == -1)
			die_store("clock add");
	}
	if (fx.pause_closed &&
	    store_clock_close(G.st, a->id, old_cycle, wait_kind_name(fx.closed),
	                      fx.closed_to, fx.closed_days) == -1)
		die_store("clock close");
	if (fx.pause_opened) {
		memset(&c, 0, sizeof(c));
		c.cycle = a->cycle;
		snprintf(c.kind, sizeof(c.kind), "%s",
		         wait_kind_name(fx.opened));
		c.from = a->wait_from;
		c.to = DAY_NONE;
		c.reason = (char *)reason;
		snprintf(c.actor, sizeof(c.actor), "%s", actor);
		c.at = now;
		if (store_clock_add(G.st, a->id, &c) == -1)
			die_store("clock add");
	}
	history(a, now, actor, wf_action_method(action), from, a->state,
	        params);
	G.transitions++;
	return 0;
}

static const enum outcome review_outcomes[] = {
	OC_GRANT,
	OC_GRANT,
	OC_GRANT,
	OC_GRANT,
	OC_GRANT,
	OC_GRANT,
	OC_GRANT,
	OC_GRANT,
	OC_PARTIAL,
	OC_PARTIAL,
	OC_PARTIAL,
	OC_PARTIAL,
	OC_DENY_STATE_SECRET,
	OC_DENY_LAW_PROHIBITED,
	OC_DENY_SECURITY_STABILITY,
	OC_DENY_THIRD_PARTY,
	OC_DENY_INTERNAL_AFFAIRS,
	OC_DENY_PROCESS_INFO,
	OC_DENY_ENFORCEMENT_FILE,
	OC_DENY_ADMINISTRATIVE_QUERY,
	OC_UNAVAILABLE_NOT_HELD,
	OC_UNAVAILABLE_NOT_HELD,
	OC_UNAVAILABLE_NOT_HELD,
	OC_UNAVAILABLE_NEEDS_CREATION,
	OC_UNAVAILABLE_UNCLEAR,
	OC_NOT_PROCESSED_PETITION,
	OC_NOT_PROCESSED_REPEAT,
	OC_NOT_PROCESSED_PUBLICATION,
	OC_NOT_PROCESSED_EXCESSIVE,
	OC_NOT_PROCESSED_CONFIRMATION,
	OC_OTHER_OTHER,
};

/* The next step of an application's life, chosen from its state. */
enum step { S_NONE, S_ACT };

struct plan {
	enum wf_action action;
	int delay; /* working days after the last step */
	const char *actor;
	unsigned roles;
};

static int
choose(const struct app *a, double slow, int appeals, int pending_appeal,
       struct plan *p)
{
	double r = rfrac();
	int s = (int)slow;

	p->actor = user_name("clerk", rint_(1, NCLERKS));
	p->roles = WF_ROLE_CLERK;
	switch (a->state) {
	case ST_RECEIVED:
		if (r < 0.06) {
			p->action = WF_REQUEST_CORRECTION;
			p->delay = rint_(1, 9);
		} else if (r < 0.075) {
			p->action = WF_WITHDRAW;
			p->delay = rint_(1, 10);
		} else {
			p->action = WF_ASSIGN;
			p->delay = rint_(0, 3) * s;
		}
		return S_ACT;
	case ST_CORRECTION:
		/* A quarter never answer: the correction period lapses. */
		p->action = WF_CORRECT;
		p->delay = r < 0.75 ? rint_(1, 12) : 40;
		return S_ACT;
	case ST_REVIEW:
		p->actor = a->assignee;
		p->roles = WF_ROLE_REVIEWER;
		if (r < 0.07 && a->extension_days == 0) {
			p->action = WF_EXTEND;
			p->actor =
			    user_name("supervisor", rint_(1, NSUPERVISORS));
			p->roles = WF_ROLE_SUPERVISOR;
			p->delay = rint_(5, 15);
		} else if (r < 0.15) {
			p->action = WF_CONSULT;
			p->delay = rint_(2, 8);
		} else if (r < 0.19) {
			p->action = WF_FEE_NOTICE;
			p->actor = user_name("clerk", rint_(1, NCLERKS));
			p->roles = WF_ROLE_CLERK;
			p->delay = rint_(2, 8);
		} else if (r < 0.22) {
			p->action = WF_REQUEST_CORRECTION;
			p->delay = rint_(1, 5);
		} else if (r < 0.23) {
			p->action = WF_WITHDRAW;
			p->actor = user_name("clerk", rint_(1, NCLERKS));
			p->roles = WF_ROLE_CLERK;
			p->delay = rint_(1, 10);
		} else {
			p->action = WF_REVIEW;
			p->delay = rint_(3, 14) * s;
		}
		return S_ACT;
	case ST_CONSULTATION:
		p->actor = a->assignee;
		p->roles = WF_ROLE_REVIEWER;
		p->action = WF_CONSULTED;
		p->delay = r < 0.8 ? rint_(3, 14) : 40; /* else it lapses */
		return S_ACT;
	case ST_SECRECY:
		p->actor = user_name("secrecy", rint_(1, NSECRECY));
		p->roles = WF_ROLE_SECRECY;
		p->action = WF_SECRECY;
		p->delay = rint_(1, 4) * s;
		return S_ACT;
	case ST_FEE:
		p->action = WF_FEE_PAID;
		p->delay = r < 0.8 ? rint_(1, 15) : 40; /* else it lapses */
		return S_ACT;
	case ST_READY:
		if (r < 0.04 && a->fee_fen == 0) {
			p->action = WF_FEE_NOTICE;
			p->delay = rint_(1, 3);
		} else {
			p->action = WF_REPLY;
			p->delay = rint_(0, 4) * s;
		}
		return S_ACT;
	case ST_REPLIED:
	case ST_WITHDRAWN:
		if (pending_appeal) {
			if (r < 0.9) {
				p->action = WF_APPEAL_DECIDED;
				p->delay = rint_(20, 80);
				return S_ACT;
			}
			return S_NONE;
		}
		if (appeals == 0 && r < 0.03) {
			p->action = WF_APPEAL;
			p->delay = rint_(5, 40);
			return S_ACT;
		}
		return S_NONE;
	default:
		return S_NONE;
	}
}

static const char *reviewer_list[NREVIEWERS];

static void
simulate(struct app *a, int64_t t0, unsigned long long *state_count)
{
	double slow = rfrac() < 0.15 ? 3 : 1;
	int stuck_after = rfrac() < 0.004 ? rint_(0, 4) : 1000;
	int steps = 0, appeals = 0, pending = 0, guard = 0;
	day_t day = a->received_on;
	int64_t now = t0;
	struct plan p;
	char buf[16];

	(void)state_count;
	while (guard++ < 60 && steps < stuck_after) {
		struct wf_args args;
		json_t *params;
		day_t when;
		int64_t t;
		enum app_state before = a->state;
		int64_t v_before = a->version;

		if (choose(a, slow, appeals, pending, &p) == S_NONE)
			break;
		when = cal_add(G.cal, day, p.delay);
		if (when == DAY_NONE)
			break;
		t = tz_midnight(when) + 9 * 3600 + rint_(0, 8 * 3600);
		if (t > G.now)
			break;
		fire_until(a, t);
		if (a->state != before || a->version != v_before) {
			/* A timer changed the state first: choose again. */
			day = tz_day(a->updated_at);
			continue;
		}
		memset(&args, 0, sizeof(args));
		args.today = args.date = when;
		args.outcome = OC_NONE;
		params = NULL;
		switch (p.action) {
		case WF_ASSIGN:
			args.reviewer = reviewer_list[rnd() % NREVIEWERS];
			params = json_pack("{s:s, s:s}", "id", a->id,
			                   "reviewer", args.reviewer);
			break;
		case WF_REQUEST_CORRECTION:
			args.within_days = 15;
			params = json_pack("{s:s, s:s}", "id", a->id, "note",
			                   notes[3]);
			break;
		case WF_CORRECT:
			params =
			    json_pack("{s:s, s:s}", "id", a->id, "received_on",
			              date_format(when, buf));
			break;
		case WF_CONSULT:
			params = json_pack("{s:s, s:s, s:s}", "id", a->id,
			                   "party", "第三方权利人", "note",
			                   "可能涉及商业秘密，征求第三方意见");
			break;
		case WF_CONSULTED:
			params =
			    json_pack("{s:s, s:s}", "id", a->id, "opinion",
			              rnd() % 2 ? "同意公开" : "不同意公开");
			break;
		case WF_REVIEW:
			args.outcome = PICK(review_outcomes);
			params = json_pack(
			    "{s:s, s:s, s:s}", "id", a->id, "outcome",
			    outcome_name(args.outcome), "note", PICK(notes));
			break;
		case WF_SECRECY:
			args.pass = rfrac() < 0.92;
			params = json_pack(
			    "{s:s, s:s, s:s}", "id", a->id, "result",
			    args.pass ? "pass" : "fail", "note", "保密审查");
			break;
		case WF_FEE_NOTICE:
			args.fee_fen = 100 * rint_(1, 50) * 10;
			params = json_pack("{s:s, s:f, s:s}", "id", a->id,
			                   "amount_yuan", args.fee_fen / 100.0,
			                   "note", "信息处理费");
			break;
		case WF_FEE_PAID:
			params = json_pack("{s:s, s:s}", "id", a->id, "paid_on",
			                   date_format(when, buf));
			break;
		case WF_EXTEND:
			args.days =
			    a->rules == 2007 ? rint_(5, 15) : rint_(5, 20);
			params = json_pack(
			    "{s:s, s:i, s:s}", "id", a->id, "days", args.days,
			    "reason", "需要调取档案，经负责人同意延长答复期限");
			break;
		case WF_REPLY:
			params = json_pack("{s:s, s:s, s:s}", "id", a->id,
			                   "replied_on", date_format(when, buf),
			                   "note", "已作出书面答复");
			break;
		case WF_WITHDRAW:
			params = json_pack("{s:s, s:s}", "id", a->id, "reason",
			                   "申请人撤回申请");
			break;
		case WF_APPEAL: {
			enum appeal_kind k = rnd() % 3;
			int n;

			if (store_appeal_add(G.st, a->id, k, when, &n) == -1)
				die_store("appeal");
			params = json_pack("{s:s, s:s, s:s}", "id", a->id,
			                   "kind", appeal_kind_name(k),
			                   "filed_on", date_format(when, buf));
			appeals = n;
			pending = 1;
			break;
		}
		case WF_APPEAL_DECIDED: {
			enum appeal_result r = rnd() % 3;

			if (store_appeal_decide(G.st, a->id, appeals, r,
			                        when) == -1)
				die_store("appeal decide");
			params = json_pack("{s:s, s:i, s:s, s:s}", "id", a->id,
			                   "appeal", appeals, "result",
			                   appeal_result_name(r), "decided_on",
			                   date_format(when, buf));
			pending = 0;
			break;
		}
		default:
			break;
		}
		if (act(a, p.action, p.actor, p.roles, &args, t, params) == 0) {
			steps++;
			now = t;
		}
		day = when;
	}
	(void)now;
	fire_until(a, G.now);
	derive(a);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen --db FILE --n N [--years Y] [--seed S]"
	                " [--ids FILE]\n"
	                "       gen --db FILE --index-only\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *ids_path = NULL;
	long n = 0, i;
	int years = 7, k;
	unsigned long long state_count[ST__COUNT] = { 0 };
	struct cal *cal;
	const char *why;
	int line;
	day_t first;
	double span;
	FILE *ids = NULL;
	char(*sample)[APP_ID_LEN];
	size_t nsample = 0, maxsample = 20000, nreview = 0, nover = 0;
	struct timespec ts0, ts1;
	char buf[16];
	bool index_only = false;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--db") == 0 && k + 1 < argc)
			db = argv[++k];
		else if (strcmp(argv[k], "--n") == 0 && k + 1 < argc)
			n = strtol(argv[++k], NULL, 10);
		else if (strcmp(argv[k], "--years") == 0 && k + 1 < argc)
			years = atoi(argv[++k]);
		else if (strcmp(argv[k], "--seed") == 0 && k + 1 < argc)
			rng_state = strtoull(argv[++k], NULL, 10) *
			            0x2545F4914F6CDD1DULL;
		else if (strcmp(argv[k], "--ids") == 0 && k + 1 < argc)
			ids_path = argv[++k];
		else if (strcmp(argv[k], "--index-only") == 0)
			index_only = true;
		else
			usage();
	}
	if (db != NULL && index_only) {
		if (store_open(db, false, false, &G.st) == -1 ||
		    store_search_build(G.st) == -1) {
			fprintf(stderr, "gen: %s\n", store_error(G.st));
			return 1;
		}
		store_close(G.st);
		return 0;
	}
	if (db == NULL || n <= 0 || years < 1)
		usage();
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	tz_set("Asia/Shanghai");
	cal = cal_new();
	if (cal_load_text(cal, cal_builtin_text, &why, &line) == -1) {
		fprintf(stderr, "gen: calendar line %d: %s\n", line, why);
		return 1;
	}
	G.cal = cal;
	G.now = (int64_t)time(NULL);
	G.today = tz_day(G.now);
	if (store_open(db, false, false, &G.st) == -1) {
		fprintf(stderr, "gen: %s\n", store_error(G.st));
		return 1;
	}
	if (store_begin(G.st) == -1)
		die_store("begin");
	for (k = 1; k <= NREVIEWERS; k++) {
		add_user(G.st, user_name("reviewer", k), WF_ROLE_REVIEWER);
		reviewer_list[k - 1] = strdup(user_name("reviewer", k));
	}
	for (k = 1; k <= NCLERKS; k++)
		add_user(G.st, user_name("clerk", k), WF_ROLE_CLERK);
	for (k = 1; k <= NSECRECY; k++)
		add_user(G.st, user_name("secrecy", k), WF_ROLE_SECRECY);
	for (k = 1; k <= NSUPERVISORS; k++)
		add_user(G.st, user_name("supervisor", k), WF_ROLE_SUPERVISOR);

	first = G.today - 365 * years;
	span = (double)(G.today - first + 1);
	sample = calloc(maxsample, sizeof(*sample));
	if (ids_path != NULL && (ids = fopen(ids_path, "w")) == NULL) {
		perror(ids_path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct app a;
		json_t *params, *ap;
		int seq;
		double u = rfrac();
		int64_t t0;
		const char *chan[] = { "in_person", "mail", "online", "online",
			               "online",    "fax",  "other" };

		app_init(&a);
		/* In order of receipt, a little denser in recent years. */
		a.received_on =
		    first + (day_t)(span * ((double)i + u) / (double)n);
		if (a.received_on > G.today)
			a.received_on = G.today;
		t0 = tz_midnight(a.received_on) + 8 * 3600 + rint_(0, 9 * 3600);
		if (t0 > G.now)
			t0 = G.now;
		a.column = rfrac() < 0.8
		               ? COL_NATURAL_PERSON
		               : (enum app_column)rint_(1, COL__COUNT - 1);
		a.name = a.column == COL_NATURAL_PERSON ? person_name()
		                                        : org_name(a.column);
		app_channel_from(PICK(chan), &a.channel);
		a.description = description(date_year(a.received_on));
		if (a.column == COL_NATURAL_PERSON) {
			snprintf(buf, sizeof(buf), "%06d",
			         rint_(110000, 659999));
			a.id_number = malloc(40);
			snprintf(a.id_number, 40, "%s%04d%02d%02d%03d%d", buf,
			         rint_(1950, 2004), rint_(1, 12), rint_(1, 28),
			         rint_(0, 999), rint_(0, 9));
		}
		a.phone = malloc(16);
		snprintf(a.phone, 16, "13%09d", rint_(0, 999999999));
		if (rnd() % 3 == 0) {
			a.email = malloc(40);
			snprintf(a.email, 40, "user%d@example.cn",
			         rint_(1, 999999));
		}
		a.address = malloc(128);
		snprintf(a.address, 128, "%s%s幸福路%d号", PICK(cities),
		         PICK(districts), rint_(1, 999));
		a.form = rnd() % 2 ? FORM_PAPER : FORM_ELECTRONIC;
		a.delivery = (enum app_delivery)rint_(0, DLV__COUNT - 1);
		a.created_by = 2 + NREVIEWERS + rint_(0, NCLERKS - 1);
		a.state = ST_RECEIVED;
		a.version = 1;
		a.rules = dl_rules_for(a.received_on);
		a.start = a.received_on;
		a.created_at = a.updated_at = t0;
		if (store_app_next_seq(G.st, date_year(a.received_on), &seq) ==
		        -1 ||
		    store_app_take_seq(G.st, date_year(a.received_on), seq) ==
		        -1)
			die_store("seq");
		{
			char idbuf[32];

			snprintf(idbuf, sizeof(idbuf), "%04d-%06d",
			         date_year(a.received_on) % 10000,
			         seq % 1000000);
			memcpy(a.id, idbuf, APP_ID_LEN);
		}
		derive(&a);
		ap = json_pack("{s:s, s:s}", "kind",
		               a.column == COL_NATURAL_PERSON ? "natural_person"
		                                              : "organization",
		               "name", a.name);
		if (a.column != COL_NATURAL_PERSON)
			json_object_set_new(
			    ap, "category",
			    json_string(app_column_name(a.column)));
		if (a.id_number)
			json_object_set_new(ap, "id_number",
			                    json_string(a.id_number));
		json_object_set_new(ap, "phone", json_string(a.phone));
		if (a.email)
			json_object_set_new(ap, "email", json_string(a.email));
		json_object_set_new(ap, "address", json_string(a.address));
		params = json_pack(
		    "{s:o, s:s, s:s, s:s, s:s, s:s}", "applicant", ap,
		    "channel", app_channel_name(a.channel), "received_on",
		    date_format(a.received_on, buf), "description",
		    a.description, "form", app_form_name(a.form), "delivery",
		    app_delivery_name(a.delivery));
		history(
		    &a, t0,
		    user_name("clerk", (int)(a.created_by - 1 - NREVIEWERS)),
		    "app.submit", -1, ST_RECEIVED, params);
		simulate(&a, t0, state_count);
		if (store_app_insert(G.st, &a) == -1)
			die_store("insert");
		state_count[a.state]++;
		if (app_state_running(a.state) && a.due_on != DAY_NONE &&
		    G.today > a.due_on)
			nover++;
		/* Reservoir sample of ids for app.get; every review app. */
		if (nsample < maxsample)
			memcpy(sample[nsample++], a.id, APP_ID_LEN);
		else {
			uint64_t j = rnd() % (uint64_t)(i + 1);

			if (j < maxsample)
				memcpy(sample[j], a.id, APP_ID_LEN);
		}
		if (ids && a.state == ST_REVIEW && nreview < 20000) {
			fprintf(ids, "review %s\n", a.id);
			nreview++;
		}
		app_clear(&a);
		if ((i + 1) % BATCH == 0) {
			if (store_commit(G.st) == -1)
				die_store("commit");
			if (store_begin(G.st) == -1)
				die_store("begin");
		}
	}
	if (store_commit(G.st) == -1)
		die_store("commit");
	/* The search index, so that ogid does not start by building it. */
	if (store_search_build(G.st) == -1)
		die_store("search index");
	store_close(G.st);
	if (ids) {
		size_t j;

		for (j = 0; j < nsample; j++)
			fprintf(ids, "get %s\n", sample[j]);
		for (k = 1; k <= NREVIEWERS; k++)
			fprintf(ids, "reviewer %s\n", reviewer_list[k - 1]);
		fclose(ids);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	fprintf(stderr,
	        "gen: %ld applications from %s, %llu events (%llu transitions,"
	        " %llu timer events, %llu lapses) in %.1f s\n",
	        n, date_format(first, buf), G.events, G.transitions, G.timers,
	        G.lapses,
	        (double)(ts1.tv_sec - ts0.tv_sec) +
	            (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e9);
	fprintf(stderr, "gen: states:");
	for (k = 0; k < ST__COUNT; k++)
		fprintf(stderr, " %s=%llu", app_state_name(k), state_count[k]);
	fprintf(stderr, "; overdue=%zu\n", nover);
	free(sample);
	cal_free(cal);
	return 0;
}
