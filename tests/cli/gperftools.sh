#!/usr/bin/env bash
# gperftools.sh: profiles that `go tool pprof` reads and scorch used to refuse (issue 8, item 22):
#   - gperftools' binary CPU profile: a tiny program linked with libprofiler runs with
#     CPUPROFILE=, and scorch's report of it names the known hot function, symbolized from the
#     binary the profile's maps text names; go tool pprof, when installed, counts the same
#     samples;
#   - raw (not gzipped) protobuf, made from our own test data by gunzip, and with its top-level
#     fields reordered (producers may write them in any order).
. "$(dirname "$0")/lib.sh"
make_tmp
command -v python3 >/dev/null || skip "python3 is needed"

# Raw protobuf first: it needs nothing but our own data.
gunzip -c "$SRCDIR/tests/data/go-cpu.pb.gz" >"$TMP/go-cpu.pb"
"$SCORCH" report "$TMP/go-cpu.pb" >"$TMP/raw.txt" 2>&1 || fail "raw protobuf refused: $(cat "$TMP/raw.txt")"
"$SCORCH" report "$SRCDIR/tests/data/go-cpu.pb.gz" >"$TMP/gz.txt" 2>&1
cmp -s "$TMP/raw.txt" "$TMP/gz.txt" || fail "raw and gzipped reports differ: $(diff "$TMP/raw.txt" "$TMP/gz.txt")"
ok "raw protobuf: $(head -1 "$TMP/raw.txt")"
# The same message with its top-level fields in reverse order.
python3 - "$TMP/go-cpu.pb" "$TMP/reordered.pb" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return v, i
fields, i = [], 0
while i < len(data):
    start = i
    tag, i = varint(data, i)
    if tag & 7 == 0:
        _, i = varint(data, i)
    elif tag & 7 == 2:
        n, i = varint(data, i)
        i += n
    else:
        raise SystemExit("unexpected wire type")
    fields.append(data[start:i])
# Stable by field number, descending: string_table (6) and friends come before sample_type (1).
fields.sort(key=lambda f: -(varint(f, 0)[0] >> 3))
open(sys.argv[2], "wb").write(b"".join(fields))
PY
"$SCORCH" report "$TMP/reordered.pb" >"$TMP/reordered.txt" 2>&1 ||
	fail "raw protobuf with fields reordered refused: $(cat "$TMP/reordered.txt")"
cmp -s "$TMP/reordered.txt" "$TMP/gz.txt" || fail "reordered report differs: $(diff "$TMP/reordered.txt" "$TMP/gz.txt")"
ok "raw protobuf, fields reordered: same report"

# gperftools: needs libprofiler (libgoogle-perftools-dev) and a C compiler.
CC=${CC:-cc}
command -v "$CC" >/dev/null || skip "no C compiler ($CC)"
cat >"$TMP/spin.c" <<'C'
/* Known answer: about 90% of the CPU time in hot_loop, 10% in warm_loop (the iteration counts
 * say so; the clock is never read). */
#include <stdio.h>
static volatile unsigned long sink;
__attribute__((noinline)) static void hot_loop(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i * i;
}
__attribute__((noinline)) static void warm_loop(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i ^ 7;
}
int main(void)
{
	for (int r = 0; r < 10; r++) {
		hot_loop(450000000);  /* 90% */
		warm_loop(50000000); /* 10% */
	}
	printf("%lu\n", sink);
	return 0;
}
C
"$CC" -O1 -g -fno-omit-frame-pointer -o "$TMP/spin" "$TMP/spin.c" -Wl,--no-as-needed -lprofiler \
	>"$TMP/cc.log" 2>&1 || skip "cannot link with -lprofiler (apt-get install libgoogle-perftools-dev): $(head -2 "$TMP/cc.log")"
CPUPROFILE="$TMP/spin.prof" CPUPROFILE_FREQUENCY=1000 "$TMP/spin" >/dev/null 2>"$TMP/spin.err" ||
	fail "the profiled program failed: $(cat "$TMP/spin.err")"
[ -s "$TMP/spin.prof" ] || skip "libprofiler wrote no profile (CPUPROFILE ignored here?)"
"$SCORCH" report -n 3 "$TMP/spin.prof" >"$TMP/spin.txt" 2>&1 || fail "gperftools profile refused: $(cat "$TMP/spin.txt")"
top=$(sed -n '/^by self:/{n;n;p}' "$TMP/spin.txt" | awk '{print $5}')
[ "$top" = hot_loop ] || fail "the hottest function is '$top', expected hot_loop: $(cat "$TMP/spin.txt")"
grep -q 'warm_loop' "$TMP/spin.txt" || fail "warm_loop is missing: $(cat "$TMP/spin.txt")"
ok "gperftools: $(head -1 "$TMP/spin.txt"); hottest: $top"

# Cross-check the sample count with go tool pprof.
if command -v go >/dev/null; then
	ours=$("$SCORCH" report --sample-type samples "$TMP/spin.prof" | sed -n 's/^total: \([0-9]*\) samples.*/\1/p')
	theirs=$(HOME=$TMP GOPATH=$TMP/go GOCACHE=$TMP/gocache go tool pprof -sample_index=samples -top "$TMP/spin.prof" 2>/dev/null |
		sed -n 's/.* of \([0-9]*\) total.*/\1/p')
	[ -n "$theirs" ] || skip "go tool pprof gave no total"
	[ "$ours" = "$theirs" ] || fail "scorch counts $ours samples, go tool pprof $theirs"
	ok "go tool pprof agrees: $ours samples"
fi
