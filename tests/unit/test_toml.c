/*
 * test_toml.c: the TOML 1.0 reader (src/config/toml.h) on the spec's valid and invalid cases.
 *
 * Three tables: valid documents with their tree written out in a compact form (dump() below),
 * invalid documents with the exact LINE:COLUMN and message of their error, and the files of
 * tests/data/toml/ (valid/ must parse to the dump in their "# dump:" comment when there is one;
 * invalid/ starts with "# error: LINE:COL: MESSAGE"). Then the tree API, the limits, and each
 * allocation failing in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "util/fileio.h"
#include "util/strbuf.h"

static void dump_value(sc_strbuf *sb, const sc_toml_value *v);

static void dump_string(sc_strbuf *sb, const char *s, size_t n)
{
	sc_strbuf_addc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			sc_strbuf_adds(sb, "\\n");
		else if (c == '"' || c == '\\')
			sc_strbuf_addf(sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sc_strbuf_addf(sb, "\\x%02x", c);
		else
			sc_strbuf_addc(sb, (char)c);
	}
	sc_strbuf_addc(sb, '"');
}

/* A table {k=v,...} in file order, an array [v,...], strings quoted, numbers as %lld and %.17g,
 * dates as kind(text;fields). */
static void dump_value(sc_strbuf *sb, const sc_toml_value *v)
{
	const sc_toml_datetime *dt = &v->u.dt;
	switch (v->type) {
	case SC_TOML_STRING:
		dump_string(sb, v->u.str.ptr, v->u.str.len);
		break;
	case SC_TOML_INTEGER:
		sc_strbuf_addf(sb, "%" PRId64, v->u.integer);
		break;
	case SC_TOML_FLOAT:
		if (isnan(v->u.real))
			sc_strbuf_adds(sb, signbit(v->u.real) ? "-nan" : "nan");
		else
			sc_strbuf_addf(sb, "%.17g", v->u.real);
		break;
	case SC_TOML_BOOL:
		sc_strbuf_adds(sb, v->u.boolean ? "true" : "false");
		break;
	case SC_TOML_DATETIME:
	case SC_TOML_LOCAL_DATETIME:
	case SC_TOML_LOCAL_DATE:
	case SC_TOML_LOCAL_TIME:
		sc_strbuf_addf(sb, "%s(%s;%04d-%02d-%02d %02d:%02d:%02d.%09d%+d)",
			       v->type == SC_TOML_DATETIME	   ? "odt"
			       : v->type == SC_TOML_LOCAL_DATETIME ? "ldt"
			       : v->type == SC_TOML_LOCAL_DATE	   ? "ld"
								   : "lt",
			       dt->text, dt->year, dt->month, dt->day, dt->hour, dt->minute,
			       dt->second, dt->nanosecond, dt->offset_minutes);
		break;
	case SC_TOML_ARRAY:
		sc_strbuf_addc(sb, '[');
		for (size_t i = 0; i < v->u.array.len; i++) {
			if (i)
				sc_strbuf_addc(sb, ',');
			dump_value(sb, v->u.array.items[i]);
		}
		sc_strbuf_addc(sb, ']');
		break;
	case SC_TOML_TABLE:
		sc_strbuf_addc(sb, '{');
		for (size_t i = 0; i < v->u.table.len; i++) {
			const sc_toml_entry *e = &v->u.table.entries[i];
			if (i)
				sc_strbuf_addc(sb, ',');
			sc_strbuf_add(sb, e->key, e->key_len);
			sc_strbuf_addc(sb, '=');
			dump_value(sb, e->value);
		}
		sc_strbuf_addc(sb, '}');
		break;
	}
}

static char *dump(const sc_toml_doc *doc)
{
	sc_strbuf sb = {0};
	dump_value(&sb, doc->root);
	return sc_strbuf_detach(&sb);
}

struct valid_case {
	const char *text, *tree;
};

