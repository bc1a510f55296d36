#include <stdlib.h>

#include <mosaic/buffer.h>
#include <mosaic/format.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

/* A buffer over caller memory (mosaic_buffer_from_data). */
struct data_buffer {
	struct mosaic_buffer base;
	void *data;
	uint32_t fourcc;
	uint32_t stride;
};

static void data_buffer_destroy(struct mosaic_buffer *buffer)
{
	free(mosaic_container_of(buffer, struct data_buffer, base));
}

static bool data_buffer_begin_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct data_buffer *b = mosaic_container_of(buffer, struct data_buffer, base);
	*data = b->data;
	*fourcc = b->fourcc;
	*stride = b->stride;
	return true;
}

static void data_buffer_end_access(struct mosaic_buffer *buffer)
{
}

static const struct mosaic_buffer_impl data_buffer_impl = {
	.destroy = data_buffer_destroy,
	.begin_data_access = data_buffer_begin_access,
	.end_data_access = data_buffer_end_access,
};

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_from_data(int width, int height,
	uint32_t fourcc, uint32_t stride, void *data)
{
	if (data == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no data given");
		return NULL;
	}
	if (!mosaic_format_check_layout(fourcc, width, height, stride)) {
		return NULL;
	}
	struct data_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_buffer_init(&b->base, &data_buffer_impl, width, height);
	b->data = data;
	b->fourcc = fourcc;
	b->stride = stride;
	return &b->base;
}
