#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <xf86drm.h>

#include <mosaic/allocator.h>
#include <mosaic/interface.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

/* The GBM device, shared by the allocator and its buffers, which may outlive it. */
struct gbm_shared {
	int fd;
	struct gbm_device *gbm;
	size_t refs;
};

struct gbm_allocator {
	struct mosaic_allocator base;
	struct gbm_shared *shared;
};

struct gbm_buffer {
	struct mosaic_buffer base;
	struct gbm_shared *shared;
	struct gbm_bo *bo;
	/* Owns the plane fds. */
	struct mosaic_dmabuf_attributes dmabuf;
};

static void shared_unref(struct gbm_shared *shared)
{
	if (--shared->refs > 0) {
		return;
	}
	gbm_device_destroy(shared->gbm);
	close(shared->fd);
	free(shared);
}

static void gbm_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct gbm_buffer *b = mosaic_container_of(buffer, struct gbm_buffer, base);
	mosaic_dmabuf_attributes_finish(&b->dmabuf);
	gbm_bo_destroy(b->bo);
	shared_unref(b->shared);
	free(b);
}

static bool gbm_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	struct gbm_buffer *b = mosaic_container_of(buffer, struct gbm_buffer, base);
	*attribs = b->dmabuf;
	return true;
}

static const struct mosaic_buffer_impl gbm_buffer_impl = {
	.destroy = gbm_buffer_destroy,
	.get_dmabuf = gbm_buffer_get_dmabuf,
};

static bool has_modifier(const uint64_t *modifiers, size_t n, uint64_t modifier)
{
	for (size_t i = 0; i < n; i++) {
		if (modifiers[i] == modifier) {
			return true;
		}
	}
	return false;
}

/* Scan-out capable when the driver can, plain render target otherwise. */
static struct gbm_bo *create_bo(struct gbm_device *gbm, int width, int height, uint32_t fourcc,
	const uint64_t *modifiers, size_t n_modifiers, uint32_t usage)
{
	uint32_t tries[] = { usage | GBM_BO_USE_SCANOUT, usage };
	for (size_t i = 0; i < 2; i++) {
		struct gbm_bo *bo = n_modifiers > 0 ?
			gbm_bo_create_with_modifiers2(gbm, (uint32_t)width, (uint32_t)height,
				fourcc, modifiers, (unsigned)n_modifiers, tries[i]) :
			gbm_bo_create(gbm, (uint32_t)width, (uint32_t)height, fourcc, tries[i]);
		if (bo != NULL) {
			return bo;
		}
	}
	return NULL;
}

/*
 * Explicit modifiers first, then an implicit one, then linear, each only when
 * the caller accepts it (an empty list accepts everything). *modifier
 * receives what the buffer's importers must be told.
 */
static struct gbm_bo *allocate(struct gbm_device *gbm, int width, int height, uint32_t fourcc,
	const uint64_t *modifiers, size_t n_modifiers, uint64_t *modifier)
{
	char name[32];
	mosaic_format_name(fourcc, name);
	struct gbm_bo *bo = NULL;
	uint64_t *explicit = calloc(n_modifiers + 1, sizeof(*explicit));
	if (explicit == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	size_t n_explicit = 0;
	for (size_t i = 0; i < n_modifiers; i++) {
		if (modifiers[i] != DRM_FORMAT_MOD_INVALID) {
			explicit[n_explicit++] = modifiers[i];
		}
	}
	if (n_explicit > 0) {
		bo = create_bo(gbm, width, height, fourcc, explicit, n_explicit,
			GBM_BO_USE_RENDERING);
		if (bo != NULL) {
			*modifier = gbm_bo_get_modifier(bo);
			// Some drivers (Mesa 25's kms_swrast) allocate but do not say
			// which one they took. With LINEAR the only choice, that is it;
			// otherwise the layout is unknown: the implicit modifier if the
			// caller takes it, else the fallbacks below.
			if (*modifier == DRM_FORMAT_MOD_INVALID && n_explicit == 1 &&
					explicit[0] == DRM_FORMAT_MOD_LINEAR) {
				*modifier = DRM_FORMAT_MOD_LINEAR;
			}
			bool implicit_ok = has_modifier(modifiers, n_modifiers,
				DRM_FORMAT_MOD_INVALID);
			if (*modifier != DRM_FORMAT_MOD_INVALID || implicit_ok) {
				goto out;
			}
			mosaic_log(MOSAIC_LOG_DEBUG, "gbm: %s buffer with an unknown modifier",
				name);
			gbm_bo_destroy(bo);
			bo = NULL;
		} else {
			mosaic_log_errno(MOSAIC_LOG_DEBUG, "gbm: no %s buffer with %zu explicit "
				"modifiers", name, n_explicit);
		}
	}
	if (n_modifiers == 0 || has_modifier(modifiers, n_modifiers, DRM_FORMAT_MOD_INVALID)) {
		bo = create_bo(gbm, width, height, fourcc, NULL, 0, GBM_BO_USE_RENDERING);
		if (bo != NULL) {
			// Report the modifier GBM knows only if the caller can take it.
			uint64_t mod = gbm_bo_get_modifier(bo);
			*modifier = n_modifiers == 0 || has_modifier(modifiers, n_modifiers, mod) ?
				mod : DRM_FORMAT_MOD_INVALID;
			goto out;
		}
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "gbm: no %s buffer with an implicit modifier",
			name);
	}
	if (n_modifiers == 0 || has_modifier(modifiers, n_modifiers, DRM_FORMAT_MOD_LINEAR)) {
		bo = create_bo(gbm, width, height, fourcc, NULL, 0,
			GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
		if (bo != NULL) {
			*modifier = DRM_FORMAT_MOD_LINEAR;
			goto out;
		}
	}
	mosaic_log_errno(MOSAIC_LOG_ERROR, "gbm: cannot allocate a %dx%d %s buffer with any of "
		"the %zu modifiers asked for", width, height, name, n_modifiers);
out:
	free(explicit);
	return bo;
}

/*
 * Exports every plane with DRM_RDWR: gbm_bo_get_fd() gives read-only dmabufs
 * on some drivers (kms_swrast), and the kernel keeps one dmabuf per buffer,
 * so the first export's mode sticks.
 */
static bool export_planes(struct gbm_buffer *b, int drm_fd)
{
	struct mosaic_dmabuf_attributes *a = &b->dmabuf;
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		a->fd[i] = -1;
	}
	int n = gbm_bo_get_plane_count(b->bo);
	if (n < 1 || n > MOSAIC_DMABUF_MAX_PLANES) {
		mosaic_log(MOSAIC_LOG_ERROR, "gbm: buffer with %d planes", n);
		return false;
	}
	a->n_planes = n;
	for (int i = 0; i < n; i++) {
		uint32_t handle = gbm_bo_get_handle_for_plane(b->bo, i).u32;
		if (drmPrimeHandleToFD(drm_fd, handle, DRM_CLOEXEC | DRM_RDWR, &a->fd[i]) != 0) {
			mosaic_log_errno(MOSAIC_LOG_DEBUG, "gbm: read-write export of plane %d "
				"refused, exporting it read-only", i);
			a->fd[i] = gbm_bo_get_fd_for_plane(b->bo, i);
		}
		if (a->fd[i] < 0) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "gbm: cannot export plane %d", i);
			mosaic_dmabuf_attributes_finish(a);
			return false;
		}
		a->offset[i] = gbm_bo_get_offset(b->bo, i);
		a->stride[i] = gbm_bo_get_stride_for_plane(b->bo, i);
	}
	return true;
}

