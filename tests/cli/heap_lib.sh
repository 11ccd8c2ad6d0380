# heap_lib.sh: sourced by tests/cli/heap*.sh; lib.sh plus the heap programs' known answers.
#
# The numbers below are those written in the comments of tests/programs/heap_*.c, as data for
# tests/cli/heap_check.py (its first comment says what each key means). heap_valgrind.sh checks
# them against valgrind's DHAT, the other heap*.sh scripts against `scorch heap`'s heap.json.
#
# Helpers:
#   heap_run DIR ARGS...       scorch heap -o DIR ARGS... (ARGS ends with -- CMD...); RC the status,
#                              DIR.out its stdout (the program's), DIR.log its stderr
#   heap_need DIR FILE...      fails (showing DIR.log) unless DIR/FILE exists and is not empty
#   heap_expect REPORT EXPECT [--valgrind]
#                              heap_check.py REPORT with the expectations EXPECT (a JSON text)
#   heap_outputs DIR EXPECT    every file scorch heap writes is in DIR; heap.json, dhat.json and the
#                              sample types of heap.pb.gz and peak.pb.gz hold EXPECT's numbers
#   dhat_run OUT CMD...        valgrind --tool=dhat on CMD, profiles to OUT.PID (one per process)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HEAP_CHECK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/heap_check.py"

heap_run()
{
	local dir=$1
	shift
	RC=0
	"$SCORCH" heap -o "$dir" "$@" >"$dir.out" 2>"$dir.log" || RC=$?
}

heap_need()
{
	local dir=$1 f
	shift
	for f in "$@"; do
		if [ ! -s "$dir/$f" ]; then
			sed 's/^/  | /' "$dir.log" >&2
			fail "scorch heap (status $RC) did not write $dir/$f"
		fi
	done
}

heap_check()
{
	python3 "$HEAP_CHECK" "$@" - <<<"$EXPECT_CURRENT" || fail "${*: -1} does not hold the program's numbers"
}

# heap_expect REPORT EXPECT [--valgrind]: checks REPORT against the JSON text EXPECT.
heap_expect()
{
	EXPECT_CURRENT=$2
	if [ "${3:-}" = --valgrind ]; then
		heap_check --valgrind "$1"
	else
		heap_check "$1"
	fi
}

HEAP_FILES=(heap.json heap.pb.gz peak.pb.gz dhat.json alloc.html leaks.html peak.html timeline.svg)

heap_outputs()
{
	local dir=$1 st
	heap_need "$dir" "${HEAP_FILES[@]}"
	heap_expect "$dir/heap.json" "$2"
	heap_expect "$dir/dhat.json" "$2"
	EXPECT_CURRENT=$2
	for st in alloc_objects alloc_space inuse_objects inuse_space; do
		"$SCORCH" report --format json --top 500 --sample-type "$st" "$dir/heap.pb.gz" \
			>"$dir.$st.json" || fail "scorch report --sample-type $st $dir/heap.pb.gz failed"
		python3 "$HEAP_CHECK" --pprof heap "$dir.$st.json" - <<<"$EXPECT_CURRENT" ||
			fail "$dir/heap.pb.gz ($st) does not hold the program's numbers"
	done
	for st in inuse_objects inuse_space; do
		"$SCORCH" report --format json --top 500 --sample-type "$st" "$dir/peak.pb.gz" \
			>"$dir.peak-$st.json" || fail "scorch report --sample-type $st $dir/peak.pb.gz failed"
		python3 "$HEAP_CHECK" --pprof peak "$dir.peak-$st.json" - <<<"$EXPECT_CURRENT" ||
			fail "$dir/peak.pb.gz ($st) does not hold the program's numbers"
	done
}

dhat_run()
{
	local out=$1
	shift
	valgrind -q --tool=dhat --run-libc-freeres=no --run-cxx-freeres=no \
		--dhat-out-file="$out.%p" "$@" >"$out.stdout" 2>"$out.log" ||
		fail "valgrind --tool=dhat $* failed: $(cat "$out.log")"
}

