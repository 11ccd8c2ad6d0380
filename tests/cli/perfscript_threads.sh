#!/usr/bin/env bash
# perfscript_threads.sh: a big `perf script` file read on several threads (SCORCH_THREADS=2, 3)
# gives exactly what one thread gives (SCORCH_THREADS=1): the same folded stacks, pprof bytes,
# JSON tables and, with every sample's time kept, the same Chrome trace. The input (about 40
# MiB, so it is read in parts of 8 MiB and more) is generated: 3000 distinct callchains over 400
# functions in 5 processes with their own comms, two events, kernel frames, a java process with
# JIT names, and a few stacks and events that only appear in the last part. A pipe is read by one
# thread and gives the same again.
. "$(dirname "$0")/lib.sh"
make_tmp
python3 - "$TMP/in.txt" <<'PY'
import random, sys
rnd = random.Random(11)
out = open(sys.argv[1], "w")
funcs = ["fn_%d" % i for i in range(400)]
chains = []
for i in range(3000):
    depth = rnd.randint(3, 14)
    chains.append([rnd.randrange(400) for _ in range(depth)])
procs = [("worker", 101), ("db writer", 202), ("java", 303), ("app", 404), ("app", 505)]
t = 1000.0
n = 0
size = 0
while size < 40 << 20:
    comm, pid = procs[rnd.randrange(5)]
    tid = pid + rnd.randrange(3)
    ev = "cycles:u:" if rnd.random() < 0.8 else "instructions:u:"
    t += rnd.random() / 1000
    lines = ["%s %d/%d [%03d] %.6f: %d %s" % (comm, pid, tid, rnd.randrange(4), t,
                                               rnd.randrange(1, 5000), ev)]
    c = chains[rnd.randrange(3000)]
    if rnd.random() < 0.1:
        lines.append("\tffffffff8100%04x do_syscall_64+0x%x ([kernel.kallsyms])" % (n % 97, n % 31))
    for j, f in enumerate(c):
        name = "Ljava/util/Map;::get" if comm == "java" and j == 0 else funcs[f]
        lines.append("\t%12x %s+0x%x (/usr/lib/lib%d.so)" % (0x1000 + f * 64 + j, name, j, f % 7))
    lines.append("\t%12x main+0x1f (/usr/bin/prog)" % 0x400)
    text = "\n".join(lines) + "\n\n"
    out.write(text)
    size += len(text)
    n += 1
# Only at the end: a new event, a new comm, new functions and a stack without a blank line after.
out.write("late 9/9 [000] %.6f: 7 page-faults:u:\n\t  77 late_only+0x1 (/usr/bin/late)\n\t  400 main+0x1f (/usr/bin/prog)\n\n" % (t + 1))
out.write("late 9/9 [000] %.6f: 7 cycles:u:\n\t  78 late_only_too (/usr/bin/late)" % (t + 2))
out.close()
PY
size=$(stat -c %s "$TMP/in.txt")
[ "$size" -gt $((32 << 20)) ] || fail "the generated input has $size bytes, expected more than 32 MiB"

# run THREADS NAME ARGS...: scorch report ARGS on the input with SCORCH_THREADS=THREADS.
run()
{
	local threads=$1 name=$2
	shift 2
	SCORCH_THREADS=$threads "$SCORCH" report "$@" "$TMP/in.txt" >"$TMP/$name.$threads" ||
		fail "SCORCH_THREADS=$threads scorch report $* failed"
}
for t in 1 2 3; do
	run "$t" folded --format folded --sample-type cycles
	run "$t" folded-insn --format folded --sample-type instructions
	run "$t" json --format json -n 0
	run "$t" text -n 50 --by address
	run "$t" pprof --format pprof
	run "$t" chrome --format chrome
done
[ -s "$TMP/folded.1" ] || fail "no folded output"
grep -q 'late_only' "$TMP/folded-insn.1" && fail "late_only is a page-faults/cycles sample, not instructions"
grep -q 'late_only_too' "$TMP/folded.1" || fail "the last stack (no newline after it) is missing"
grep -q "^java;.*;java/util/Map:::get " "$TMP/folded.1" || fail "the java JIT names are not read as such: $(grep -m1 Map "$TMP/folded.1")"
for t in 2 3; do
	for v in folded folded-insn json text pprof chrome; do
		cmp -s "$TMP/$v.1" "$TMP/$v.$t" ||
			fail "SCORCH_THREADS=$t: --$v output differs from one thread's ($(cmp "$TMP/$v.1" "$TMP/$v.$t" | head -1))"
	done
	ok "SCORCH_THREADS=$t: folded, json, text, pprof and chrome outputs equal to one thread's"
done
# Standard input from the file (read in parts too), and a pipe (one thread): the same again.
SCORCH_THREADS=3 "$SCORCH" report --format folded --sample-type cycles - <"$TMP/in.txt" >"$TMP/stdin" ||
	fail "reading standard input failed"
cmp -s "$TMP/folded.1" "$TMP/stdin" || fail "standard input from the file gives other folded stacks"
cat "$TMP/in.txt" | SCORCH_THREADS=3 "$SCORCH" report --format folded --sample-type cycles - >"$TMP/pipe" ||
	fail "reading the pipe failed"
cmp -s "$TMP/folded.1" "$TMP/pipe" || fail "a pipe gives other folded stacks"
ok "standard input and a pipe: the same folded stacks"

# An error in the second half: the same message and line, whatever the threads.
head -c $((size * 3 / 4)) "$TMP/in.txt" >"$TMP/bad.txt"
printf 'x 1/1 [000] 1.0: 1 cycles:u:\n\tzz-not-hex main (/x)\n\n' >>"$TMP/bad.txt"
tail -c $((size / 4)) "$TMP/in.txt" | sed '1,/^$/d' >>"$TMP/bad.txt"
for t in 1 3; do
	SCORCH_THREADS=$t "$SCORCH" report "$TMP/bad.txt" >/dev/null 2>"$TMP/bad.err.$t" &&
		fail "SCORCH_THREADS=$t: a malformed frame was accepted"
done
grep -q 'expected a frame' "$TMP/bad.err.1" || fail "no frame error: $(cat "$TMP/bad.err.1")"
cmp -s "$TMP/bad.err.1" "$TMP/bad.err.3" ||
	fail "the error differs with threads: $(cat "$TMP/bad.err.1") / $(cat "$TMP/bad.err.3")"
ok "an error past the middle: $(cat "$TMP/bad.err.3")"