static struct mosaic_buffer *gbm_allocator_create_buffer(struct mosaic_allocator *base,
	int width, int height, uint32_t fourcc, const uint64_t *modifiers, size_t n_modifiers)
{
	struct gbm_allocator *allocator = mosaic_container_of(base, struct gbm_allocator, base);
	struct gbm_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	uint64_t modifier = DRM_FORMAT_MOD_INVALID;
	b->bo = allocate(allocator->shared->gbm, width, height, fourcc, modifiers, n_modifiers,
		&modifier);
	if (b->bo == NULL) {
		goto err_free;
	}
	b->dmabuf.width = width;
	b->dmabuf.height = height;
	b->dmabuf.fourcc = fourcc;
	b->dmabuf.modifier = modifier;
	if (!export_planes(b, allocator->shared->fd)) {
		goto err_bo;
	}
	mosaic_buffer_init(&b->base, &gbm_buffer_impl, width, height);
	b->shared = allocator->shared;
	b->shared->refs++;
	return &b->base;

err_bo:
	gbm_bo_destroy(b->bo);
err_free:
	free(b);
	return NULL;
}

static void gbm_allocator_destroy(struct mosaic_allocator *base)
{
	struct gbm_allocator *allocator = mosaic_container_of(base, struct gbm_allocator, base);
	shared_unref(allocator->shared);
	free(allocator);
}

static const struct mosaic_allocator_impl gbm_allocator_impl = {
	.create_buffer = gbm_allocator_create_buffer,
	.destroy = gbm_allocator_destroy,
};

MOSAIC_EXPORT struct mosaic_allocator *mosaic_gbm_allocator_create(int drm_fd)
{
	struct gbm_allocator *allocator = calloc(1, sizeof(*allocator));
	struct gbm_shared *shared = calloc(1, sizeof(*shared));
	if (allocator == NULL || shared == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto err_free;
	}
	shared->refs = 1;
	shared->fd = fcntl(drm_fd, F_DUPFD_CLOEXEC, 0);
	if (shared->fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "gbm: invalid DRM fd %d", drm_fd);
		goto err_free;
	}
	shared->gbm = gbm_create_device(shared->fd);
	if (shared->gbm == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "gbm: cannot create a device on fd %d", drm_fd);
		goto err_close;
	}
	mosaic_log(MOSAIC_LOG_DEBUG, "gbm allocator on the %s backend",
		gbm_device_get_backend_name(shared->gbm));
	allocator->shared = shared;
	mosaic_allocator_init(&allocator->base, &gbm_allocator_impl, MOSAIC_BUFFER_CAP_DMABUF);
	return &allocator->base;

err_close:
	close(shared->fd);
err_free:
	free(shared);
	free(allocator);
	return NULL;
}