/* The spec's examples, section by section, in our own words. */
static const struct valid_case valid[] = {
    {"", "{}"},
    {"# only a comment\n\n   \t\n", "{}"},
    {"key = \"value\" # a comment after a pair\n", "{key=\"value\"}"},
    {"bare_key = 1\nbare-key = 2\n1234 = 3\n", "{bare_key=1,bare-key=2,1234=3}"},
    {"\"127.0.0.1\" = 1\n'quoted \"value\"' = 2\n\"\" = 3\n",
     "{127.0.0.1=1,quoted \"value\"=2,=3}"},
    {"physical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true\n",
     "{physical={color=\"orange\",shape=\"round\"},site={google.com=true}}"},
    {"fruit . flavor = \"banana\"\n", "{fruit={flavor=\"banana\"}}"},
    {"3.14159 = \"pi\"\n", "{3={14159=\"pi\"}}"},
    {"apple.type = 1\norange.type = 2\napple.skin = 3\n",
     "{apple={type=1,skin=3},orange={type=2}}"},
    {"s = \"tab\\tquote\\\"back\\\\ \\u00E9 \\U0001F600 \\b\\f\\r\"\n",
     "{s=\"tab\\x09quote\\\"back\\\\ é 😀 \\x08\\x0c\\x0d\"}"},
    {"s = \"\\u0000\"\n", "{s=\"\\x00\"}"},
    {"s = \"\"\"\nRoses\nViolets\"\"\"\n", "{s=\"Roses\\nViolets\"}"},
    {"s = \"\"\"\nThe quick \\\n\n\n   fox\"\"\"\n", "{s=\"The quick fox\"}"},
    {"s = \"\"\"\\\n   a \\\n   b\\\n   \"\"\"\n", "{s=\"a b\"}"},
    {"s = \"\"\"two \"\" quotes\"\"\"\n", "{s=\"two \\\"\\\" quotes\"}"},
    {"s = \"\"\"\"quoted\"\"\"\"\n", "{s=\"\\\"quoted\\\"\"}"},
    {"s = \"\"\"a\"\"\"\"\"\n", "{s=\"a\\\"\\\"\"}"},
    {"s = 'C:\\Users\\x'\n", "{s=\"C:\\\\Users\\\\x\"}"},
    {"s = '''\nraw\n  kept \\n'''\n", "{s=\"raw\\n  kept \\\\n\"}"},
    {"s = ''''quoted''''\n", "{s=\"'quoted'\"}"},
    {"s = \"\"\"a\r\nb\"\"\"\r\n", "{s=\"a\\nb\"}"},
    {"i = [+99, 42, 0, -17, 1_000, 5_349_221, 1_2_3, +0, -0]\n",
     "{i=[99,42,0,-17,1000,5349221,123,0,0]}"},
    {"i = [9223372036854775807, -9223372036854775808]\n",
     "{i=[9223372036854775807,-9223372036854775808]}"},
    {"h = [0xDEADBEEF, 0xdead_beef, 0o755, 0o0_1, 0b1101_0110, 0x7FFFFFFFFFFFFFFF]\n",
     "{h=[3735928559,3735928559,493,1,214,9223372036854775807]}"},
    {"f = [+1.0, 3.1415, -0.01, 5e+22, 1e06, -2E-2, 224_617.445_991_228, 1e-400]\n",
     "{f=[1,3.1415000000000002,-0.01,4.9999999999999996e+22,1000000,-0.02,224617.44599122801,"
     "0]}"},
    {"f = [inf, +inf, -inf, nan, +nan, -nan]\n", "{f=[inf,inf,-inf,nan,nan,-nan]}"},
    {"b = [true, false]\n", "{b=[true,false]}"},
    {"d = 1979-05-27T00:32:00.999999-07:00\n",
     "{d=odt(1979-05-27T00:32:00.999999-07:00;1979-05-27 00:32:00.999999000-420)}"},
    {"d = 1979-05-27 07:32:00Z\n", "{d=odt(1979-05-27 07:32:00Z;1979-05-27 07:32:00.000000000+0)}"},
    {"d = 1979-05-27t07:32:00z\n", "{d=odt(1979-05-27t07:32:00z;1979-05-27 07:32:00.000000000+0)}"},
    {"d = 1979-05-27T07:32:00\n", "{d=ldt(1979-05-27T07:32:00;1979-05-27 07:32:00.000000000+0)}"},
    {"d = 1979-05-27 # a date\n", "{d=ld(1979-05-27;1979-05-27 00:00:00.000000000+0)}"},
    {"t = 00:32:00.1234567891\n", "{t=lt(00:32:00.1234567891;0000-00-00 00:32:00.123456789+0)}"},
    {"d = [2000-02-29, 1990-12-31T23:59:60Z]\n",
     "{d=[ld(2000-02-29;2000-02-29 00:00:00.000000000+0),odt(1990-12-31T23:59:60Z;1990-12-31 "
     "23:59:60.000000000+0)]}"},
    {"a = [ [ 1, 2 ], [\"a\", 'b'], 1.5, { x = 1 } ]\n", "{a=[[1,2],[\"a\",\"b\"],1.5,{x=1}]}"},
    {"a = [\n  1, # one\n  2, # two\n]\n", "{a=[1,2]}"},
    {"a = [ # c\n # c\n]\nb = []\n", "{a=[],b=[]}"},
    {"[t1]\nk = 1\n[t2]\nk = 2\n", "{t1={k=1},t2={k=2}}"},
    {"[dog.\"tater.man\"]\ntype.name = \"pug\"\n", "{dog={tater.man={type={name=\"pug\"}}}}"},
    {"[ g .  h  . i ]\n[ j . \"ʞ\" . 'l' ]\n", "{g={h={i={}}},j={ʞ={l={}}}}"},
    {"[x.y.z.w]\n[x]\n", "{x={y={z={w={}}}}}"},
    {"[fruit]\napple.color = 1\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = "
     "true\n",
     "{fruit={apple={color=1,taste={sweet=true},texture={smooth=true}}}}"},
    {"[a.b.c]\n[a]\nb.d = 1\n", "{a={b={c={},d=1}}}"},
    {"top = 1\n[t]\nk = 2\n", "{top=1,t={k=2}}"},
    {"n = { first = \"Tom\", last = \"P\" }\np = {x=1,y=2}\na = { type.name = \"pug\" }\ne = "
     "{}\n",
     "{n={first=\"Tom\",last=\"P\"},p={x=1,y=2},a={type={name=\"pug\"}},e={}}"},
    {"[[p]]\nname = \"Hammer\"\n[[p]]\n[[p]]\nname = \"Nail\"\n",
     "{p=[{name=\"Hammer\"},{},{name=\"Nail\"}]}"},
    {"[[f]]\nname = \"apple\"\n[f.physical]\ncolor = \"red\"\n[[f.v]]\nname = \"rd\"\n[[f.v]]\n"
     "name = \"gs\"\n[[f]]\nname = \"banana\"\n[[f.v]]\nname = \"pl\"\n",
     "{f=[{name=\"apple\",physical={color=\"red\"},v=[{name=\"rd\"},{name=\"gs\"}]},{name="
     "\"banana\",v=[{name=\"pl\"}]}]}"},
    {"points = [ { x = 1 },\n  { x = 7 } ]\n", "{points=[{x=1},{x=7}]}"},
    {"k = 1", "{k=1}"},
    {"\xef\xbb\xbfk = 1\n", "{k=1}"},
    {"k\t=\t1\t#\ttab\n", "{k=1}"},
    {"c = \"# not a comment\" # a comment ü\n", "{c=\"# not a comment\"}"},
};

