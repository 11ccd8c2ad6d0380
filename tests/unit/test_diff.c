/*
 * test_diff.c: comparing two profiles (report/diff.h) and the differential flamegraph's data.
 *
 * Profiles, as folded stacks (module "?" everywhere, so functions match by name), compared as
 * shares (SC_DIFF_NORMALIZE: the runs differ in length):
 *
 *   base (100):  main;work;a 50   main;work;b 30   main;c 20
 *   new  (200):  main;work;a 60   main;work;b 100  main;c 30  main;d 10
 *
 *   a  self 50% -> 30%   -20 pts, -40% relative
 *   b  self 30% -> 50%   +20 pts, +66.67%
 *   c  self 20% -> 15%    -5 pts, -25%
 *   d  self  0% ->  5%    +5 pts, no relative change (new)
 *   work total 80% -> 80%, main 100% -> 100%
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/folded.h"
#include "report/diff.h"
#include "report/flamegraph.h"

static sc_profile *folded(const char *text)
{
	sc_profile *p = NULL;
	assert_int_equal(sc_folded_parse(text, strlen(text), &p, NULL), 0);
	return p;
}

static const char BASE[] = "main;work;a 50\nmain;work;b 30\nmain;c 20\n";
static const char NEW[] = "main;work;a 60\nmain;work;b 100\nmain;c 30\nmain;d 10\n";

static const sc_diff_row *row(const sc_diff *d, const char *name)
{
	for (size_t i = 0; i < d->len; i++)
		if (strcmp(d->rows[i].name, name) == 0)
			return &d->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static void test_shares(void **state)
{
	(void)state;
	sc_profile *b = folded(BASE), *n = folded(NEW);
	sc_diff d;
	assert_int_equal(sc_diff_compute(b, 0, n, 0, SC_DIFF_NORMALIZE, &d), 0);
	assert_true(d.by_name);
	assert_true(d.normalized);
	assert_true(d.asked);
	assert_float_equal(d.scale, 2.0, 1e-12);
	assert_int_equal(d.base_total, 100);
	assert_int_equal(d.new_total, 200);
	assert_int_equal(d.len, 6); /* main work a b c d */
	const sc_diff_row *a = row(&d, "a"), *bb = row(&d, "b"), *c = row(&d, "c");
	const sc_diff_row *dd = row(&d, "d"), *w = row(&d, "work");
	assert_float_equal(a->self_pts, -20.0, 1e-9);
	assert_float_equal(sc_diff_relative(a->base_self_pct, a->new_self_pct), -40.0, 1e-9);
	assert_float_equal(bb->self_pts, 20.0, 1e-9);
	assert_float_equal(bb->new_self_pct, 50.0, 1e-9);
	assert_float_equal(c->self_pts, -5.0, 1e-9);
	assert_float_equal(dd->self_pts, 5.0, 1e-9);
	assert_true(isnan(sc_diff_relative(dd->base_self_pct, dd->new_self_pct)));
	assert_int_equal(dd->base_total, 0);
	assert_int_equal(dd->presence, SC_DIFF_NEW);
	assert_int_equal(bb->presence, SC_DIFF_BOTH);
	assert_int_equal(d.nnew, 1);
	assert_int_equal(d.ngone, 0);
	/* normalized: the base scaled to the new total, b 30 -> 60 against 100 */
	assert_float_equal(bb->self_delta, 40.0, 1e-9);
	assert_float_equal(bb->self_rel, 200.0 / 3, 1e-9);
	assert_int_equal(dd->new_total, 10);
	assert_float_equal(w->total_pts, 0.0, 1e-9);
	assert_float_equal(w->base_total_pct, 80.0, 1e-9);
	/* biggest self change first: b (+20) before a (-20), then d (+5) before c (-5) */
	assert_string_equal(d.rows[0].name, "b");
	assert_string_equal(d.rows[1].name, "a");
	assert_string_equal(d.rows[2].name, "d");
	assert_string_equal(d.rows[3].name, "c");
	assert_string_equal(sc_diff_max_self_growth(&d)->name, "b");
	sc_diff_release(&d);
	sc_diff_release(&d); /* released twice is harmless */
	sc_profile_free(b);
	sc_profile_free(n);
}

