#!/bin/sh
# Checks the ABI of libmosaic.so:
#  (a) every exported symbol starts with mosaic_;
#  (b) every exported function is declared in a public header;
#  (c) every function declared in a public header that is built is exported.
# Headers of backends that were not built (see config.h) are skipped.
# Usage: test-symbols.sh NM LIBMOSAIC INCLUDE_DIR CONFIG_H
set -eu

nm=$1 lib=$2 incdir=$3 config=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A header foo.h belongs to an optional part when config.h defines
# MOSAIC_HAS_FOO (vulkan.h: MOSAIC_HAS_VULKAN, gles.h: MOSAIC_HAS_GLES, ...);
# it is checked only when that macro is 1. Other headers are always built.
header_macro() {
	name=$(basename "$1" .h | tr 'a-z-' 'A-Z_')
	if grep -Eq "^#define MOSAIC_HAS_$name " "$config"; then
		echo "MOSAIC_HAS_$name"
	fi
}

built() {
	grep -Eq "^#define $1 1\$" "$config"
}

"$nm" -D --defined-only "$lib" | awk '{ print $2, $3 }' > "$tmp/nm"
# Linker-generated version nodes are not symbols of ours.
grep -v '^A ' "$tmp/nm" | awk '{ print $2 }' | sort -u > "$tmp/exported"
grep -E '^[TtWi] ' "$tmp/nm" | awk '{ print $2 }' | sort -u > "$tmp/exported_functions"

status=0
bad=$(grep -v '^mosaic_' "$tmp/exported" || true)
if [ -n "$bad" ]; then
	echo "exported symbols without the mosaic_ prefix:"
	echo "$bad" | sed 's/^/  /'
	status=1
fi

: > "$tmp/declared"
for header in "$incdir"/*.h; do
	macro=$(header_macro "$header")
	if [ -n "$macro" ] && ! built "$macro"; then
		echo "skipping $(basename "$header"): $macro is 0"
		continue
	fi
	# Function declarations: a mosaic_ name followed by "(", once comments,
	# preprocessor lines and function pointers "(*name)" are removed.
	# Continuation lines are joined so that multi-line macros stay one line.
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' -e 's,//.*$,,' "$header" |
		awk 'BEGIN { c = 0 } {
			line = $0
			out = ""
			while (length(line) > 0) {
				if (c) {
					i = index(line, "*/")
					if (i == 0) { line = ""; break }
					line = substr(line, i + 2); c = 0
				} else {
					i = index(line, "/*")
					if (i == 0) { out = out line; line = ""; break }
					out = out substr(line, 1, i - 1); line = substr(line, i + 2); c = 1
				}
			}
			print out
		}' |
		grep -v '^[[:space:]]*#' |
		grep -vE '^[[:space:]]*static[[:space:]]' |
		sed -E 's/\([[:space:]]*\*[[:space:]]*mosaic_[A-Za-z0-9_]*[[:space:]]*\)//g' |
		grep -oE '(^|[^A-Za-z0-9_])mosaic_[A-Za-z0-9_]+[[:space:]]*\(' |
		sed -E 's/^[^m]*//; s/[[:space:]]*\($//' >> "$tmp/declared" || true
done
sort -u "$tmp/declared" -o "$tmp/declared"

missing_decl=$(comm -23 "$tmp/exported_functions" "$tmp/declared")
if [ -n "$missing_decl" ]; then
	echo "exported functions declared in no public header:"
	echo "$missing_decl" | sed 's/^/  /'
	status=1
fi
missing_export=$(comm -13 "$tmp/exported_functions" "$tmp/declared")
if [ -n "$missing_export" ]; then
	echo "public functions that libmosaic does not export:"
	echo "$missing_export" | sed 's/^/  /'
	status=1
fi

echo "$(wc -l < "$tmp/exported") exported symbols, $(wc -l < "$tmp/declared") declared functions"
exit $status
