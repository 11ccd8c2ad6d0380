#!/usr/bin/env bash
# gpu_kernels_real.sh: libscorch-cupti.so against NVIDIA's own CUPTI library of the toolkit it was
# built with (/usr/local/cuda/lib64/libcupti.so.13, or $SCORCH_TEST_REAL_CUPTI), with the stand-in
# driver (there is no GPU here):
#   - every CUPTI function the library looks up, required or optional, is exported by the real
#     library under that name (the stand-in cannot tell: it was written from the same header);
#   - loaded for real into gpu_app, CUPTI fails (it finds no real driver) and scorch names the
#     CUPTI function and error in one line, while the program runs to its end and its exit
#     status is scorch's.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
FAKE=$BUILD/tests/fake/cuda
[ -f "$FAKE/libcupti.so" ] || skip "no CUDA headers at build time: libscorch-cupti.so and the stand-ins are not built"
REAL=${SCORCH_TEST_REAL_CUPTI:-/usr/local/cuda/lib64/libcupti.so.13}
[ -f "$REAL" ] || skip "no real CUPTI library at $REAL"
command -v nm >/dev/null || skip "no nm"

# The names inject.c loads: its CUPTI_FUNCS and CUPTI_OPTIONAL lists.
names=$(sed -n '/^#define CUPTI_FUNCS/,/^$/p;/^#define CUPTI_OPTIONAL/,/^$/p' \
	"$SRCDIR/src/gpu/cupti/inject.c" | grep -o 'X(cupti[A-Za-z]*)' | sed 's/X(\(.*\))/\1/')
[ "$(echo "$names" | wc -l)" -ge 10 ] || fail "could not read inject.c's lists: $names"
nm -D --defined-only "$REAL" | awk '{sub(/@.*/, "", $NF); print $NF}' >"$TMP/exported"
for n in $names; do
	grep -qx "$n" "$TMP/exported" || fail "$REAL does not export $n"
done
ok "every CUPTI function libscorch-cupti.so loads is in $(basename "$REAL")"

SCORCH_CUPTI_LIB="$REAL" SCORCH_NVML_LIB="$TMP/none.so" \
	SCORCH_FAKE_CUDA="$SRCDIR/tests/cli/gpu_kernels.script" \
	"$SCORCH" gpu -q -o "$TMP/out" -- "$BUILD/tests/programs/gpu_app" >"$TMP/out.txt" 2>"$TMP/err.txt"
rc=$?
[ "$rc" = 0 ] || fail "exit $rc: $(cat "$TMP/err.txt")"
grep -q '^gpu_app: done' "$TMP/out.txt" || fail "the program did not run to its end"
grep -q 'has no cupti' "$TMP/err.txt" && fail "a function missing: $(cat "$TMP/err.txt")"
if grep -q '^scorch gpu: CUPTI failed, no kernel trace: cupti[A-Za-z]*: CUPTI_ERROR_' "$TMP/err.txt"; then
	ok "the real CUPTI without a driver: one line naming the call and its error"
else
	# A CUPTI that accepts the stand-in driver records what it can: no crash, no other line.
	[ "$(grep -vc '^scorch gpu: NVML' "$TMP/err.txt")" -le 1 ] || fail "$(cat "$TMP/err.txt")"
	ok "the real CUPTI loaded: $(grep -v '^scorch gpu: NVML' "$TMP/err.txt")"
fi
