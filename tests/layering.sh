#!/bin/sh
# layering.sh: the layers of fcgi/ include only what lies beneath them (TAP).
#   core/    includes nothing from domain/, http/, api/, admin/, telegram/, bin/;
#   domain/  includes nothing from http/, api/, admin/, telegram/, bin/, nor the
#            HTTP side of core/ (the request, its transport, routes, pages, forms).
#   http/, api/, admin/ (the HTTP side) are above both.
# Sizes (issue #15): no file of fcgi/ over 800 lines, no function over 100
# (a function: from its name at the start of a line to the first "}" there).
# Only the #include "..." lines are read; a header is placed by the folder of
# fcgi/ that holds it.  There are no exceptions: any violation fails.
# usage: layering.sh [SRCDIR]   (default: $TOP_SRCDIR, else .)
set -u
top=${1:-${TOP_SRCDIR:-.}}
cd "$top" || { echo "Bail out! no source tree at $top"; exit 1; }

HTTP_SIDE="request.h server.h transport.h fcgiconn.h router.h page.h form.h"
n=0
fail=0
tap() { n=$((n + 1)); echo "$1 $n - $2"; }

# The folder of fcgi/ holding header h ("?" when none: a system or generated one).
layer_of() {
	for d in fcgi/*/; do
		if [ -f "$d$1" ]; then basename "$d"; return; fi
	done
	echo "?"
}

# Whether header h, of layer l, is forbidden to a file of layer from.
forbidden() {
	case "$1:$2" in
	core:domain|core:http|core:api|core:admin|core:telegram|core:bin) return 0 ;;
	domain:http|domain:api|domain:admin|domain:telegram|domain:bin) return 0 ;;
	domain:core)
		for x in $HTTP_SIDE; do [ "$x" = "$3" ] && return 0; done ;;
	esac
	return 1
}

for layer in core domain; do
	bad=0
	for f in fcgi/$layer/*.c fcgi/$layer/*.h; do
		[ -f "$f" ] || continue
		for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
			l=$(layer_of "$h")
			forbidden "$layer" "$l" "$h" || continue
			tap "not ok" "$f includes $l/$h: $layer/ may not"
			bad=1
			fail=1
		done
	done
	[ $bad -eq 0 ] && tap ok "$layer/ includes nothing from a layer above it"
done
big=0
for f in fcgi/*/*.c fcgi/*/*.h; do
	lines=$(wc -l < "$f")
	if [ "$lines" -gt 800 ]; then
		tap "not ok" "$f has $lines lines (at most 800)"
		big=1
	fi
	long=$(awk '/^[a-z_][a-z0-9_]*\(/ { name = $0; start = FNR; infn = 1 }
	    infn && /^}/ { if (FNR - start + 1 > 100) printf "%s:%d %s (%d lines)\n",
	    FILENAME, start, substr(name, 1, index(name, "(") - 1), FNR - start + 1;
	    infn = 0 }' "$f")
	if [ -n "$long" ]; then
		echo "$long" | while IFS= read -r l; do echo "# $l"; done
		tap "not ok" "$f has a function over 100 lines"
		big=1
	fi
done
[ $big -eq 0 ] && tap ok "no file of fcgi/ over 800 lines, no function over 100"
[ $big -eq 0 ] || fail=1
echo "1..$n"
exit $fail
