#!/usr/bin/env bash
# config.sh: `scorch config check`, `init` and `keys` (issue 14): the seeds' two files pass with
# their notes, every kind of mistake is an error naming FILE:LINE:COL and the key (exit 1), init's
# file passes check and refuses to overwrite without --force, a full disk keeps the previous file,
# and docs/config.md holds the table `config keys` prints.
. "$(dirname "$0")/lib.sh"
make_tmp
DATA=$SRCDIR/tests/data/toml
fw=$BUILD/tests/programs/libfailwrite.so

# 1. The seeds' files load unchanged; the Windows keys are notes, not errors.
for f in cpu_profiling memory_profiling; do
	rc=0
	"$SCORCH" config check "$DATA/seeds/$f.toml" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ $rc = 0 ] || fail "config check $f.toml exited $rc: $(cat "$TMP/err")"
	[ ! -s "$TMP/err" ] || fail "config check $f.toml wrote to stderr: $(cat "$TMP/err")"
	grep -qxF "$DATA/seeds/$f.toml: ok" "$TMP/out" || fail "no 'ok' line for $f.toml: $(cat "$TMP/out")"
done
"$SCORCH" config check "$DATA/seeds/cpu_profiling.toml" >"$TMP/out"
for k in use_etw:18 high_resolution_timer:19 kernel_mode_events:20; do
	grep -qxF "$DATA/seeds/cpu_profiling.toml:${k#*:}:1: note: [windows_specific] ${k%:*} has no effect on Linux" \
		"$TMP/out" || fail "no note for ${k%:*}: $(cat "$TMP/out")"
done
ok "the seeds' cpu_profiling.toml and memory_profiling.toml pass, with a note per Windows key"

# 2. Mistakes: each error names the file, line, column and key; all of a file's errors are
#    shown; exit 1; nothing on stdout.
cat >"$TMP/bad.toml" <<'TOML'
[profiling]
sample_rate = 99
stack_depth = "deep"

[output]
format = "svg"

[reportng]
format = "json"
TOML
rc=0
"$SCORCH" config check "$TMP/bad.toml" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "config check bad.toml exited $rc, expected 1"
[ ! -s "$TMP/out" ] || fail "config check bad.toml printed on stdout: $(cat "$TMP/out")"
cat >"$TMP/want" <<WANT
scorch config: $TMP/bad.toml:2:1: unknown key 'sample_rate' in [profiling] (did you mean 'sample_rate_hz'? [memory] has 'sample_rate')
scorch config: $TMP/bad.toml:3:1: [profiling] stack_depth must be an integer, not a string
scorch config: $TMP/bad.toml:6:1: [output] format must be one of flamegraph, pprof, folded, speedscope, chrome, not "svg"
scorch config: $TMP/bad.toml:8:2: unknown section [reportng] (did you mean [reporting]?)
scorch config: $TMP/bad.toml: 4 errors
WANT
diff -u "$TMP/want" "$TMP/err" || fail "config check bad.toml: unexpected messages"
ok "a file's mistakes are errors naming FILE:LINE:COL and the key, with did-you-mean"

# A syntax error: one error at its position; several files: each judged, exit 1 if any fails.
printf '[profiling]\nenabled = true\nenabled = false\n' >"$TMP/dup.toml"
rc=0
"$SCORCH" config check "$DATA/seeds/memory_profiling.toml" "$TMP/dup.toml" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "config check seed+dup exited $rc, expected 1"
grep -qxF "scorch config: $TMP/dup.toml:3:1: duplicate key 'enabled' (first defined at line 2)" "$TMP/err" ||
	fail "dup.toml: $(cat "$TMP/err")"
grep -qxF "$DATA/seeds/memory_profiling.toml: ok" "$TMP/out" || fail "the good file was not judged ok"
rc=0
"$SCORCH" config check "$TMP/none.toml" 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "config check of a missing file exited $rc"
grep -qxF "scorch config: cannot read '$TMP/none.toml': No such file or directory" "$TMP/err" ||
	fail "missing file: $(cat "$TMP/err")"
rc=0
"$SCORCH" config check /dev/zero 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "config check /dev/zero exited $rc"
grep -qF "/dev/zero" "$TMP/err" || fail "config check /dev/zero does not name the file: $(cat "$TMP/err")"
ok "syntax errors, missing and endless files are errors naming the file (exit 1)"

