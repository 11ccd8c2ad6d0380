# tmux_lib.sh: sourced by the console tests (console_tmux.sh, console_trace_live.sh) after lib.sh:
# a private tmux server and reading the console's screen from it.
#
#   tm                      the tmux command on this test's own socket (an array: "${tm[@]}" ...)
#   tmux_target NAME        the session the helpers below read (set once it is created)
#   capture                 the session's screen into $screen
#   wait_for REGEX WHAT     polls the screen until a line matches (60 s at most), else fails
#   wait_gone REGEX WHAT    polls until no line matches, else fails
#   count_of NAME           the count column of span NAME's row in $screen
#   span_names              the span rows' names in $screen, in order, on one line
#   wait_count_grows NAME [FROM]
#                           polls until NAME's count exceeds FROM (default: the one first seen);
#                           sets c1 (FROM) and c2 (the count that exceeded it)
#
# Every wait polls with a generous overall timeout; nothing is checked against time.
command -v tmux >/dev/null || skip "tmux is not installed (tools/deps.sh installs it)"
tm=(tmux -L "scorch-test-$$" -f /dev/null)
target=
screen=""

tmux_target()
{
	target=$1
}

capture()
{
	screen=$("${tm[@]}" capture-pane -p -t "$target" 2>/dev/null)
}

wait_for()
{
	for _ in $(seq 300); do
		capture
		grep -qE -- "$1" <<<"$screen" && return 0
		sleep 0.2
	done
	printf '%s\n' "$screen" >&2
	fail "the screen never showed $2 (/$1/)"
}

wait_gone()
{
	for _ in $(seq 300); do
		capture
		grep -qE -- "$1" <<<"$screen" || return 0
		sleep 0.2
	done
	printf '%s\n' "$screen" >&2
	fail "the screen still shows $2 (/$1/)"
}

count_of()
{
	awk -v n="$1" '$1 == n && $2 ~ /^[0-9]+$/ { print $2; exit }' <<<"$screen"
}

# The lines between SPANS and THREADS.
span_names()
{
	awk '/^SPANS/ { on = 1; next } /^THREADS/ { on = 0 } on && $2 ~ /^[0-9]/ { print $1 }' \
		<<<"$screen" | tr '\n' ' '
}

wait_count_grows()
{
	capture
	c1=${2:-$(count_of "$1")}
	for _ in $(seq 300); do
		capture
		c2=$(count_of "$1")
		[ -n "$c2" ] && [ "$c2" -gt "$c1" ] && return 0
		sleep 0.2
	done
	fail "$1's count did not grow ($c1, then $c2)"
}
