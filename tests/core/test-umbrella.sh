#!/bin/sh
# <mosaic/mosaic.h> includes every public header this build installs, except
# interface.h (for backend authors) and itself; the headers of optional
# backends under their MOSAIC_HAS_* guard from config.h.
# Usage: test-umbrella.sh MOSAIC_H HEADER...
set -eu

umbrella=$1
shift
status=0
for header in "$@"; do
	name=$(basename "$header")
	case $name in
	interface.h | mosaic.h) continue ;;
	esac
	if ! grep -Eq "^#include <mosaic/$name>\$" "$umbrella"; then
		echo "mosaic.h does not include <mosaic/$name>"
		status=1
	fi
done
# config.h is generated, not in the list: it says which backends are there.
if ! grep -Eq '^#include <mosaic/config.h>$' "$umbrella"; then
	echo "mosaic.h does not include <mosaic/config.h>"
	status=1
fi
exit $status
