#ifndef MOSAIC_GEOMETRY_H
#define MOSAIC_GEOMETRY_H

/**
 * Boxes and output transforms: the geometry every other header uses.
 */

#include <stdbool.h>
#include <stdint.h>

/** An integer rectangle in pixels. Empty when width or height is <= 0. */
struct mosaic_box {
	int x, y;
	int width, height;
};

/** A rectangle in (possibly fractional) pixels. Empty when width or height <= 0. */
struct mosaic_fbox {
	double x, y;
	double width, height;
};

/**
 * The eight wl_output transforms, with the same numeric values as
 * enum wl_output_transform. As in the Wayland protocol, MOSAIC_TRANSFORM_90
 * means the content is rotated 90 degrees counter-clockwise; the FLIPPED
 * variants first mirror around the vertical axis, then rotate.
 */
enum mosaic_transform {
	MOSAIC_TRANSFORM_NORMAL = 0,
	MOSAIC_TRANSFORM_90 = 1,
	MOSAIC_TRANSFORM_180 = 2,
	MOSAIC_TRANSFORM_270 = 3,
	MOSAIC_TRANSFORM_FLIPPED = 4,
	MOSAIC_TRANSFORM_FLIPPED_90 = 5,
	MOSAIC_TRANSFORM_FLIPPED_180 = 6,
	MOSAIC_TRANSFORM_FLIPPED_270 = 7,
};

/** True when `box` is NULL or has no area. */
bool mosaic_box_empty(const struct mosaic_box *box);

/** True when `box` is NULL or has no area. */
bool mosaic_fbox_empty(const struct mosaic_fbox *box);

/**
 * Stores the intersection of `a` and `b` in `dst` (which may alias either) and
 * returns whether it is non-empty. An empty result is stored as all zeroes.
 */
bool mosaic_box_intersection(struct mosaic_box *dst, const struct mosaic_box *a,
	const struct mosaic_box *b);

/** True when the point (x, y) lies inside `box` (right and bottom edges excluded). */
bool mosaic_box_contains_point(const struct mosaic_box *box, double x, double y);

/**
 * Maps `box`, given in a `width` x `height` space, through `transform`. The
 * result lives in the transformed space, whose size is swapped for the 90 and
 * 270 variants. Example: with MOSAIC_TRANSFORM_90 a 100x50 space becomes 50x100
 * and its top-left pixel ends at the bottom-left.
 */
void mosaic_box_transform(struct mosaic_box *dst, const struct mosaic_box *box,
	enum mosaic_transform transform, int width, int height);

/** Same as mosaic_box_transform() for fractional boxes. */
void mosaic_fbox_transform(struct mosaic_fbox *dst, const struct mosaic_fbox *box,
	enum mosaic_transform transform, double width, double height);

/** The transform that undoes `transform`. */
enum mosaic_transform mosaic_transform_invert(enum mosaic_transform transform);

/** The transform equivalent to applying `a`, then `b`. */
enum mosaic_transform mosaic_transform_compose(enum mosaic_transform a,
	enum mosaic_transform b);

/** True for the transforms that swap width and height (90, 270 and their flips). */
bool mosaic_transform_swaps_axes(enum mosaic_transform transform);

/**
 * Fills the 3x3 row-major matrix `mat` that maps normalized texture
 * coordinates (0..1, before the transform) to normalized coordinates in the
 * transformed space, as the GPU backends use it.
 */
void mosaic_transform_matrix(float mat[static 9], enum mosaic_transform transform);

/** Short name ("normal", "90", ..., "flipped-270"), or NULL for an invalid value. */
const char *mosaic_transform_name(enum mosaic_transform transform);

/**
 * Parses a name as returned by mosaic_transform_name(). Returns false (and
 * leaves *out untouched) for an unknown name.
 */
bool mosaic_transform_from_name(const char *name, enum mosaic_transform *out);

#endif