# 3. init: a commented file with every key at its default, which passes check.
( cd "$TMP" && "$SCORCH" config init 2>"$TMP/err" ) || fail "config init exited $?"
grep -qF "wrote scorch.toml" "$TMP/err" || fail "config init said: $(cat "$TMP/err")"
"$SCORCH" config check "$TMP/scorch.toml" >"$TMP/out" || fail "init's file does not pass check"
[ "$(cat "$TMP/out")" = "$TMP/scorch.toml: ok" ] || fail "init's file has notes: $(cat "$TMP/out")"
"$SCORCH" config keys | sed -n 's/^| `\([a-z_]*\)\.\([a-z_]*\)` .*/\1 \2/p' >"$TMP/keys"
[ "$(wc -l <"$TMP/keys")" -ge 30 ] || fail "config keys lists $(wc -l <"$TMP/keys") keys"
while read -r sec key; do
	[ "$sec" = windows_specific ] && continue
	awk -v s="[$sec]" -v k="$key" '$0 == s { in_s = 1; next } /^\[/ { in_s = 0 }
		in_s && $1 == k && $2 == "=" { found = 1 } END { exit !found }' "$TMP/scorch.toml" ||
		fail "init's file lacks $sec.$key"
done <"$TMP/keys"
grep -B1 '^sample_rate_hz = 1000$' "$TMP/scorch.toml" | grep -q '^# .*1 to 100000' ||
	fail "init's sample_rate_hz has no help with its range"
"$SCORCH" config init - >"$TMP/stdout.toml" || fail "config init - exited $?"
cmp -s "$TMP/stdout.toml" "$TMP/scorch.toml" || fail "config init - differs from the file"
ok "init writes every key with its default and help; the file passes check"

# Refuses to overwrite without --force; --force replaces.
echo "# mine" >"$TMP/mine.toml"
rc=0
"$SCORCH" config init "$TMP/mine.toml" 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "config init over an existing file exited $rc"
grep -qF "'$TMP/mine.toml' exists; use --force to replace it" "$TMP/err" || fail "$(cat "$TMP/err")"
[ "$(cat "$TMP/mine.toml")" = "# mine" ] || fail "config init changed an existing file"
ln -s mine.toml "$TMP/link.toml"
rc=0
"$SCORCH" config init "$TMP/link.toml" 2>/dev/null || rc=$?
[ $rc = 1 ] && [ -L "$TMP/link.toml" ] || fail "config init replaced a symlink without --force (exit $rc)"
"$SCORCH" config init /dev/null || fail "config init /dev/null exited $?"
"$SCORCH" config init --force "$TMP/mine.toml" 2>/dev/null || fail "config init --force exited $?"
cmp -s "$TMP/mine.toml" "$TMP/scorch.toml" || fail "--force did not write the default file"
ok "init refuses an existing file, --force replaces it"

# A full disk keeps the previous file and says ENOSPC.
if [ -f "$fw" ]; then
	echo "# previous" >"$TMP/prev.toml"
	rc=0
	LD_PRELOAD=$fw SC_FAIL_WRITE_MATCH=prev.toml "$SCORCH" config init --force "$TMP/prev.toml" \
		2>"$TMP/err" || rc=$?
	[ $rc = 1 ] || fail "config init on a full disk exited $rc"
	grep -qF "cannot write '$TMP/prev.toml': No space left on device" "$TMP/err" || fail "$(cat "$TMP/err")"
	[ "$(cat "$TMP/prev.toml")" = "# previous" ] || fail "a failed init changed the previous file"
	[ -z "$(find "$TMP" -name '.prev.toml.*')" ] || fail "a temporary was left behind"
	ok "a full disk keeps the previous file"
fi

# 4. Usage errors exit 2; docs/config.md holds the key table as config keys prints it.
for args in "" "check" "bogus" "init a b" "keys x"; do
	rc=0
	# shellcheck disable=SC2086
	"$SCORCH" config $args >/dev/null 2>&1 || rc=$?
	[ $rc = 2 ] || fail "scorch config $args exited $rc, expected 2"
done
"$SCORCH" config keys >"$TMP/table"
grep -qxFf "$TMP/table" "$SRCDIR/docs/config.md" || fail "docs/config.md lacks config keys' table"
missing=$(grep -vxFf <(cat "$SRCDIR/docs/config.md") "$TMP/table" | head -3)
[ -z "$missing" ] || fail "docs/config.md differs from scorch config keys on: $missing"
ok "usage errors exit 2; docs/config.md has the table of config keys"
