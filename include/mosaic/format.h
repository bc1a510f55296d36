#ifndef MOSAIC_FORMAT_H
#define MOSAIC_FORMAT_H

/**
 * Pixel formats, named by DRM fourcc (drm_fourcc.h), and sets of
 * (format, modifier) pairs used for negotiation between clients, renderers,
 * allocators and KMS planes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Facts about one single-plane RGB format mosaic knows. */
struct mosaic_format_info {
	/** DRM fourcc, e.g. DRM_FORMAT_ARGB8888. */
	uint32_t fourcc;
	/**
	 * The name of the DRM_FORMAT_* macro without its prefix, e.g. "ARGB8888"
	 * (drmGetFormatName() prints the fourcc characters, "AR24", instead).
	 */
	const char *name;
	/** The same layout with the alpha channel ignored (ARGB8888 -> XRGB8888), or 0. */
	uint32_t opaque_substitute;
	/** Bytes per pixel. */
	uint32_t bytes_per_pixel;
	/** True when the format carries alpha. */
	bool has_alpha;
};

/**
 * The table entry for `fourcc`, or NULL when mosaic does not know the
 * format. The returned pointer is static and valid forever.
 */
const struct mosaic_format_info *mosaic_format_get_info(uint32_t fourcc);

/**
 * All formats mosaic knows, in table order. *count receives the number of
 * entries; the array is static.
 */
const struct mosaic_format_info *mosaic_format_get_all(size_t *count);

/**
 * The format's name for logs: the table name for known formats, otherwise the
 * four characters of the code as drmGetFormatName() prints them
 * (non-printable ones as '?') followed by the hex value, e.g.
 * "NV12 (0x3231564e)".
 * The result is written to `buf` (at least 32 bytes) and returned.
 */
const char *mosaic_format_name(uint32_t fourcc, char buf[static 32]);

/** Looks up a known format by table name ("XRGB8888"); 0 when unknown. */
uint32_t mosaic_format_from_name(const char *name);

/**
 * Checks that a `width` x `height` image of `fourcc` with `stride` bytes per
 * row is well formed: known format, 0 < size <= MOSAIC_MAX_IMAGE_SIZE, stride
 * at least width * bytes per pixel and a multiple of the pixel size, total
 * size without overflow. Logs the reason and returns false otherwise.
 */
bool mosaic_format_check_layout(uint32_t fourcc, int width, int height, uint32_t stride);

/** Largest width or height accepted anywhere in mosaic, in pixels. */
#define MOSAIC_MAX_IMAGE_SIZE 16384

/** One format and the modifiers it can be used with. */
struct mosaic_format {
	uint32_t fourcc;
	size_t n_modifiers;
	/** Owned by the set; kept sorted ascending, without duplicates. */
	uint64_t *modifiers;
};

/**
 * A set of (fourcc, modifier) pairs. Caller-owned storage: zero-initialize it
 * (or use mosaic_format_set_init()), fill it, release with
 * mosaic_format_set_finish(). Formats are kept sorted by fourcc.
 */
struct mosaic_format_set {
	size_t n_formats;
	struct mosaic_format *formats;
};

/** Makes `set` empty without freeing anything (for storage not yet initialized). */
void mosaic_format_set_init(struct mosaic_format_set *set);

/** Frees what `set` holds and leaves it empty. Accepts NULL. */
void mosaic_format_set_finish(struct mosaic_format_set *set);

/** Adds the pair; returns false only on allocation failure. */
bool mosaic_format_set_add(struct mosaic_format_set *set, uint32_t fourcc, uint64_t modifier);

/** Removes a pair; returns whether it was present. */
bool mosaic_format_set_remove(struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier);

/** True when the pair is in the set. */
bool mosaic_format_set_has(const struct mosaic_format_set *set, uint32_t fourcc,
	uint64_t modifier);

/** The entry for `fourcc`, or NULL. Valid until the set is next modified. */
const struct mosaic_format *mosaic_format_set_get(const struct mosaic_format_set *set,
	uint32_t fourcc);

/**
 * Replaces `dst` with a copy of `src`. `dst` must be initialized (possibly
 * holding data, which is freed). On failure `dst` is left empty.
 */
bool mosaic_format_set_copy(struct mosaic_format_set *dst, const struct mosaic_format_set *src);

/**
 * Replaces `dst` with the pairs present in both `a` and `b`. `dst` may alias
 * `a` or `b`. On failure `dst` is left empty. Returns false on allocation
 * failure only; an empty intersection is a success.
 */
bool mosaic_format_set_intersect(struct mosaic_format_set *dst,
	const struct mosaic_format_set *a, const struct mosaic_format_set *b);

/** Like mosaic_format_set_intersect(), with the pairs present in either set. */
bool mosaic_format_set_union(struct mosaic_format_set *dst,
	const struct mosaic_format_set *a, const struct mosaic_format_set *b);

#endif
