#!/usr/bin/env bash
# outputs.sh: where scorch's output files go and what a failed write leaves (issue 8, items 1, 2,
# 11): `-o -` and `-o /dev/stdout` write standard output, a FIFO is written into and a device is
# never replaced by a regular file, a full disk says "No space left on device" and leaves the
# previous file (or the previous recording's whole set), and no temporary file is left behind.
. "$(dirname "$0")/lib.sh"
make_tmp
fw=$BUILD/tests/programs/libfailwrite.so
[ -f "$fw" ] || fail "libfailwrite.so is not built ($fw)"
folded=$TMP/in.folded
printf 'main;a 3\nmain;b 1\n' >"$folded"

# Item 1: another user plants symlinks at the names a writer might use for its temporary; scorch
# (here exec'd by the shell, so its pid is the shell's $$ and the old name "OUT.tmp.PID" is known
# exactly) must not write through them.
printf 'precious\n' >"$TMP/victim"
rc=0
bash -c 'cd "$1" && ln -s victim flame.html.tmp.$$ && ln -s victim .flame.html.tmp &&
	exec "$2" report --format html -o flame.html in.folded' _ "$TMP" "$SCORCH" || rc=$?
[ "$rc" -eq 0 ] || fail "report -o beside planted symlinks exited $rc"
[ "$(cat "$TMP/victim")" = precious ] || fail "scorch wrote through a planted symlink"
[ -f "$TMP/flame.html" ] && [ ! -L "$TMP/flame.html" ] || fail "flame.html was not written as a file"
grep -q '<html' "$TMP/flame.html" || fail "flame.html is not the page"
rm -f "$TMP"/flame.html.tmp.* "$TMP/.flame.html.tmp"
ok "planted symlinks at temporary names are not followed"

# A symlink planted at the output name itself, in a sticky shared folder, by another user: the
# link is replaced, its target never written (nor a device or FIFO it names waited on).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod o+x "$TMP"
	mkdir -m 1777 "$TMP/shared"
	printf 'precious\n' >"$TMP/victim2"
	mkfifo "$TMP/fifo2"
	su nobody -s /bin/sh -c "ln -s '$TMP/victim2' '$TMP/shared/flame.html' &&
		ln -s '$TMP/fifo2' '$TMP/shared/hang.html' && mkdir '$TMP/shared/rec' &&
		ln -s '$TMP/victim2' '$TMP/shared/rec/stacks.folded'" || fail "cannot plant links as nobody"
	"$SCORCH" report --format html -o "$TMP/shared/flame.html" "$folded" ||
		fail "report -o over a planted link failed"
	timeout 60 "$SCORCH" report --format html -o "$TMP/shared/hang.html" "$folded" ||
		fail "report -o over a planted link to a FIFO failed (or hung)"
	[ "$(cat "$TMP/victim2")" = precious ] || fail "scorch wrote through a link planted at the output name"
	[ -f "$TMP/shared/flame.html" ] && [ ! -L "$TMP/shared/flame.html" ] ||
		fail "the planted link was not replaced by the output"
	ok "links planted at the output name are replaced, not followed"
else
	echo "SKIP part: planting links as another user needs root and the user nobody"
fi

# -o - and -o /dev/stdout: standard output, not files named so.
(cd "$TMP" && "$SCORCH" report --format folded -o - "$folded") >"$TMP/dash.out" ||
	fail "report -o - failed"
[ ! -e "$TMP/-" ] || fail "report -o - created a file named '-'"
grep -q '^main;a 3$' "$TMP/dash.out" || fail "report -o - did not write standard output"
"$SCORCH" report --format folded -o /dev/stdout "$folded" | grep -q '^main;b 1$' ||
	fail "report -o /dev/stdout through a pipe did not reach the pipe"
[ -L /dev/stdout ] || [ ! -e /dev/stdout ] || [ -c /dev/stdout ] ||
	fail "/dev/stdout was replaced by a regular file"
ok "-o - and -o /dev/stdout write standard output"

# A FIFO is written into and stays a FIFO.
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/fifo.out" &
reader=$!
"$SCORCH" report --format folded -o "$TMP/fifo" "$folded" || fail "report -o FIFO failed"
wait $reader
[ -p "$TMP/fifo" ] || fail "the FIFO was replaced"
grep -q '^main;a 3$' "$TMP/fifo.out" || fail "nothing came through the FIFO"
ok "-o FIFO writes into the FIFO"

# A full device: the real cause, exit 1, the device untouched.
rc=0
"$SCORCH" report --format folded -o /dev/full "$folded" 2>"$TMP/full.err" || rc=$?
[ "$rc" -eq 1 ] || fail "report -o /dev/full exited $rc, expected 1"
grep -q 'No space left on device' "$TMP/full.err" || fail "/dev/full: $(cat "$TMP/full.err")"
[ -c /dev/full ] || fail "/dev/full is no longer a device"
ok "-o /dev/full: $(head -1 "$TMP/full.err")"

# A full disk under report -o: the old file survives, no temporary is left.
"$SCORCH" report --format folded -o "$TMP/out.folded" "$folded" || fail "report -o failed"
cp "$TMP/out.folded" "$TMP/expected"
printf 'other 5\n' >"$TMP/other.folded"
rc=0
LD_PRELOAD=$fw SC_FAIL_WRITE_MATCH=out.folded \
	"$SCORCH" report --format folded -o "$TMP/out.folded" "$TMP/other.folded" 2>"$TMP/enospc.err" || rc=$?