struct invalid_case {
	const char *text;
	int line, col;
	const char *message;
};

static const struct invalid_case invalid[] = {
    /* key/value pairs */
    {"key = # no value\n", 1, 7, "expected a value, found the end of the line"},
    {"key\n", 1, 4, "expected '=' after the key 'key'"},
    {"first = \"Tom\" last = \"P\"\n", 1, 15,
     "expected the end of the line after a key's value, found 'l'"},
    {"a b = 1\n", 1, 3, "expected '=' after the key 'a', found 'b'"},
    {"= \"no key\"\n", 1, 1, "expected a key, found '='"},
    {"\"\"\"key\"\"\" = 1\n", 1, 3, "expected '=' after the key '', found '\"'"},
    {"a = 1\nb = 2\na = 3\n", 3, 1, "duplicate key 'a' (first defined at line 1)"},
    {"\"a\\nb\" = 1\n\"a\\nb\" = 2\n", 2, 1, "duplicate key 'a\\x0ab' (first defined at line 1)"},
    {"k = 1 \xc3\xa9\n", 1, 7,
     "expected the end of the line after a key's value, found '\xc3\xa9'"},
    {"spelling = 1\n\"spelling\" = 2\n", 2, 1,
     "duplicate key 'spelling' (first defined at line 1)"},
    {"a.b = 1\na.b.c = 2\n", 2, 3,
     "cannot use 'a.b' as a table: it is an integer (defined at line 1)"},
    {"fruit.apple = 1\n\n\nfruit.apple.smooth = true\n", 4, 7,
     "cannot use 'fruit.apple' as a table: it is an integer (defined at line 1)"},
    {"k = abc\n", 1, 5, "expected a value, found 'abc' (a string needs quotes)"},
    {"k = .5\n", 1, 5, "expected a value, found '.'"},
    /* strings */
    {"s = \"unterminated\n", 1, 5, "unterminated string: no closing \" on this line"},
    {"s = 'unterminated\n", 1, 5, "unterminated string: no closing ' on this line"},
    {"s = \"\"\"never\nclosed\n", 1, 5, "unterminated multi-line string: no closing \"\"\""},
    {"s = \"bad \\x escape\"\n", 1, 10, "invalid escape '\\x'"},
    {"s = \"\\e\"\n", 1, 6, "invalid escape '\\e'"},
    {"s = \"\\u12\"\n", 1, 6, "'\\u' needs 4 hexadecimal digits"},
    {"s = \"\\uD800\"\n", 1, 6, "'\\uD800' is not a Unicode scalar value"},
    {"s = \"\\U00110000\"\n", 1, 6, "'\\U00110000' is not a Unicode scalar value"},
    {"s = \"\"\"a \\ b\"\"\"\n", 1, 10, "invalid escape '\\ '"},
    {"s = \"\"\"a\"\"\"\"\"\"\n", 1, 14, "too many quotes after a multi-line string"},
    {"s = \"a\x01\"\n", 1, 7,
     "control character U+0001 is not allowed (escape it in a basic string)"},
    {"# comment \x7f\n", 1, 11,
     "control character U+007F is not allowed (escape it in a basic string)"},
    {"s = \"a\rb\"\n", 1, 7, "a carriage return must be followed by a line feed"},
    {"s = \"\xc3\x28\"\n", 1, 6, "invalid UTF-8 (byte 0xc3)"},
    {"s = \"\xed\xa0\x80\"\n", 1, 6, "invalid UTF-8 (byte 0xed)"},
    {"# ok\nk = \"é\xff\"\n", 2, 7, "invalid UTF-8 (byte 0xff)"},
    /* integers */
    {"i = 0123\n", 1, 5, "leading zeros are not allowed in '0123'"},
    {"i = +012\n", 1, 6, "leading zeros are not allowed in '+012'"},
    {"i = 1__000\n", 1, 6, "an underscore in a number must be between two digits"},
    {"i = 1000_\n", 1, 9, "an underscore in a number must be between two digits"},
    {"i = 9223372036854775808\n", 1, 5,
     "integer out of range (beyond 64 bits): '9223372036854775808'"},
    {"i = -9223372036854775809\n", 1, 5,
     "integer out of range (beyond 64 bits): '-9223372036854775809'"},
    {"i = 0x8000000000000000\n", 1, 5, "integer out of range (beyond 64 bits)"},
    {"i = +0x10\n", 1, 5, "a hexadecimal, octal or binary integer cannot have a sign"},
    {"i = 0X10\n", 1, 6, "invalid character 'X' in the number '0X10'"},
    {"i = 0o8\n", 1, 7, "invalid digit '8' in an octal integer"},
    {"i = 0b102\n", 1, 9, "invalid digit '2' in a binary integer"},
    {"i = 0x\n", 1, 7, "a hexadecimal integer needs digits after 0x"},
    {"i = 0x_1\n", 1, 7, "an underscore in a hexadecimal integer must be between two digits"},
    {"i = 12a\n", 1, 7, "invalid character 'a' in the number '12a'"},
    /* floats */
    {"f = 1.\n", 1, 6, "a decimal point must be followed by a digit"},
    {"f = 1.e5\n", 1, 7, "a decimal point must be followed by a digit"},
    {"f = 3.e+20\n", 1, 7, "a decimal point must be followed by a digit"},
    {"f = 1e\n", 1, 6, "an exponent needs digits"},
    {"f = 1_.5\n", 1, 6, "an underscore in a number must be between two digits"},
    {"f = 1e400\n", 1, 5, "float out of range '1e400'"},
    {"f = 03.14\n", 1, 5, "leading zeros are not allowed in '03.14'"},
    {"f = infinity\n", 1, 5, "expected a value, found 'infinity' (a string needs quotes)"},
    {"f = +infinity\n", 1, 6, "invalid number '+infinity'"},
    /* booleans */
    {"b = True\n", 1, 5, "expected a value, found 'True' (a string needs quotes)"},
    {"b = truex\n", 1, 5, "expected a value, found 'truex' (a string needs quotes)"},
    /* dates and times */
    {"d = 1979-02-29\n", 1, 5, "date out of range '1979-02-29'"},
    {"d = 1979-13-01\n", 1, 5, "date out of range '1979-13-01'"},
    {"d = 1979-05-27T24:00:00\n", 1, 5, "time out of range in '1979-05-27T24:00:00'"},
    {"d = 1979-05-27T07:32\n", 1, 5, "invalid time in '1979-05-27T07:32' (expected HH:MM:SS)"},
    {"d = 1979-5-27\n", 1, 5, "invalid date in '1979-5-27' (expected YYYY-MM-DD)"},
    {"d = 1979-05-27T07:32:00+7:00\n", 1, 24,
     "invalid offset in '1979-05-27T07:32:00+7:00' (expected +HH:MM)"},
    {"d = 1979-05-27X07:32:00\n", 1, 15, "unexpected 'X' after the date '1979-05-27'"},
    {"t = 07:32:00Z\n", 1, 13, "unexpected 'Z' after the time '07:32:00'"},
    {"t = 07:32:00.\n", 1, 5, "a time's fraction needs digits after '.'"},
    /* arrays */
    {"a = [1, 2\n", 1, 5, "unterminated array: no closing ']'"},
    {"a = [1 2]\n", 1, 8, "expected ',' or ']' after an array's value, found '2'"},
    {"a = [,]\n", 1, 6, "expected a value, found ','"},
    {"a = [1,,2]\n", 1, 8, "expected a value, found ','"},
    /* tables */
    {"[fruit]\napple = \"red\"\n\n[fruit]\norange = 1\n", 4, 1,
     "table [fruit] defined twice (first defined at line 1)"},
    {"[fruit]\napple = \"red\"\n\n[fruit.apple]\n", 4, 8,
     "cannot use 'fruit.apple' as a table: it is a string (defined at line 2)"},
    {"[fruit]\napple.color = \"red\"\n\n[fruit.apple]\n", 4, 1,
     "table [fruit.apple] already defined by dotted keys at line 2"},
    {"[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]\n", 3, 1,
     "table [fruit.apple.taste] already defined by dotted keys at line 2"},
    {"[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", 4, 3,
     "cannot add to 'b.c' with a dotted key: the table has its own header at line 1"},
    {"[a]\n[a.b]\n[a]\n", 3, 1, "table [a] defined twice (first defined at line 1)"},
    {"[]\n", 1, 2, "expected a key, found ']'"},
    {"[a\nb = 1\n", 1, 3, "expected ']' to close the header"},
    {"[a] b = 1\n", 1, 5, "expected the end of the line after the table header, found 'b'"},
    {"[a.]\n", 1, 4, "expected a key, found ']'"},
    {"[[a]\n", 1, 4, "expected ']]' to close the header"},
    {"[ [a]]\n", 1, 3, "expected a key, found '['"},
    /* inline tables */
    {"t = {a = 1, b = 2,}\n", 1, 18, "no comma is allowed after the last key of an inline table"},
    {"t = {a = 1,\n b = 2}\n", 1, 12, "expected a key, found the end of the line"},
    {"t = {a = 1\n}\n", 1, 11, "an inline table must end on its line: expected ',' or '}'"},
    {"t = {a = 1 b = 2}\n", 1, 12, "expected ',' or '}' in an inline table, found 'b'"},
    {"t = {a = 1, a = 2}\n", 1, 13, "duplicate key 'a' (first defined at line 1)"},
    {"t = {a.b = 1, a = 2}\n", 1, 15, "duplicate key 'a' (first defined at line 1)"},
    {"[product]\ntype = { name = \"Nail\" }\ntype.edible = false\n", 3, 1,
     "cannot add to the inline table 'type' (defined at line 2): an inline table is complete"},
    {"[product]\ntype.name = \"Nail\"\ntype = { edible = false }\n", 3, 1,
     "duplicate key 'type' (first defined at line 2)"},
    {"a = {}\n[a.b]\n", 2, 2,
     "cannot add to the inline table 'a' (defined at line 1): an inline table is complete"},
    {"a = {}\n[a]\n", 2, 2, "cannot add to the inline table 'a' (defined at line 1)"},
    {"t = {a = {b = 1}, a.c = 2}\n", 1, 19,
     "cannot add to the inline table 'a' (defined at line 1): an inline table is complete"},
    /* arrays of tables */
    {"fruits = []\n[[fruits]]\n", 2, 3,
     "cannot add to 'fruits': it is a static array (defined at line 1)"},
    {"[[fruits]]\nname = \"apple\"\n[fruits]\n", 3, 1,
     "[fruits] is an array of tables (defined at line 1); use [[fruits]]"},
    {"[fruit]\n[[fruit]]\n", 2, 1,
     "[[fruit]] cannot append to the table [fruit] (defined at line 1)"},
    {"[[fruits]]\n[[fruits.varieties]]\n[fruits.varieties]\n", 3, 1,
     "[fruits.varieties] is an array of tables (defined at line 2); use [[fruits.varieties]]"},
    {"[[fruits]]\n[fruits.physical]\n[[fruits.physical]]\n", 3, 1,
     "[[fruits.physical]] cannot append to the table [fruits.physical] (defined at line 2)"},
    {"a = [1]\n[a.b]\n", 2, 2, "cannot add to 'a': it is a static array (defined at line 1)"},
    {"a = [{}]\na.b = 1\n", 2, 1, "cannot add to 'a': it is a static array (defined at line 1)"},
    {"[[a]]\n[[a]]\nb = 1\n[a.b]\n", 4, 4,
     "cannot use 'a.b' as a table: it is an integer (defined at line 3)"},
    {"x = 1\n[x.y]\n", 2, 2, "cannot use 'x' as a table: it is an integer (defined at line 1)"},
};

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		sc_toml_doc *doc = NULL;
		sc_diag d;
		int r = sc_toml_parse(valid[i].text, strlen(valid[i].text), "case.toml", &doc, &d);
		if (r) {
			char buf[1024];
			print_message("valid case %zu failed: %s\n", i,
				      sc_diag_format(&d, buf, sizeof(buf)));
			fail();
		}
		char *got = dump(doc);
		if (strcmp(got, valid[i].tree)) {
			print_message("valid case %zu:\n  got  %s\n  want %s\n", i, got,
				      valid[i].tree);
			fail();
		}
		free(got);
		sc_toml_free(doc);
	}
}

