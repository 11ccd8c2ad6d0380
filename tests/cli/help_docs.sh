#!/usr/bin/env bash
# help_docs.sh: each command's generated --help and its page docs/cmd/NAME.md agree: every usage
# line and every option of the help appears in the page, and `scorch help NAME` is the same text.
set -u
. "$(dirname "$0")/lib.sh"
for cmd in record heap trace report diff bench console gpu config push run; do
	doc="$SRCDIR/docs/cmd/$cmd.md"
	[ -f "$doc" ] || fail "docs/cmd/$cmd.md is missing"
	help=$("$SCORCH" "$cmd" --help) || fail "scorch $cmd --help exited non-zero"
	[ "$help" = "$("$SCORCH" help "$cmd")" ] || fail "scorch help $cmd differs from scorch $cmd --help"
	grep -q '^EXAMPLES' <<<"$help" || fail "scorch $cmd --help has no EXAMPLES"
	while IFS= read -r line; do
		u=$(sed -E 's/^(usage:)? +//' <<<"$line")
		grep -qF -- "$u" "$doc" || fail "docs/cmd/$cmd.md lacks the usage line: $u"
	done < <(sed -n '/^usage:/,/^$/p' <<<"$help" | grep -v '^$')
	while IFS= read -r opt; do
		grep -qF -- "$opt" "$doc" || fail "docs/cmd/$cmd.md does not document $opt"
	done < <(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
done
echo "ok: help and docs agree"
