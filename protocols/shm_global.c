#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <mosaic/format.h>
#include <mosaic/wayland.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"
#include "private/shm_guard.h"
#include "protocols/wayland_private.h"

/*
 * The wl_shm global of mosaic_wl_shm_create(). Unlike libwayland's, it keeps
 * each pool's fd: its buffers are mosaic buffers with MOSAIC_BUFFER_CAP_SHM
 * (fd + offset), which a renderer can import without a CPU copy, besides
 * MOSAIC_BUFFER_CAP_DATA_PTR over the pool's mapping.
 */

#ifdef WL_SHM_RELEASE_SINCE_VERSION
#define SHM_VERSION 2
#else
#define SHM_VERSION 1
#endif

struct mosaic_wl_shm {
	/* The creator's (until mosaic_wl_shm_destroy()), each wl_shm's and each pool's. */
	size_t refs;
	struct wl_global *global;
	struct wl_listener display_destroy;
	/* wl_shm format codes, ARGB8888 and XRGB8888 first. */
	uint32_t *formats;
	size_t n_formats;
};

/*
 * One mapping of a pool's file, shared by the pool (until it is resized or
 * destroyed) and by every buffer made from it while it was current. It owns
 * its own fd, so it outlives the pool, the client's buffers and the client.
 */
struct shm_mapping {
	size_t refs;
	int fd;
	void *data;
	size_t size;
	bool writable;
	struct mosaic_shm_guard guard;
};

struct shm_pool {
	struct wl_resource *resource;
	struct mosaic_wl_shm *shm;
	struct shm_mapping *mapping;
};

struct shm_buffer {
	struct mosaic_buffer base;
	/* NULL once the client destroyed the wl_buffer (or disconnected). */
	struct wl_resource *resource;
	struct shm_mapping *mapping;
	size_t offset;
	uint32_t stride;
	uint32_t fourcc;
	/* The client was told that its pool failed; once is enough. */
	bool error_sent;
};

static void shm_unref(struct mosaic_wl_shm *shm)
{
	if (--shm->refs > 0) {
		return;
	}
	free(shm->formats);
	free(shm);
}

static void mapping_unref(struct shm_mapping *m)
{
	if (m == NULL || --m->refs > 0) {
		return;
	}
	mosaic_shm_guard_remove(&m->guard);
	munmap(m->data, m->size);
	close(m->fd);
	free(m);
}

/*
 * Maps `size` bytes of `fd` (borrowed). On failure posts the wl_shm error on
 * `error_resource` and returns NULL.
 */
static struct shm_mapping *mapping_create(int fd, int32_t size,
	struct wl_resource *error_resource)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		wl_resource_post_error(error_resource, WL_SHM_ERROR_INVALID_FD,
			"cannot stat the pool fd: %s", strerror(errno));
		return NULL;
	}
	// Regular files (memfds included) say how large they are: a pool past
	// their end would fault on first read.
	if (S_ISREG(st.st_mode) && st.st_size < (off_t)size) {
		wl_resource_post_error(error_resource, WL_SHM_ERROR_INVALID_FD,
			"the pool of %d bytes is larger than its file (%jd bytes)", size,
			(intmax_t)st.st_size);
		return NULL;
	}
	struct shm_mapping *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		wl_resource_post_no_memory(error_resource);
		return NULL;
	}
	m->refs = 1;
	m->size = (size_t)size;
	m->writable = true;
	m->data = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m->data == MAP_FAILED) {
		// A read-only file (or seal) still makes a pool the renderers can read.
		m->writable = false;
		m->data = mmap(NULL, m->size, PROT_READ, MAP_SHARED, fd, 0);
	}
	if (m->data == MAP_FAILED) {
		wl_resource_post_error(error_resource, WL_SHM_ERROR_INVALID_FD,
			"cannot map the pool fd: %s", strerror(errno));
		free(m);
		return NULL;
	}
	m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (m->fd < 0) {
		munmap(m->data, m->size);
		free(m);
		wl_resource_post_no_memory(error_resource);
		return NULL;
	}
	if (!mosaic_shm_guard_add(&m->guard, m->data, m->size)) {
		mapping_unref(m);
		wl_resource_post_no_memory(error_resource);
		return NULL;
	}
	return m;
}

/* wl_buffer */

static void shm_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	mapping_unref(b->mapping);
	free(b);
}

static bool shm_buffer_get_shm(struct mosaic_buffer *buffer,
	struct mosaic_shm_attributes *attribs)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	*attribs = (struct mosaic_shm_attributes){
		.fd = b->mapping->fd,
		.fourcc = b->fourcc,
		.width = buffer->width,
		.height = buffer->height,
		.stride = b->stride,
		.offset = (off_t)b->offset,
	};
	return true;
}