[ "$rc" -eq 1 ] || fail "a full disk under report -o exited $rc"
grep -q "out.folded.*No space left on device" "$TMP/enospc.err" ||
	fail "report -o on a full disk: $(cat "$TMP/enospc.err")"
cmp -s "$TMP/out.folded" "$TMP/expected" || fail "the previous output was damaged"
left=$(find "$TMP" -name '.out.folded.*' -o -name '*.tmp.*' | head -1)
[ -z "$left" ] || fail "a temporary was left behind: $left"
ok "full disk under report -o: old file kept, $(head -1 "$TMP/enospc.err")"

# report --all -o DIR: a set, all new or all old.
"$SCORCH" report --all -o "$TMP/set" "$folded" >/dev/null || fail "report --all failed"
(cd "$TMP/set" && md5sum ./* >"$TMP/set.md5")
rc=0
LD_PRELOAD=$fw SC_FAIL_WRITE_MATCH=butterfly.html \
	"$SCORCH" report --all -o "$TMP/set" "$TMP/other.folded" >/dev/null 2>"$TMP/set.err" || rc=$?
[ "$rc" -eq 1 ] || fail "report --all on a full disk exited $rc"
(cd "$TMP/set" && md5sum -c --quiet "$TMP/set.md5") || fail "report --all left a mixed set"
grep -q 'No space left on device' "$TMP/set.err" || fail "report --all: $(cat "$TMP/set.err")"
[ "$(ls -A "$TMP/set" | wc -l)" -eq 5 ] || fail "report --all left extra files: $(ls -A "$TMP/set")"
rc=0
LD_PRELOAD=$fw SC_FAIL_WRITE_MATCH=report.md \
	"$SCORCH" report --all -o "$TMP/n1/n2/set" "$folded" >/dev/null 2>"$TMP/set2.err" || rc=$?
[ "$rc" -eq 1 ] || fail "report --all into new folders on a full disk exited $rc"
[ ! -e "$TMP/n1" ] || fail "report --all left the folders it created: $(find "$TMP/n1")"
ok "report --all on a full disk keeps the previous set whole, removes the folders it made"

# A signal in the middle of writing: scorch ends as the signal says and leaves no temporary.
sw=$BUILD/tests/programs/libstallwrite.so
[ -f "$sw" ] || fail "libstallwrite.so is not built ($sw)"
for sig in TERM INT HUP; do
	rm -f "$TMP/sig.folded" "$TMP/ready"
	# A non-interactive shell starts background jobs with SIGINT ignored: undo that.
	LD_PRELOAD=$sw SC_STALL_WRITE_MATCH=sig.folded SC_STALL_READY=$TMP/ready SC_STALL_GO=$TMP/never \
		env --default-signal=INT,TERM,HUP \
		"$SCORCH" report --format folded -o "$TMP/sig.folded" "$folded" 2>/dev/null &
	pid=$!
	for _ in $(seq 600); do
		[ -e "$TMP/ready" ] && break
		sleep 0.05
	done
	[ -e "$TMP/ready" ] || { kill -KILL $pid; fail "the write was never stalled"; }
	[ -n "$(find "$TMP" -maxdepth 1 -name '.sig.folded.*' | head -1)" ] ||
		fail "the stalled write has no temporary"
	kill -$sig $pid
	for _ in $(seq 600); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $pid 2>/dev/null && { kill -KILL $pid; fail "SIG$sig did not end scorch"; }
	rc=0
	wait $pid || rc=$?
	want=$((128 + $(kill -l $sig)))
	[ "$rc" -eq "$want" ] || fail "SIG$sig while writing: exit $rc, expected $want"
	left=$(find "$TMP" -maxdepth 1 -name '.sig.folded.*' | head -1)
	[ -z "$left" ] || fail "SIG$sig while writing left $left"
	[ ! -e "$TMP/sig.folded" ] || fail "SIG$sig while writing left a partial sig.folded"
done
ok "SIGTERM/SIGINT/SIGHUP while writing: no temporary left, exit 128+signal"

require_perf
hot=$(prog hot)
# A recording's files are one set: all new or all old.
"$SCORCH" record -q -o "$TMP/rec" -- true || fail "record -- true failed"
(cd "$TMP/rec" && md5sum ./* >"$TMP/rec.md5")
for victim in profile.pb.gz flamegraph.html stacks.folded; do
	rc=0
	LD_PRELOAD=$fw SC_FAIL_WRITE_MATCH=$victim \
		"$SCORCH" record -o "$TMP/rec" -- "$hot" >/dev/null 2>"$TMP/rec.err" || rc=$?
	[ "$rc" -eq 1 ] || fail "record on a full disk ($victim) exited $rc"
	grep -q "$victim.*No space left on device" "$TMP/rec.err" ||
		fail "record on a full disk ($victim): $(grep 'scorch record: cannot' "$TMP/rec.err")"
	if grep -q 'scorch record: wrote' "$TMP/rec.err"; then
		fail "record claims to have written the set though $victim failed"
	fi
	(cd "$TMP/rec" && md5sum -c --quiet "$TMP/rec.md5") ||
		fail "a failed $victim left the folder mixing two recordings"
	[ "$(ls -A "$TMP/rec" | wc -l)" -eq 3 ] || fail "extra files left: $(ls -A "$TMP/rec")"
done
ok "record on a full disk: the previous set stays whole; $(grep -m1 'cannot write' "$TMP/rec.err")"
