#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <mosaic/allocator.h>
#include <mosaic/format.h>
#include <mosaic/interface.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

struct shm_buffer {
	struct mosaic_buffer base;
	struct mosaic_shm_attributes shm;
	void *data;
	size_t size;
};

static void shm_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	munmap(b->data, b->size);
	close(b->shm.fd);
	free(b);
}

static bool shm_buffer_get_shm(struct mosaic_buffer *buffer, struct mosaic_shm_attributes *attribs)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	*attribs = b->shm;
	return true;
}

static bool shm_buffer_begin_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	*data = b->data;
	*fourcc = b->shm.fourcc;
	*stride = b->shm.stride;
	return true;
}

static void shm_buffer_end_access(struct mosaic_buffer *buffer)
{
}

static const struct mosaic_buffer_impl shm_buffer_impl = {
	.destroy = shm_buffer_destroy,
	.get_shm = shm_buffer_get_shm,
	.begin_data_access = shm_buffer_begin_access,
	.end_data_access = shm_buffer_end_access,
};

static struct mosaic_buffer *shm_allocator_create_buffer(struct mosaic_allocator *allocator,
	int width, int height, uint32_t fourcc, const uint64_t *modifiers, size_t n_modifiers)
{
	char name[32];
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "shm allocator: unsupported format %s",
			mosaic_format_name(fourcc, name));
		return NULL;
	}
	if (n_modifiers > 0) {
		bool linear = false;
		for (size_t i = 0; i < n_modifiers; i++) {
			linear = linear || modifiers[i] == DRM_FORMAT_MOD_LINEAR;
		}
		if (!linear) {
			mosaic_log(MOSAIC_LOG_ERROR,
				"shm allocator: only DRM_FORMAT_MOD_LINEAR can be allocated");
			return NULL;
		}
	}

	// Rows aligned to 64 bytes: what GPU copy engines like best.
	uint32_t stride = ((uint32_t)width * info->bytes_per_pixel + 63) & ~63u;
	if (!mosaic_format_check_layout(fourcc, width, height, stride)) {
		return NULL;
	}
	size_t size = (size_t)stride * (size_t)height;

	struct shm_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	int fd = memfd_create("mosaic-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "memfd_create failed");
		goto err_free;
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot size shm buffer to %zu bytes", size);
		goto err_close;
	}
	// The size is final: a peer cannot shrink it under us (no SIGBUS).
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot map shm buffer of %zu bytes", size);
		goto err_close;
	}

	mosaic_buffer_init(&b->base, &shm_buffer_impl, width, height);
	b->shm = (struct mosaic_shm_attributes){
		.fd = fd,
		.fourcc = fourcc,
		.width = width,
		.height = height,
		.stride = stride,
		.offset = 0,
	};
	b->data = data;
	b->size = size;
	return &b->base;

err_close:
	close(fd);
err_free:
	free(b);
	return NULL;
}

static void shm_allocator_destroy(struct mosaic_allocator *allocator)
{
	free(allocator);
}

static const struct mosaic_allocator_impl shm_allocator_impl = {
	.create_buffer = shm_allocator_create_buffer,
	.destroy = shm_allocator_destroy,
};

MOSAIC_EXPORT struct mosaic_allocator *mosaic_shm_allocator_create(void)
{
	struct mosaic_allocator *allocator = calloc(1, sizeof(*allocator));
	if (allocator == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_allocator_init(allocator, &shm_allocator_impl,
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_SHM);
	return allocator;
}