static bool shm_buffer_begin_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	if ((flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE) && !b->mapping->writable) {
		mosaic_log(MOSAIC_LOG_ERROR, "wl_shm buffer: the client's pool is read-only");
		return false;
	}
	// The mapping stays valid after the client destroyed the buffer or
	// the pool; a shrunk file reads as zeroes (see shm_guard.h).
	*data = (char *)b->mapping->data + b->offset;
	*fourcc = b->fourcc;
	*stride = b->stride;
	return true;
}

/*
 * The file no longer holds the buffer. A read of the compositor's mapping
 * faults, but the reader may be a renderer with a mapping of its own (a
 * host import) or pinned pages that never fault: the file says it anyway.
 */
static bool shm_buffer_file_shrank(const struct shm_buffer *b)
{
	struct stat st;
	uint64_t end = (uint64_t)b->offset + (uint64_t)b->stride * (uint64_t)b->base.height;
	return fstat(b->mapping->fd, &st) == 0 && S_ISREG(st.st_mode) &&
		(uint64_t)st.st_size < end;
}

static void shm_buffer_end_access(struct mosaic_buffer *buffer)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	if (b->resource != NULL && !b->error_sent &&
			(mosaic_shm_guard_faulted(&b->mapping->guard) || shm_buffer_file_shrank(b))) {
		b->error_sent = true;
		mosaic_log(MOSAIC_LOG_ERROR, "wl_shm: a client shrank the file of its pool");
		wl_resource_post_error(b->resource, WL_SHM_ERROR_INVALID_FD,
			"error accessing SHM buffer: the pool's file shrank");
	}
}

static void shm_buffer_release(struct mosaic_buffer *buffer)
{
	struct shm_buffer *b = mosaic_container_of(buffer, struct shm_buffer, base);
	if (b->resource != NULL) {
		wl_buffer_send_release(b->resource);
	}
}

static const struct mosaic_buffer_impl shm_buffer_impl = {
	.destroy = shm_buffer_destroy,
	.get_shm = shm_buffer_get_shm,
	.begin_data_access = shm_buffer_begin_access,
	.end_data_access = shm_buffer_end_access,
	.release = shm_buffer_release,
};

static void buffer_destroy_request(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_buffer_interface buffer_impl = {
	.destroy = buffer_destroy_request,
};

static void buffer_handle_resource_destroy(struct wl_resource *resource)
{
	struct shm_buffer *b = wl_resource_get_user_data(resource);
	b->resource = NULL;
	mosaic_buffer_drop(&b->base);
}

struct mosaic_buffer *shm_global_buffer_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wl_buffer_interface, &buffer_impl)) {
		return NULL;
	}
	struct shm_buffer *b = wl_resource_get_user_data(resource);
	return &b->base;
}

/* wl_shm_pool */

static bool format_offered(const struct mosaic_wl_shm *shm, uint32_t format)
{
	for (size_t i = 0; i < shm->n_formats; i++) {
		if (shm->formats[i] == format) {
			return true;
		}
	}
	return false;
}

static void pool_create_buffer(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, int32_t offset, int32_t width, int32_t height, int32_t stride,
	uint32_t format)
{
	struct shm_pool *pool = wl_resource_get_user_data(resource);
	if (!format_offered(pool->shm, format)) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FORMAT,
			"invalid format 0x%x", format);
		return;
	}
	uint32_t fourcc = mosaic_wl_shm_format_to_fourcc(format);
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	// All in 64 bits: every operand is a client's int32.
	int64_t end = (int64_t)offset + (int64_t)stride * (int64_t)height;
	if (info == NULL || offset < 0 || width <= 0 || height <= 0 || stride <= 0 ||
			(int64_t)stride < (int64_t)width * info->bytes_per_pixel ||
			end > (int64_t)pool->mapping->size ||
			!mosaic_format_check_layout(fourcc, width, height, (uint32_t)stride)) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
			"invalid width, height, stride or offset (%dx%d, stride %d, offset %d, "
			"pool of %zu bytes)", width, height, stride, offset, pool->mapping->size);
		return;
	}
	struct shm_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	b->resource = wl_resource_create(client, &wl_buffer_interface, 1, id);
	if (b->resource == NULL) {
		free(b);
		wl_client_post_no_memory(client);
		return;
	}
	mosaic_buffer_init(&b->base, &shm_buffer_impl, width, height);
	b->mapping = pool->mapping;
	b->mapping->refs++;
	b->offset = (size_t)offset;
	b->stride = (uint32_t)stride;
	b->fourcc = fourcc;
	wl_resource_set_implementation(b->resource, &buffer_impl, b,
		buffer_handle_resource_destroy);
}

static void pool_destroy_request(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void pool_resize(struct wl_client *client, struct wl_resource *resource, int32_t size)
{
	struct shm_pool *pool = wl_resource_get_user_data(resource);
	if (size < 0 || (size_t)size < pool->mapping->size) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_FD,
			"shrinking a pool (%zu to %d bytes) is invalid", pool->mapping->size, size);
		return;
	}
	if ((size_t)size == pool->mapping->size) {
		return;
	}
	// Buffers made so far keep the old mapping; new ones use the larger one.
	struct shm_mapping *m = mapping_create(pool->mapping->fd, size, resource);
	if (m == NULL) {
		return;
	}
	mapping_unref(pool->mapping);
	pool->mapping = m;
}

