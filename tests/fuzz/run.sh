#!/bin/bash
# run.sh: builds the reader fuzzer with clang + libFuzzer and runs one campaign.
#
#   tests/fuzz/run.sh TARGET [SECONDS]      TARGET: pprof, folded, perfscript, gperftools
#                                           (fuzz_readers.c), bench or baseline (fuzz_bench.c,
#                                           seeds corpus/bench), toml (fuzz_toml.c,
#                                           seeds: every file of tests/data/toml/)
#
# Environment: SRCDIR (source root; default: this script's ../..), BUILD (a meson build dir whose
# src/formats/profile.pb-c.c exists; default $SRCDIR/build), FUZZ_TIME (seconds, default 20;
# SECONDS wins), CLANG (default clang). One process, one core.
#
# The project may be compiled with gcc; the fuzzer is always compiled here, directly with clang
# (-fsanitize=fuzzer,address,undefined), from the reader sources, into $BUILD/tests/fuzz/, and
# rebuilt only when a source is newer than it. The seed corpus is tests/fuzz/corpus/TARGET (read
# only); what the fuzzer finds goes to $BUILD/tests/fuzz/corpus-TARGET, crashes to
# $BUILD/tests/fuzz/crash-*. Exit 0 when the run ends clean, 1 on a finding (the reproducer's
# path is printed), 77 when clang or libFuzzer is missing (the reason is printed).
set -u
target=${1:?usage: run.sh TARGET [SECONDS]}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(cd "${BUILD:-$SRCDIR/build}" && pwd) || exit 2
secs=${2:-${FUZZ_TIME:-20}}
case $target in
pprof | folded | perfscript | gperftools) ;;
bench | baseline | toml) ;;
*) echo "run.sh: unknown target '$target'" >&2; exit 2 ;;
esac
seeds=$SRCDIR/tests/fuzz/corpus/$target
case $target in bench | baseline) seeds=$SRCDIR/tests/fuzz/corpus/bench ;; toml) seeds=$SRCDIR/tests/data/toml ;; esac

CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "SKIP: $CLANG not found (apt-get install clang)"
	exit 77
fi
gen=$BUILD/src/formats/profile.pb-c.c
if [ ! -f "$gen" ]; then
	echo "SKIP: $gen not generated yet (run ninja -C $BUILD first)"
	exit 77
fi
out=$BUILD/tests/fuzz
mkdir -p "$out" "$out/corpus-$target"
# FUZZ_CFLAGS: extra clang flags (e.g. -fno-sanitize=nonnull-attribute to look past a known
# finding); such a build gets a binary of its own.
bin=$out/fuzz_readers${FUZZ_CFLAGS:+-$(printf %s "$FUZZ_CFLAGS" | md5sum | cut -c1-8)}
sources=(src/util/diag.c src/util/fileio.c src/util/hashmap.c src/util/search.c src/util/strbuf.c
	src/profile/profile.c src/profile/filter.c src/formats/folded.c src/formats/pprof_read.c src/formats/pprof_write.c src/formats/perfscript.c
	src/formats/perfscript_frame.c src/formats/perfscript_header.c src/formats/perfscript_split.c
	src/formats/speedscope.c src/formats/chrome.c src/formats/gperftools.c
	tests/fuzz/fuzz_readers.c)
libs=("$gen" -lprotobuf-c -lz)
case $target in bench | baseline)
	# The benchmark library and its util files only (as src/bench/meson.build builds it).
	bin=$out/fuzz_bench${FUZZ_CFLAGS:+-$(printf %s "$FUZZ_CFLAGS" | md5sum | cut -c1-8)}
	sources=(src/util/diag.c src/util/fileio.c src/util/hashmap.c src/util/strbuf.c
		$(cd "$SRCDIR" && ls src/bench/*.c) tests/fuzz/fuzz_bench.c)
	libs=(-lm)
	;;
toml)
	# The TOML reader, the schema and the util files they use (src/config/meson.build).
	bin=$out/fuzz_toml${FUZZ_CFLAGS:+-$(printf %s "$FUZZ_CFLAGS" | md5sum | cut -c1-8)}
	sources=(src/util/diag.c src/util/fileio.c src/util/hashmap.c src/util/strbuf.c
		$(cd "$SRCDIR" && ls src/config/*.c) tests/fuzz/fuzz_toml.c)
	libs=(-lm)
	;;
esac

# Build under a lock: the suite's tests may start together and share the binary.
(
	flock 9
	stale=0
	[ -x "$bin" ] || stale=1
	for s in "${sources[@]}" src/*/*.h; do
		[ "$SRCDIR/$s" -nt "$bin" ] && stale=1
	done
	[ "$gen" -nt "$bin" ] && stale=1
	[ $stale = 0 ] && exit 0
	cd "$SRCDIR" || exit 2
	"$CLANG" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer ${FUZZ_CFLAGS:-} \
		-Isrc -Iinclude -I"$BUILD/src" \
		"${sources[@]}" "${libs[@]}" -o "$bin.tmp" >"$out/build.log" 2>&1 ||
		exit 3
	mv "$bin.tmp" "$bin"
) 9>"$out/.lock"
rc=$?
if [ $rc = 3 ]; then
	if grep -q -e "fuzzer" -e "cannot find" "$out/build.log" && ! grep -q "error:" "$out/build.log"; then
		echo "SKIP: libFuzzer is not available with $CLANG:"
		head -5 "$out/build.log"
		exit 77
	fi
	echo "FAIL: building the fuzzer:"
	head -30 "$out/build.log"
	exit 1
fi
[ $rc = 0 ] || exit 1

echo "fuzzing $target for ${secs}s (seeds: $seeds)"
cd "$out" || exit 2
SC_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$bin" -max_total_time="$secs" -timeout=10 -error_exitcode=1 -timeout_exitcode=1 -rss_limit_mb=2048 -max_len=65536 \
	-artifact_prefix="$out/crash-$target-" -print_final_stats=1 \
	"$out/corpus-$target" "$seeds" >"$out/$target.log" 2>&1
rc=$?
grep -a -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done)" "$out/$target.log"
if [ $rc != 0 ]; then
	echo "FAIL: the fuzzer found a problem (rc $rc); log: $out/$target.log"
	grep -a -E "ERROR|SUMMARY|bad diagnostic|Test unit written|artifact_prefix" "$out/$target.log" | head -20
	exit 1
fi
echo "PASS: no crash, leak, hang or bad diagnostic"