static void test_invalid(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct invalid_case *c = &invalid[i];
		sc_toml_doc *doc = NULL;
		sc_diag d;
		int r = sc_toml_parse(c->text, strlen(c->text), "bad.toml", &doc, &d);
		if (r != -EINVAL || doc || d.line != c->line || d.column != c->col ||
		    strcmp(d.message, c->message) || strcmp(d.file, "bad.toml")) {
			print_message("invalid case %zu (%s): got %d %" PRId64 ":%" PRId64
				      " '%s'\n  want %d:%d '%s'\n",
				      i, c->text, r, d.line, d.column, d.message, c->line, c->col,
				      c->message);
			bad++;
		}
		sc_toml_free(doc);
	}
	assert_int_equal(bad, 0);
}

static char *read_text(const char *path, size_t *n)
{
	char *text = NULL;
	int r = sc_read_file(path, &text, n);
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return text;
}

/* Every file of tests/data/toml/valid parses (to the tree of its "# dump: " line if it has one);
 * every file of tests/data/toml/invalid fails as its first line "# error: L:C: MSG" says. */
static void test_files(void **state)
{
	(void)state;
	const char *kinds[] = {"valid", "invalid", "seeds"};
	int files = 0;
	for (int k = 0; k < 3; k++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/tests/data/toml/%s", SC_TEST_SRCDIR, kinds[k]);
		DIR *dp = opendir(dir);
		assert_non_null(dp);
		struct dirent *de;
		while ((de = readdir(dp))) {
			if (de->d_name[0] == '.')
				continue;
			char path[1024];
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			size_t n;
			char *text = read_text(path, &n);
			sc_toml_doc *doc = NULL;
			sc_diag d;
			int r = sc_toml_parse(text, n, de->d_name, &doc, &d);
			char buf[1024];
			if (k != 1 && r != 0) {
				print_message("%s: %s\n", path,
					      sc_diag_format(&d, buf, sizeof(buf)));
				fail();
			}
			if (k == 1) {
				int line = 0, col = 0, used = 0;
				assert_int_equal(
				    sscanf(text, "# error: %d:%d: %n", &line, &col, &used), 2);
				const char *want = text + used;
				size_t wlen = strcspn(want, "\n");
				if (r != -EINVAL || d.line != line || d.column != col ||
				    strlen(d.message) != wlen || strncmp(d.message, want, wlen)) {
					print_message("%s: got %s\n  want %d:%d: %.*s\n", path,
						      sc_diag_format(&d, buf, sizeof(buf)), line,
						      col, (int)wlen, want);
					fail();
				}
			}
			const char *dl = strstr(text, "# dump: ");
			if (k == 0 && dl) {
				char *got = dump(doc);
				size_t wlen = strcspn(dl + 8, "\n");
				if (strlen(got) != wlen || strncmp(got, dl + 8, wlen)) {
					print_message("%s: got %s\n", path, got);
					fail();
				}
				free(got);
			}
			sc_toml_free(doc);
			free(text);
			files++;
		}
		closedir(dp);
	}
	assert_true(files >= 10);
}

