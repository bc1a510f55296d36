#include <mosaic/buffer.h>
#include <mosaic/format.h>

#include "private/buffer_access.h"
#include "private/dmabuf.h"
#include "private/log.h"

bool mosaic_buffer_access_begin(struct mosaic_buffer_access *access,
	struct mosaic_buffer *buffer, uint32_t flags)
{
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	*access = (struct mosaic_buffer_access){
		.buffer = buffer,
		.flags = flags,
		// Buffers without a CPU pointer are mapped when they are linear dmabufs.
		.dmabuf = !(caps & MOSAIC_BUFFER_CAP_DATA_PTR) && (caps & MOSAIC_BUFFER_CAP_DMABUF),
	};
	if (access->dmabuf) {
		// Logs its reason.
		if (!mosaic_dmabuf_begin_cpu_access(buffer, flags, &access->data, &access->fourcc,
				&access->stride)) {
			return false;
		}
	} else if (!(caps & MOSAIC_BUFFER_CAP_DATA_PTR)) {
		mosaic_log(MOSAIC_LOG_ERROR, "the buffer offers no CPU access");
		return false;
	} else if (buffer->accessing_data) {
		// Checked here so that the failure is reported once, with the likely cause.
		mosaic_log(MOSAIC_LOG_ERROR, "CPU access to the buffer does not nest "
			"(is it the target of an open pass?)");
		return false;
	} else if (!mosaic_buffer_begin_data_access(buffer, flags, &access->data,
			&access->fourcc, &access->stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "the buffer refused CPU access");
		return false;
	}
	// Logs its reason.
	if (!mosaic_format_check_layout(access->fourcc, buffer->width, buffer->height,
			access->stride)) {
		mosaic_buffer_access_end(access);
		return false;
	}
	return true;
}

void mosaic_buffer_access_end(struct mosaic_buffer_access *access)
{
	if (access->dmabuf) {
		mosaic_dmabuf_end_cpu_access(access->buffer);
	} else {
		mosaic_buffer_end_data_access(access->buffer);
	}
	*access = (struct mosaic_buffer_access){0};
}