# heap_basic.c and heap_basic_nofp (the same source without frame pointers). DHAT charges the
# block realloc moved to alloc_realloc_null's stack (the block's first allocation).
EXPECT_BASIC='{
 "totals": {"allocs": 22, "frees": 18, "reallocs": 1, "bytes_allocated": 115448,
            "bytes_freed": 111256, "peak_bytes": 106300, "peak_blocks": 13, "largest": 10000,
            "leaked_bytes": 4192, "leaked_blocks": 4, "frees_unknown": 0, "temporary": 2,
            "replaced_blocks": 0},
 "functions": {
   "alloc_malloc": {"allocs": 1, "bytes": 1000, "peak_blocks": 1, "peak_bytes": 1000},
   "alloc_calloc": {"allocs": 1, "bytes": 300, "peak_blocks": 1, "peak_bytes": 300},
   "alloc_realloc_null": {"allocs": 1, "bytes": 200},
   "grow_realloc": {"allocs": 1, "bytes": 5000, "peak_blocks": 1, "peak_bytes": 5000},
   "alloc_aligned": {"allocs": 4, "bytes": 4756},
   "hold_peak": {"allocs": 10, "bytes": 100000, "peak_blocks": 10, "peak_bytes": 100000},
   "leak_big": {"allocs": 1, "bytes": 4000, "leaked_blocks": 1, "leaked_bytes": 4000},
   "leak_small": {"allocs": 3, "bytes": 192, "leaked_blocks": 3, "leaked_bytes": 192}},
 "valgrind_functions": {
   "alloc_realloc_null": {"allocs": 2, "bytes": 5200, "peak_blocks": 1, "peak_bytes": 5000},
   "grow_realloc": {}},
 "stacks": [["leak_big", "chain_c", "chain_b", "chain_a", "main"], ["hold_peak", "main"],
            ["leak_small", "main"], ["alloc_aligned", "main"]]}'

# heap_threads.c: pthread_create's thread vectors are libc's ("other").
EXPECT_THREADS='{
 "totals": {"reallocs": 0, "frees_unknown": 0, "replaced_blocks": 0},
 "functions": {
   "main_alloc": {"allocs": 1, "bytes": 50000, "peak_blocks": 1, "peak_bytes": 50000},
   "worker_alloc": {"allocs": 32, "bytes": 81920, "peak_blocks": 32, "peak_bytes": 81920},
   "worker_leak": {"allocs": 4, "bytes": 1000, "leaked_blocks": 4, "leaked_bytes": 1000,
                   "peak_blocks": 4, "peak_bytes": 1000},
   "handoff_alloc": {"allocs": 1, "bytes": 3000, "peak_blocks": 1, "peak_bytes": 3000}},
 "other": "any",
 "reach": {"main_alloc": "main", "*": "thread_main"},
 "stacks": [["worker_alloc", "thread_main"], ["main_alloc", "main"]]}'

# heap_fork.c: the parent, and the child (DHAT's child also holds before_fork's block).
EXPECT_FORK_PARENT='{
 "totals": {"allocs": 6, "frees": 5, "reallocs": 0, "bytes_allocated": 10321, "bytes_freed": 6000,
            "peak_bytes": 10321, "peak_blocks": 6, "largest": 4321, "leaked_bytes": 4321,
            "leaked_blocks": 1, "frees_unknown": 0, "temporary": 1},
 "functions": {
   "before_fork": {"allocs": 1, "bytes": 2000, "peak_blocks": 1, "peak_bytes": 2000},
   "parent_leak": {"allocs": 1, "bytes": 4321, "leaked_blocks": 1, "leaked_bytes": 4321,
                   "peak_blocks": 1, "peak_bytes": 4321},
   "parent_work": {"allocs": 4, "bytes": 4000, "peak_blocks": 4, "peak_bytes": 4000},
   "child_leak": {}, "child_work": {}}}'
EXPECT_FORK_CHILD='{
 "totals": {"allocs": 6, "frees": 5, "reallocs": 0, "bytes_allocated": 2734, "bytes_freed": 1500,
            "peak_bytes": 2734, "peak_blocks": 6, "largest": 1234, "leaked_bytes": 1234,
            "leaked_blocks": 1, "frees_unknown": 1, "temporary": 1},
 "valgrind_totals": {"allocs": 7, "frees": 6, "bytes_allocated": 4734, "bytes_freed": 3500,
            "peak_bytes": 2734, "peak_blocks": 6, "leaked_bytes": 1234, "leaked_blocks": 1},
 "functions": {
   "child_leak": {"allocs": 1, "bytes": 1234, "leaked_blocks": 1, "leaked_bytes": 1234,
                  "peak_blocks": 1, "peak_bytes": 1234},
   "child_work": {"allocs": 5, "bytes": 1500, "peak_blocks": 5, "peak_bytes": 1500},
   "parent_leak": {}, "parent_work": {}, "before_fork": {}},
 "valgrind_functions": {"before_fork": {"allocs": 1, "bytes": 2000}}}'