static void test_lookup(void **state)
{
	(void)state;
	const char *text = "[profiling]\nrate = 99\nratio = 0.5\nname = \"x\\u0000y\"\non = true\n"
			   "[a.b]\nc = 1\n";
	sc_toml_doc *doc = NULL;
	assert_int_equal(sc_toml_parse(text, strlen(text), NULL, &doc, NULL), 0);
	int64_t i = 0;
	double f = 0;
	bool b = false;
	const char *s = NULL;
	assert_int_equal(sc_toml_get_int(doc->root, "profiling.rate", &i), 0);
	assert_int_equal(i, 99);
	assert_int_equal(sc_toml_get_float(doc->root, "profiling.rate", &f), 0);
	assert_true(f == 99.0);
	assert_int_equal(sc_toml_get_float(doc->root, "profiling.ratio", &f), 0);
	assert_true(f == 0.5);
	assert_int_equal(sc_toml_get_bool(doc->root, "profiling.on", &b), 0);
	assert_true(b);
	assert_int_equal(sc_toml_get_string(doc->root, "profiling.name", &s), 0);
	assert_memory_equal(s, "x\0y", 4);
	assert_int_equal(sc_toml_get(doc->root, "profiling.name")->u.str.len, 3);
	assert_int_equal(sc_toml_get_int(doc->root, "profiling.ratio", &i), -EINVAL);
	assert_int_equal(sc_toml_get_int(doc->root, "profiling.none", &i), -ENOENT);
	assert_int_equal(sc_toml_get_int(doc->root, "a.b.c", &i), 0);
	assert_int_equal(i, 1);
	assert_ptr_equal(sc_toml_get(doc->root, ""), doc->root);
	assert_null(sc_toml_get(doc->root, "a.b.c.d"));
	/* Positions: the key's and the value's. */
	const sc_toml_entry *e = sc_toml_table_get(sc_toml_get(doc->root, "profiling"), "ratio", 5);
	assert_non_null(e);
	assert_int_equal(e->line, 3);
	assert_int_equal(e->column, 1);
	assert_int_equal(e->value->line, 3);
	assert_int_equal(e->value->column, 9);
	assert_string_equal(sc_toml_type_name(SC_TOML_LOCAL_TIME), "local time");
	/* No text at all is an empty document. */
	sc_toml_doc *empty = NULL;
	assert_int_equal(sc_toml_parse(NULL, 0, NULL, &empty, NULL), 0);
	assert_int_equal(empty->root->u.table.len, 0);
	sc_toml_free(empty);
	sc_toml_free(doc);
	sc_toml_free(NULL);
}

