#ifndef MOSAIC_PRIVATE_TOUCHED_H
#define MOSAIC_PRIVATE_TOUCHED_H

#include <stdbool.h>
#include <stddef.h>

#include <pixman.h>

/**
 * The pixels a pass's draws may change, for backends that render a CPU
 * buffer through a GPU image: only these are uploaded before the draws and
 * read back after them. Each draw notes the bounding box of its clip; the
 * boxes become a region once, at submit (a union per draw costs more).
 * Caller-owned storage: mosaic_touched_init() / mosaic_touched_finish().
 */
struct mosaic_touched {
	pixman_box32_t *boxes;
	size_t n_boxes, cap_boxes;
};

void mosaic_touched_init(struct mosaic_touched *touched);

/** Frees the boxes. */
void mosaic_touched_finish(struct mosaic_touched *touched);

/** Forgets the boxes and keeps their storage (a pass reused for the next frame). */
void mosaic_touched_reset(struct mosaic_touched *touched);

/**
 * Notes the bounding box of a draw's clip (an empty clip notes nothing).
 * Returns false with one log line when the box cannot be stored.
 */
bool mosaic_touched_add(struct mosaic_touched *touched, const pixman_region32_t *clip);

/**
 * Replaces `out` (initialized) with the union of the noted boxes; past
 * `max_rects` rectangles, with their extents: each rectangle costs a copy
 * each way, and past a few one large copy is cheaper. When pixman runs out
 * of memory `out` is the extents (one warning): more is copied, never less.
 */
void mosaic_touched_build(const struct mosaic_touched *touched, pixman_region32_t *out,
	int max_rects);

#endif
