#!/usr/bin/env bash
# record_flags.sh: perf's flags of `scorch record` that choose what is sampled (issue 9): -e EVENT
# names the event and the profile's sample type, -c N sets a period, a hardware counter the machine
# lacks is refused by name, an unknown event is refused before anything runs, a recording with no
# sample says why, and --no-inherit (perf's name; --no-children deprecated) leaves out children.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
hot=$(prog hot)

# A command that only sleeps has no CPU time: the summary says why instead of an empty table.
# (-c: a sample every 2.1 s of CPU time; at 1000 Hz, sleep's start on a loaded machine could
# take one.)
RC=0
"$SCORCH" record -c 2147483647 -o "$TMP/sleep" -- sleep 0.3 >"$TMP/sleep.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -- sleep exited $RC: $(cat "$TMP/sleep.log")"
grep -qF "scorch record: no samples: the command used no CPU time while recorded: it slept or waited; CPU profiling sees only running code" \
	"$TMP/sleep.log" || fail "no explanation of 0 samples: $(cat "$TMP/sleep.log")"
grep -q "by self" "$TMP/sleep.log" && fail "an empty table was printed for 0 samples"
ok "0 samples explained"

# -e page-faults -c 1: every fault is a sample, and the profile's sample type names the event.
RC=0
"$SCORCH" record -e faults -c 1 -o "$TMP/pf" -- "$hot" 0.05 >"$TMP/pf.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -e faults exited $RC: $(cat "$TMP/pf.log")"
"$SCORCH" report --format json --sample-type page-faults "$TMP/pf/profile.pb.gz" >"$TMP/pf.json" ||
	fail "the profile of -e page-faults has no sample type page-faults"
n=$(json_total "$TMP/pf.json")
[ "$n" -ge 10 ] || fail "only $n page faults sampled with -c 1 (a program's start takes dozens)"
"$SCORCH" report --format json --sample-type cpu "$TMP/pf/profile.pb.gz" >/dev/null 2>&1 &&
	fail "the page-faults profile claims a cpu sample type"
ok "-e faults -c 1: $n page faults, sample type page-faults"

# -c on cpu-clock: a sample every N nanoseconds of CPU time.
RC=0
"$SCORCH" record -c 1000000 -o "$TMP/c" -- "$hot" 0.2 >"$TMP/c.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -c exited $RC: $(cat "$TMP/c.log")"
report_json "$TMP/c/profile.pb.gz" >"$TMP/c.json"
at_least_samples "$TMP/c.json" 50
[ "$(pct "$TMP/c.json" hot_a self)" != 0.00 ] || fail "hot_a missing with -c"
ok "-c 1000000 samples hot"

# -e task-clock: its own sample type, in nanoseconds.
RC=0
"$SCORCH" record -e task-clock -o "$TMP/tc" -- "$hot" 0.1 >"$TMP/tc.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -e task-clock exited $RC: $(cat "$TMP/tc.log")"
"$SCORCH" report --format json --sample-type task-clock "$TMP/tc/profile.pb.gz" >/dev/null ||
	fail "the profile of -e task-clock has no sample type task-clock"
ok "-e task-clock"

# A hardware counter: recorded where the machine has it, else refused by name.
RC=0
"$SCORCH" record -e cycles -o "$TMP/hw" -- "$hot" 0.05 >"$TMP/hw.log" 2>&1 || RC=$?
if [ "$RC" -eq 0 ]; then
	"$SCORCH" report --format json --sample-type cycles "$TMP/hw/profile.pb.gz" >/dev/null ||
		fail "the profile of -e cycles has no sample type cycles"
	ok "-e cycles recorded (this machine has the counter)"
else
	grep -qF "scorch record: the machine has no hardware counter 'cycles' (a VM?); use -e cpu-clock" \
		"$TMP/hw.log" || fail "-e cycles failed without saying why: $(cat "$TMP/hw.log")"
	[ ! -e "$TMP/hw" ] || fail "-e cycles refused, yet left its output folder"
	ok "-e cycles refused: $(head -1 "$TMP/hw.log")"
fi

# Unknown events and contradictory flags: exit 2, nothing run.
RC=0
"$SCORCH" record -e bogus -o "$TMP/bogus" -- touch "$TMP/ran" >"$TMP/bogus.log" 2>&1 || RC=$?
[ "$RC" -eq 2 ] || fail "-e bogus exited $RC, expected 2"
grep -qF "scorch record: -e: unknown event 'bogus' (known: cpu-clock, task-clock, page-faults" \
	"$TMP/bogus.log" || fail "-e bogus: $(cat "$TMP/bogus.log")"
RC=0
"$SCORCH" record -F 99 -c 1000 -o "$TMP/fc" -- touch "$TMP/ran" >"$TMP/fc.log" 2>&1 || RC=$?
[ "$RC" -eq 2 ] || fail "-F with -c exited $RC, expected 2"
grep -qF "give -F (samples per second) or -c (a sample every N events), not both" "$TMP/fc.log" ||
	fail "-F with -c: $(cat "$TMP/fc.log")"
[ ! -e "$TMP/ran" ] || fail "a refused command line ran the command"
ok "bad -e and -F with -c refused"

# --no-inherit: the forked child is not recorded; --no-children still works, with a note.
fork=$(prog fork)
for flag in --no-inherit --no-children; do
	RC=0
	"$SCORCH" record $flag -o "$TMP/ni$flag" -- "$fork" 0.3 >"$TMP/ni$flag.log" 2>&1 || RC=$?
	[ "$RC" -eq 0 ] || fail "scorch record $flag exited $RC: $(cat "$TMP/ni$flag.log")"
	report_json "$TMP/ni$flag/profile.pb.gz" >"$TMP/ni.json"
	near "$(pct "$TMP/ni.json" child_work self)" 0 1 "child_work self with $flag"
done
grep -qF "scorch record: note: --no-children is deprecated; it is now --no-inherit" \
	"$TMP/ni--no-children.log" || fail "--no-children gave no note"
grep -q "deprecated" "$TMP/ni--no-inherit.log" && fail "--no-inherit gave a deprecation note"
ok "--no-inherit, and --no-children with its note"