/* Many keys in one table go through its index: still found, still caught twice. */
static void test_many_keys(void **state)
{
	(void)state;
	sc_strbuf sb = {0};
	for (int i = 0; i < 5000; i++)
		sc_strbuf_addf(&sb, "k%d = %d\n", i, i);
	sc_toml_doc *doc = NULL;
	assert_int_equal(sc_toml_parse(sb.buf, sb.len, NULL, &doc, NULL), 0);
	int64_t v = 0;
	assert_int_equal(sc_toml_get_int(doc->root, "k4321", &v), 0);
	assert_int_equal(v, 4321);
	sc_toml_free(doc);
	/* Big documents in linear time: positions are found forward, and a key's from its
	 * value's backward by their distance only (a rescan from the start per key made 200,000
	 * keys take minutes, beyond this test's timeout). Many lines, then one long line. */
	sc_strbuf big = {0};
	for (int i = 0; i < 200000; i++)
		sc_strbuf_addf(&big, "key_%d = { a = [%d, \"x\"] }\n", i, i);
	assert_int_equal(sc_toml_parse(big.buf, big.len, NULL, &doc, NULL), 0);
	const sc_toml_entry *e = sc_toml_table_get(doc->root, "key_199999", 10);
	assert_non_null(e);
	assert_int_equal(e->line, 200000);
	assert_int_equal(sc_toml_get(doc->root, "key_199999.a")->column, 20);
	sc_toml_free(doc);
	sc_strbuf_reset(&big);
	sc_strbuf_adds(&big, "a = [");
	for (int i = 0; i < 200000; i++)
		sc_strbuf_addf(&big, "{ k = %d }, ", i);
	sc_strbuf_adds(&big, "]\n");
	assert_int_equal(sc_toml_parse(big.buf, big.len, NULL, &doc, NULL), 0);
	const sc_toml_value *a = sc_toml_get(doc->root, "a");
	assert_int_equal(a->u.array.len, 200000);
	assert_int_equal(a->u.array.items[1]->u.table.entries[0].column, 5 + 11 + 3);
	sc_toml_free(doc);
	sc_strbuf_release(&big);
	sc_strbuf_adds(&sb, "k17 = 1\n");
	sc_diag d;
	assert_int_equal(sc_toml_parse(sb.buf, sb.len, "m.toml", &doc, &d), -EINVAL);
	assert_int_equal(d.line, 5001);
	assert_string_equal(d.message, "duplicate key 'k17' (first defined at line 18)");
	sc_strbuf_release(&sb);
}