# heap_fork.c late: the parent allocates only after its child exited; no block before the fork.
EXPECT_FORK_LATE_PARENT='{
 "totals": {"allocs": 5, "frees": 4, "reallocs": 0, "bytes_allocated": 8321, "bytes_freed": 4000,
            "peak_bytes": 8321, "peak_blocks": 5, "largest": 4321, "leaked_bytes": 4321,
            "leaked_blocks": 1, "frees_unknown": 0, "temporary": 1},
 "functions": {
   "parent_leak": {"allocs": 1, "bytes": 4321, "leaked_blocks": 1, "leaked_bytes": 4321,
                   "peak_blocks": 1, "peak_bytes": 4321},
   "parent_work": {"allocs": 4, "bytes": 4000, "peak_blocks": 4, "peak_bytes": 4000},
   "before_fork": {}, "child_leak": {}, "child_work": {}}}'
EXPECT_FORK_LATE_CHILD='{
 "totals": {"allocs": 6, "frees": 5, "reallocs": 0, "bytes_allocated": 2734, "bytes_freed": 1500,
            "peak_bytes": 2734, "peak_blocks": 6, "largest": 1234, "leaked_bytes": 1234,
            "leaked_blocks": 1, "frees_unknown": 0, "temporary": 1},
 "functions": {
   "child_leak": {"allocs": 1, "bytes": 1234, "leaked_blocks": 1, "leaked_bytes": 1234,
                  "peak_blocks": 1, "peak_bytes": 1234},
   "child_work": {"allocs": 5, "bytes": 1500, "peak_blocks": 5, "peak_bytes": 1500},
   "before_fork": {}, "parent_leak": {}, "parent_work": {}}}'

# heap_dlopen.c: dlopen's own blocks are libc's ("other").
EXPECT_DLOPEN='{
 "totals": {"reallocs": 0, "frees_unknown": 0},
 "functions": {
   "main_before": {"allocs": 1, "bytes": 700, "peak_blocks": 1, "peak_bytes": 700},
   "plugin_leak": {"allocs": 1, "bytes": 2048, "leaked_blocks": 1, "leaked_bytes": 2048,
                   "peak_blocks": 1, "peak_bytes": 2048},
   "plugin_alloc": {"allocs": 6, "bytes": 3072, "peak_blocks": 6, "peak_bytes": 3072}},
 "other": "any",
 "stacks": [["plugin_leak", "main"], ["plugin_alloc", "main"]]}'

# heap_cxx.cpp: libstdc++'s emergency pool is "other".
EXPECT_CXX='{
 "totals": {"reallocs": 0, "frees_unknown": 0, "temporary": 2},
 "functions": {
   "make_node": {"allocs": 1, "bytes": 40, "peak_blocks": 1, "peak_bytes": 40},
   "make_array": {"allocs": 1, "bytes": 100, "peak_blocks": 1, "peak_bytes": 100},
   "make_widgets": {"allocs": 1, "bytes": 80, "peak_blocks": 1, "peak_bytes": 80},
   "make_aligned": {"allocs": 1, "bytes": 128, "peak_blocks": 1, "peak_bytes": 128},
   "make_big": {"allocs": 1, "bytes": 60000, "peak_blocks": 1, "peak_bytes": 60000},
   "grow_vector": {"allocs": 5, "bytes": 124},
   "leak_node": {"allocs": 1, "bytes": 40, "leaked_blocks": 1, "leaked_bytes": 40},
   "leak_ints": {"allocs": 1, "bytes": 20, "leaked_blocks": 1, "leaked_bytes": 20}},
 "other": "any",
 "stacks": [["make_aligned", "main"], ["leak_ints", "main"]]}'
