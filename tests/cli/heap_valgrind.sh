#!/usr/bin/env bash
# heap_valgrind.sh: the known answers of tests/programs/heap_*.c, checked against valgrind's DHAT
# (valgrind --tool=dhat --run-libc-freeres=no --run-cxx-freeres=no): the numbers the other
# heap*.sh scripts demand of scorch heap are those a reference tool measures. Runs no scorch.
# Skips when valgrind is not installed.
. "$(dirname "$0")/heap_lib.sh"
make_tmp
command -v valgrind >/dev/null || skip "valgrind is not installed"

for p in heap_basic heap_basic_nofp; do
	dhat_run "$TMP/$p" "$(prog $p)"
	heap_expect "$(ls "$TMP/$p".[0-9]*)" "$EXPECT_BASIC" --valgrind
done

dhat_run "$TMP/threads" "$(prog heap_threads)"
heap_expect "$(ls "$TMP/threads".[0-9]*)" "$EXPECT_THREADS" --valgrind

dhat_run "$TMP/fork" "$(prog heap_fork)"
child=$(sed -n 's/^heap_fork: parent [0-9]* child \([0-9]*\)$/\1/p' "$TMP/fork.stdout")
[ -n "$child" ] || fail "heap_fork did not write its child's pid: $(cat "$TMP/fork.stdout")"
[ -s "$TMP/fork.$child" ] || fail "DHAT wrote no profile for the child $child"
parent=$(ls "$TMP/fork".[0-9]* | grep -v "\.$child\$")
heap_expect "$parent" "$EXPECT_FORK_PARENT" --valgrind
heap_expect "$TMP/fork.$child" "$EXPECT_FORK_CHILD" --valgrind

dhat_run "$TMP/late" "$(prog heap_fork)" late
read -r _ _ parent _ child <<<"$(grep '^heap_fork: parent' "$TMP/late.stdout")"
[ -s "$TMP/late.$parent" ] && [ -s "$TMP/late.$child" ] || fail "DHAT wrote no profiles for heap_fork late"
heap_expect "$TMP/late.$parent" "$EXPECT_FORK_LATE_PARENT" --valgrind
heap_expect "$TMP/late.$child" "$EXPECT_FORK_LATE_CHILD" --valgrind

dhat_run "$TMP/dlopen" "$(prog heap_dlopen)" "$(prog libheap_plugin.so)"
heap_expect "$(ls "$TMP/dlopen".[0-9]*)" "$EXPECT_DLOPEN" --valgrind

dhat_run "$TMP/cxx" "$(prog heap_cxx)"
heap_expect "$(ls "$TMP/cxx".[0-9]*)" "$EXPECT_CXX" --valgrind

# heap_churn's own line against DHAT's totals (one thread: the peak too).
dhat_run "$TMP/churn" "$(prog heap_churn)" 0.02
read -r _ _ _ _ allocs _ bytes _ _ _ _ _ _ _ peak <"$TMP/churn.stdout" ||
	fail "heap_churn wrote nothing"
heap_expect "$(ls "$TMP/churn".[0-9]*)" "{\"totals\": {\"allocs\": $allocs, \"bytes_allocated\": $bytes,
	\"peak_bytes\": $peak, \"leaked_blocks\": 0}}" --valgrind