/* Deep nesting is an error, not a stack overflow; so is a too-long dotted key. */
static void test_limits(void **state)
{
	(void)state;
	sc_strbuf sb = {0};
	sc_strbuf_adds(&sb, "a = ");
	for (int i = 0; i < 100000; i++)
		sc_strbuf_addc(&sb, '[');
	sc_toml_doc *doc = NULL;
	sc_diag d;
	assert_int_equal(sc_toml_parse(sb.buf, sb.len, "deep.toml", &doc, &d), -EINVAL);
	assert_int_equal(d.column, 5 + SC_TOML_MAX_DEPTH);
	assert_string_equal(d.message, "nested deeper than 64 levels");
	sc_strbuf_reset(&sb);
	for (int i = 0; i < 100; i++)
		sc_strbuf_adds(&sb, "a.");
	sc_strbuf_adds(&sb, "a = 1\n");
	assert_int_equal(sc_toml_parse(sb.buf, sb.len, "dots.toml", &doc, &d), -EINVAL);
	assert_string_equal(d.message, "a key of more than 64 dotted parts");
	assert_int_equal(d.column, 129);
	/* Dotted parts and nested values add up. */
	sc_strbuf_reset(&sb);
	for (int i = 0; i < 40; i++)
		sc_strbuf_adds(&sb, "a.");
	sc_strbuf_adds(&sb, "a = ");
	for (int i = 0; i < 30; i++)
		sc_strbuf_addc(&sb, '[');
	assert_int_equal(sc_toml_parse(sb.buf, sb.len, "mix.toml", &doc, &d), -EINVAL);
	assert_string_equal(d.message, "nested deeper than 64 levels");
	sc_strbuf_release(&sb);
	/* The input cap. */
	static const char big[1] = {0};
	assert_int_equal(sc_toml_parse(big, SC_TOML_MAX_INPUT + 1ul, "big.toml", &doc, &d), -EFBIG);
	assert_null(doc);
	assert_int_equal(d.line, 0);
}