static const struct wl_shm_pool_interface pool_impl = {
	.create_buffer = pool_create_buffer,
	.destroy = pool_destroy_request,
	.resize = pool_resize,
};

static void pool_handle_resource_destroy(struct wl_resource *resource)
{
	struct shm_pool *pool = wl_resource_get_user_data(resource);
	mapping_unref(pool->mapping);
	shm_unref(pool->shm);
	free(pool);
}

/* wl_shm */

static void shm_create_pool(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, int32_t fd, int32_t size)
{
	struct mosaic_wl_shm *shm = wl_resource_get_user_data(resource);
	if (size <= 0) {
		wl_resource_post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
			"invalid pool size %d", size);
		close(fd);
		return;
	}
	struct shm_mapping *m = mapping_create(fd, size, resource);
	close(fd);
	if (m == NULL) {
		return;
	}
	struct shm_pool *pool = calloc(1, sizeof(*pool));
	if (pool == NULL) {
		mapping_unref(m);
		wl_client_post_no_memory(client);
		return;
	}
	pool->resource = wl_resource_create(client, &wl_shm_pool_interface, 1, id);
	if (pool->resource == NULL) {
		mapping_unref(m);
		free(pool);
		wl_client_post_no_memory(client);
		return;
	}
	pool->shm = shm;
	shm->refs++;
	pool->mapping = m;
	wl_resource_set_implementation(pool->resource, &pool_impl, pool,
		pool_handle_resource_destroy);
}

#if SHM_VERSION >= 2
static void shm_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}
#endif

static const struct wl_shm_interface shm_impl = {
	.create_pool = shm_create_pool,
#if SHM_VERSION >= 2
	.release = shm_release,
#endif
};

static void shm_handle_resource_destroy(struct wl_resource *resource)
{
	shm_unref(wl_resource_get_user_data(resource));
}

static void shm_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct mosaic_wl_shm *shm = data;
	struct wl_resource *resource = wl_resource_create(client, &wl_shm_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	shm->refs++;
	wl_resource_set_implementation(resource, &shm_impl, shm, shm_handle_resource_destroy);
	for (size_t i = 0; i < shm->n_formats; i++) {
		wl_shm_send_format(resource, shm->formats[i]);
	}
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct mosaic_wl_shm *shm = wl_container_of(listener, shm, display_destroy);
	mosaic_wl_shm_destroy(shm);
}

static bool add_format(struct mosaic_wl_shm *shm, uint32_t format)
{
	if (format_offered(shm, format)) {
		return true;
	}
	uint32_t *formats = realloc(shm->formats, (shm->n_formats + 1) * sizeof(*formats));
	if (formats == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	shm->formats = formats;
	shm->formats[shm->n_formats++] = format;
	return true;
}

MOSAIC_EXPORT struct mosaic_wl_shm *mosaic_wl_shm_create(struct wl_display *display,
	const struct mosaic_renderer *renderer)
{
	if (display == NULL || renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "wl_shm: no display or renderer given");
		return NULL;
	}
	struct mosaic_wl_shm *shm = calloc(1, sizeof(*shm));
	if (shm == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	const struct mosaic_format_set *set =
		mosaic_renderer_get_texture_formats(renderer, MOSAIC_BUFFER_CAP_DATA_PTR);
	// The two the protocol requires, then the renderer's CPU formats
	// (not YUV: those come as dmabuf planes).
	bool ok = add_format(shm, WL_SHM_FORMAT_ARGB8888) &&
		add_format(shm, WL_SHM_FORMAT_XRGB8888);
	for (size_t i = 0; ok && set != NULL && i < set->n_formats; i++) {
		const struct mosaic_format_info *info =
			mosaic_format_get_info(set->formats[i].fourcc);
		if (info != NULL && !info->is_yuv && info->n_planes == 1) {
			ok = add_format(shm, mosaic_wl_shm_format_from_fourcc(info->fourcc));
		}
	}
	shm->refs = 1;
	if (!ok) {
		shm_unref(shm);
		return NULL;
	}
	shm->global = wl_global_create(display, &wl_shm_interface, SHM_VERSION, shm, shm_bind);
	if (shm->global == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "cannot create the wl_shm global");
		shm_unref(shm);
		return NULL;
	}
	shm->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &shm->display_destroy);
	return shm;
}

MOSAIC_EXPORT void mosaic_wl_shm_destroy(struct mosaic_wl_shm *shm)
{
	if (shm == NULL) {
		return;
	}
	wl_list_remove(&shm->display_destroy.link);
	wl_global_destroy(shm->global);
	// Clients' wl_shm and pool objects may live on: they hold references.
	shm_unref(shm);
}
