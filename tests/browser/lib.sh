# lib.sh: what every browser test script needs first, sourced after `here` is set.
#
#   browser_setup NAME   skips (exit 77, with the reason) when chromium, node or node_modules is
#                        missing; sets CHROMIUM (default /usr/bin/chromium) and tmp, a scratch
#                        folder removed on exit
browser_setup()
{
	CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
	local why=
	if [ ! -x "$CHROMIUM" ]; then
		why="$CHROMIUM not found (apt-get install chromium)"
	elif ! command -v node >/dev/null; then
		why="node not found (apt-get install nodejs npm)"
	elif [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
		why="tests/browser/node_modules missing (run: cd tests/browser && npm ci)"
	fi
	if [ -n "$why" ]; then
		echo "SKIP $1: $why"
		exit 77
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/scorch-browser-$1.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
}