/* Each allocation failing in turn: -ENOMEM and nothing leaked (ASan), or success. */
static int fail_at = -1, calls;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
	return fail_at >= 0 && calls++ == fail_at ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
	return fail_at >= 0 && calls++ == fail_at ? NULL : __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
	return fail_at >= 0 && calls++ == fail_at ? NULL : __real_realloc(p, n);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	sc_strbuf text = {0};
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/toml/valid/tables.toml", SC_TEST_SRCDIR);
	size_t n;
	char *t = read_text(path, &n);
	sc_strbuf_add(&text, t, n);
	free(t);
	for (int i = 0; i < 20; i++)
		sc_strbuf_addf(&text, "\n[many.k%d]\ns = \"x\\u00e9\"\n", i);
	int failures = 0;
	for (int at = 0;; at++) {
		sc_toml_doc *doc = NULL;
		sc_diag d;
		calls = 0;
		fail_at = at;
		int r = sc_toml_parse(text.buf, text.len, "t.toml", &doc, &d);
		fail_at = -1;
		if (r == 0) {
			assert_non_null(doc);
			sc_toml_free(doc);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(doc);
		assert_string_equal(d.message, "out of memory");
		failures++;
	}
	assert_true(failures > 100);
	sc_strbuf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),	   cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_files),	   cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_many_keys),	   cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
