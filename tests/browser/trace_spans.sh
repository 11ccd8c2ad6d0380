#!/usr/bin/env bash
# trace_spans.sh: the spans of scorch record --trace on flamegraph.html's timeline tracks, in
# headless Chromium (trace_spans.test.js): scorch record --trace of tests/programs/trace_known
# (its comments give the spans: main runs run > outer > inner and spin, two named workers run
# "work" five times each and only sleep, so their tracks come from their spans alone).
# Needs what run.sh needs and perf sampling; skips with exit 77 and the reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SCORCH:?SCORCH must name the scorch executable}"
: "${TRACE_KNOWN:?TRACE_KNOWN must name tests/programs/trace_known}"
. "$here/lib.sh"
browser_setup trace_spans
if ! "$SCORCH" record -q --trace -F 1000 -o "$tmp/rec" -- "$TRACE_KNOWN" >"$tmp/log" 2>&1; then
	if grep -q perf_event_paranoid "$tmp/log"; then
		echo "SKIP trace_spans: perf sampling is not allowed here"
		exit 77
	fi
	echo "FAIL: scorch record --trace failed:"
	cat "$tmp/log"
	exit 1
fi
CHROMIUM="$CHROMIUM" node "$here/trace_spans.test.js" "$tmp"
