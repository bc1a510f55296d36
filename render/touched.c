#include <stdlib.h>

#include "private/log.h"
#include "private/touched.h"

void mosaic_touched_init(struct mosaic_touched *touched)
{
	*touched = (struct mosaic_touched){0};
}

void mosaic_touched_finish(struct mosaic_touched *touched)
{
	free(touched->boxes);
	*touched = (struct mosaic_touched){0};
}

void mosaic_touched_reset(struct mosaic_touched *touched)
{
	touched->n_boxes = 0;
}

bool mosaic_touched_add(struct mosaic_touched *touched, const pixman_region32_t *clip)
{
	if (!pixman_region32_not_empty((pixman_region32_t *)clip)) {
		return true;
	}
	if (touched->n_boxes == touched->cap_boxes) {
		size_t cap = touched->cap_boxes == 0 ? 64 : touched->cap_boxes * 2;
		pixman_box32_t *boxes = realloc(touched->boxes, cap * sizeof(*boxes));
		if (boxes == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return false;
		}
		touched->boxes = boxes;
		touched->cap_boxes = cap;
	}
	touched->boxes[touched->n_boxes++] = *pixman_region32_extents(clip);
	return true;
}

void mosaic_touched_build(const struct mosaic_touched *touched, pixman_region32_t *out,
	int max_rects)
{
	pixman_region32_fini(out);
	if (!pixman_region32_init_rects(out, touched->boxes, (int)touched->n_boxes) &&
			touched->n_boxes > 0) {
		// The extents hold every box: a larger copy, never a missing one.
		pixman_box32_t all = touched->boxes[0];
		for (size_t i = 1; i < touched->n_boxes; i++) {
			const pixman_box32_t *b = &touched->boxes[i];
			all.x1 = b->x1 < all.x1 ? b->x1 : all.x1;
			all.y1 = b->y1 < all.y1 ? b->y1 : all.y1;
			all.x2 = b->x2 > all.x2 ? b->x2 : all.x2;
			all.y2 = b->y2 > all.y2 ? b->y2 : all.y2;
		}
		pixman_region32_init_with_extents(out, &all);
		mosaic_log(MOSAIC_LOG_WARN, "touched region: out of memory, copying the extents");
		return;
	}
	if (pixman_region32_n_rects(out) > max_rects) {
		pixman_box32_t all = *pixman_region32_extents(out);
		pixman_region32_reset(out, &all);
	}
}