static char *print(const sc_diff *d, bool json, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(json ? sc_diff_print_json(d, n, f) : sc_diff_print_text(d, n, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_outputs(void **state)
{
	(void)state;
	sc_profile *b = folded(BASE), *n = folded(NEW);
	sc_diff d;
	assert_int_equal(sc_diff_compute(b, 0, n, 0, SC_DIFF_NORMALIZE, &d), 0);
	d.base_name = "base.folded";
	d.new_name = "new.folded";
	char *json = print(&d, true, 0);
	assert_non_null(strstr(json, "\"schema\":\"scorch.diff\",\"version\":2"));
	assert_non_null(strstr(json, "\"comparison\":\"shares\",\"normalized_by\":\"request\","
				     "\"scale\":2"));
	assert_non_null(strstr(json, "\"max_self_growth\":{\"name\":\"b\",\"module\":\"?\","
				     "\"self_change\":40.00,\"self_pts\":20.00}"));
	/* d is new: relative change null */
	assert_non_null(strstr(json, "{\"name\":\"d\",\"module\":\"?\",\"status\":\"new\","
				     "\"base_self\":0,\"new_self\":10,\"base_self_pct\":0.00,"
				     "\"new_self_pct\":5.00,\"self_change\":10.00,"
				     "\"self_pts\":5.00,\"self_rel\":null"));
	/* slower lists b then d; faster lists a then c */
	const char *slower = strstr(json, "\"slower\":["), *faster = strstr(json, "\"faster\":[");
	assert_non_null(slower);
	assert_non_null(faster);
	assert_true(strstr(slower, "\"name\":\"b\"") < strstr(slower, "\"name\":\"d\""));
	assert_true(strstr(faster, "\"name\":\"a\"") < strstr(faster, "\"name\":\"c\""));
	assert_true(strstr(json, "\"name\":\"d\"") < faster);
	char *text = print(&d, false, 1);
	assert_non_null(strstr(text, "largest self growth: b +20.00 pts (30.00% -> 50.00%)\n"));
	assert_null(strstr(text, " d  (new)\n")); /* -n 1: only b and a */
	assert_non_null(strstr(text, "compared: shares (the base scaled to the new total, x2), as "
				     "asked (--normalize)"));
	assert_non_null(strstr(text, " b\n"));
	assert_non_null(strstr(text, " a\n"));
	free(json);
	free(text);
	sc_diff_release(&d);
	sc_profile_free(b);
	sc_profile_free(n);
}

/* "faster" mirrors "slower": rows whose self share fell come first, then the rows whose total
 * alone fell, so a real drop is never hidden behind a total-only row (issue 8, item 9).
 *
 *   base (100): m;w;a 30  m;b 50  m;w 20      new (100): m;w;a 10  m;b 70  m;w 20
 *   a self 30% -> 10% (-20 pts);  w self 20% -> 20%, total 50% -> 30% (-20 pts);  b +20 pts */
static void test_faster_order(void **state)
{
	(void)state;
	sc_profile *b = folded("m;w;a 30\nm;b 50\nm;w 20\n");
	sc_profile *n = folded("m;w;a 10\nm;b 70\nm;w 20\n");
	sc_diff d;
	assert_int_equal(sc_diff_compute(b, 0, n, 0, 0, &d), 0);
	assert_false(d.normalized); /* equal totals, compared as values: the same order */
	d.base_name = "base";
	d.new_name = "new";
	char *json = print(&d, true, 0);
	const char *faster = strstr(json, "\"faster\":[");
	assert_non_null(faster);
	const char *a = strstr(faster, "\"name\":\"a\""), *w = strstr(faster, "\"name\":\"w\"");
	assert_non_null(a);
	assert_non_null(w);
	assert_true(a < w);
	char *text = print(&d, false, 1);
	const char *ftext = strstr(text, "faster");
	assert_non_null(ftext);
	assert_non_null(strstr(ftext, " a\n"));
	assert_null(strstr(ftext, " w\n"));
	free(json);
	free(text);
	sc_diff_release(&d);
	sc_profile_free(b);
	sc_profile_free(n);
}

/* Identical profiles: nothing slower or faster. */
static void test_same(void **state)
{
	(void)state;
	sc_profile *b = folded(BASE), *n = folded(BASE);
	sc_diff d;
	assert_int_equal(sc_diff_compute(b, 0, n, 0, 0, &d), 0);
	assert_null(sc_diff_max_self_growth(&d));
	char *text = print(&d, false, 0);
	assert_non_null(strstr(text, "no function's self grew\n"));
	free(text);
	sc_diff_release(&d);
	assert_int_equal(sc_diff_compute(b, 1, n, 0, 0, &d), -EINVAL);
	sc_profile_free(b);
	sc_profile_free(n);
}

/* The known answer of issue 11: f's time fell, g's and h's did not move, one function is gone
 * and one is new. Compared as values (same sample type, unit and period), only f, old, fresh
 * and main's total changed; compared as shares, g and h "grew".
 *
 *   base (110): main;f 50  main;g 30  main;h 20  main;old 10
 *   new   (65): main;f 10  main;g 30  main;h 20  main;fresh 5
 *
 *   absolute: f -40 (-80%), old -10 (gone, -100%), fresh +5 (new), main total -45, g h 0
 *   shares (x65/110): g 27.27% -> 46.15%, h 18.18% -> 30.77%, f 45.45% -> 15.38% */
static const char TB[] = "main;f 50\nmain;g 30\nmain;h 20\nmain;old 10\n";
static const char TN[] = "main;f 10\nmain;g 30\nmain;h 20\nmain;fresh 5\n";

static void test_time(void **state)
{
	(void)state;
	sc_profile *b = folded(TB), *n = folded(TN);
	sc_diff d;
	assert_int_equal(sc_diff_compute(b, 0, n, 0, 0, &d), 0);
	assert_false(d.normalized);
	assert_float_equal(d.scale, 1.0, 0);
	assert_int_equal(d.nnew, 1);
	assert_int_equal(d.ngone, 1);
	const sc_diff_row *f = row(&d, "f"), *g = row(&d, "g"), *h = row(&d, "h");
	const sc_diff_row *old = row(&d, "old"), *fresh = row(&d, "fresh"), *m = row(&d, "main");
	assert_float_equal(f->self_delta, -40.0, 1e-9);
	assert_float_equal(f->self_rel, -80.0, 1e-9);
	assert_float_equal(f->self_pts, -400.0 / 11, 1e-9); /* of the base total, 110 */
	assert_float_equal(g->self_delta, 0.0, 0);
	assert_float_equal(g->self_pts, 0.0, 0);
	assert_float_equal(h->total_delta, 0.0, 0);
	assert_int_equal(old->presence, SC_DIFF_GONE);
	assert_float_equal(old->self_rel, -100.0, 1e-9);
	assert_int_equal(fresh->presence, SC_DIFF_NEW);
	assert_true(isnan(fresh->self_rel));
	assert_float_equal(m->total_delta, -45.0, 1e-9);
	assert_string_equal(sc_diff_max_self_growth(&d)->name, "fresh");
	char *json = print(&d, true, 0);
	const char *slower = strstr(json, "\"slower\":["), *faster = strstr(json, "\"faster\":[");
	assert_non_null(slower);
	assert_non_null(faster);
	assert_non_null(strstr(json, "\"comparison\":\"absolute\",\"normalized_by\":\"none\""));
	assert_non_null(strstr(json, "\"new_functions\":1,\"gone_functions\":1"));
	/* slower: fresh alone; faster: f, old, then main (its total alone) */
	assert_non_null(strstr(slower, "\"name\":\"fresh\",\"module\":\"?\",\"status\":\"new\""));
	assert_true(strstr(slower, "\"name\":\"fresh\"") < faster);
	assert_true(strstr(faster, "\"name\":\"f\"") < strstr(faster, "\"name\":\"old\""));
	assert_true(strstr(faster, "\"name\":\"old\"") < strstr(faster, "\"name\":\"main\""));
	assert_non_null(strstr(faster, "\"name\":\"old\",\"module\":\"?\",\"status\":\"gone\""));
	assert_null(strstr(json, "\"name\":\"g\""));
	assert_null(strstr(json, "\"name\":\"h\""));
	char *text = print(&d, false, 0);
	assert_non_null(
	    strstr(text, "compared: absolute values, as both profiles measure samples"));
	assert_non_null(strstr(text, "1 new, 1 gone\n"));
	assert_non_null(strstr(text, "old  (gone)\n"));
	assert_non_null(strstr(text, "fresh  (new)\n"));
	assert_null(strstr(text, " g\n"));
	assert_null(strstr(text, " h\n"));
	free(json);
	free(text);
	sc_diff_release(&d);

	/* --normalize: the share-based answer, g and h grew. */
	assert_int_equal(sc_diff_compute(b, 0, n, 0, SC_DIFF_NORMALIZE, &d), 0);
	assert_true(d.normalized);
	g = row(&d, "g");
	assert_float_equal(g->self_pts, 3000.0 / 65 - 300.0 / 11, 1e-9);
	assert_float_equal(g->self_delta, 30 - 30 * 65.0 / 110, 1e-9);
	assert_string_equal(sc_diff_max_self_growth(&d)->name, "g");
	sc_diff_release(&d);

	/* Different periods: counts of different things, so shares whatever was asked. */
	const char *why = NULL;
	n->period = 2;
	b->period = 1;
	assert_false(sc_diff_same_measure(b, 0, n, 0, &why));
	assert_non_null(strstr(why, "different periods"));
	assert_int_equal(sc_diff_compute(b, 0, n, 0, 0, &d), 0);
	assert_true(d.normalized);
	assert_false(d.asked);
	char *t2 = print(&d, false, 0);
	assert_non_null(strstr(t2, "the profiles count samples taken at different periods"));
	free(t2);
	sc_diff_release(&d);
	sc_profile_free(b);
	sc_profile_free(n);
}

/* Saturated totals: a change of -INT64_MAX prints as such, with one sign (llround of it would
 * not fit in int64_t). */
static void test_saturated(void **state)
{
	(void)state;
	sc_profile *b = folded("main;a 9223372036854775807\nmain;b 9223372036854775807\n");
	sc_profile *n = folded("main;a 3\nmain;b 2\n");
	sc_diff d;
	assert_int_equal(sc_diff_compute(b, 0, n, 0, 0, &d), 0);
	assert_false(d.normalized);
	char *text = print(&d, false, 0);
	assert_non_null(strstr(text, "  -9223372036854775807 -100.0%  9223372036854775807 -> 3 "));
	assert_null(strstr(text, " --9"));
	free(text);
	sc_diff_release(&d);
	sc_profile_free(b);
	sc_profile_free(n);
}

/* The differential flamegraph's tree: union of both trees, "tree" from new, "base" from base. */
static void test_flamegraph_data(void **state)
{
	(void)state;
	sc_profile *b = folded(BASE), *n = folded(NEW);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	sc_flamegraph_options o = {.title = "t", .type = 0};
	assert_int_equal(sc_flamegraph_write_data(b, 0, n, &o, f), 0);
	assert_int_equal(fclose(f), 0);
	/* preorder, children by name: all, main, c, d, work, a, b */
	assert_non_null(strstr(buf, "\"tree\":[-1,200,6,0,200,5,1,30,0,2,10,0,3,160,2,4,60,0,"
				    "5,100,0]"));
	assert_non_null(strstr(buf, "\"names\":[\"main\",\"c\",\"d\",\"work\",\"a\",\"b\"]"));
	assert_non_null(strstr(
	    buf, "\"diff\":true,\"base_total\":100,\"base_scale\":2,\n\"base\":[100,100,20,0,80,"
		 "50,30]"));
	free(buf);
	/* A comparison of values: base_scale 1, and the gone code keeps its base value. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	o.base_scale = 1;
	assert_int_equal(sc_flamegraph_write_data(b, 0, n, &o, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "\"diff\":true,\"base_total\":100,\"base_scale\":1,\n"));
	free(buf);
	sc_profile_free(b);
	sc_profile_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shares),	    cmocka_unit_test(test_outputs),
	    cmocka_unit_test(test_faster_order),    cmocka_unit_test(test_same),
	    cmocka_unit_test(test_flamegraph_data), cmocka_unit_test(test_time),
	    cmocka_unit_test(test_saturated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
