#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <mosaic/format.h>
#include <mosaic/wayland.h>

#include "linux-dmabuf-unstable-v1-protocol.h"
#include "private/dmabuf.h"
#include "private/export.h"
#include "private/list.h"
#include "private/log.h"
#include "protocols/wayland_private.h"

#define LINUX_DMABUF_VERSION 4

struct mosaic_linux_dmabuf_v1 {
	struct wl_global *global;
	struct mosaic_renderer *renderer;
	struct wl_listener display_destroy;
	/* The format table of the feedback: a sealed memfd of (format, modifier) pairs. */
	int table_fd;
	size_t table_size;
	size_t n_pairs;
	dev_t main_device;
	/* Bound zwp_linux_dmabuf_v1 resources and live params, made inert on destroy. */
	struct wl_list resources;
	struct wl_list params;
};

/* One entry of the format table, as the protocol lays it out. */
struct table_entry {
	uint32_t format;
	uint32_t pad;
	uint64_t modifier;
};

/*
 * A wl_buffer made from dmabuf params. It wraps the core's dmabuf buffer
 * (which validated and owns the fds) and adds the resource: the release
 * event, and a producer that goes away with the resource.
 */
struct dmabuf_buffer {
	struct mosaic_buffer base;
	struct mosaic_buffer *inner;
	struct wl_resource *resource;
	/* Created with ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT. */
	bool y_invert;
};

static void dmabuf_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	mosaic_buffer_drop(b->inner);
	free(b);
}

static bool dmabuf_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	return mosaic_buffer_get_dmabuf(b->inner, attribs);
}

static void dmabuf_buffer_release(struct mosaic_buffer *buffer)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	if (b->resource != NULL) {
		wl_buffer_send_release(b->resource);
	}
}

static const struct mosaic_buffer_impl dmabuf_buffer_impl = {
	.destroy = dmabuf_buffer_destroy,
	.get_dmabuf = dmabuf_buffer_get_dmabuf,
	.release = dmabuf_buffer_release,
};

static void wl_buffer_destroy_request(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_buffer_interface wl_buffer_impl = {
	.destroy = wl_buffer_destroy_request,
};

static void wl_buffer_handle_resource_destroy(struct wl_resource *resource)
{
	struct dmabuf_buffer *b = wl_resource_get_user_data(resource);
	b->resource = NULL;
	mosaic_buffer_drop(&b->base);
}

struct mosaic_buffer *linux_dmabuf_buffer_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wl_buffer_interface, &wl_buffer_impl)) {
		return NULL;
	}
	struct dmabuf_buffer *b = wl_resource_get_user_data(resource);
	return &b->base;
}

MOSAIC_EXPORT bool mosaic_wl_buffer_is_y_inverted(struct wl_resource *resource)
{
	if (resource == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no wl_buffer given");
		return false;
	}
	if (!wl_resource_instance_of(resource, &wl_buffer_interface, &wl_buffer_impl)) {
		return false;
	}
	struct dmabuf_buffer *b = wl_resource_get_user_data(resource);
	return b->y_invert;
}

/* zwp_linux_buffer_params_v1: the planes a client collects before create. */
struct params {
	/* NULL once the global is destroyed: create then fails. */
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf;
	struct wl_list link;
	struct wl_resource *resource;
	struct mosaic_dmabuf_attributes attribs;
	bool has_modifier;
	bool used;
};

static void params_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void params_add(struct wl_client *client, struct wl_resource *resource, int32_t fd,
	uint32_t plane_idx, uint32_t offset, uint32_t stride, uint32_t modifier_hi,
	uint32_t modifier_lo)
{
	struct params *p = wl_resource_get_user_data(resource);
	uint64_t modifier = (uint64_t)modifier_hi << 32 | modifier_lo;
	if (p->used) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
			"the params were already used to create a buffer");
		goto err;
	}
	if (plane_idx >= MOSAIC_DMABUF_MAX_PLANES) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
			"plane index %u is out of bounds", plane_idx);
		goto err;
	}
	if (p->attribs.fd[plane_idx] >= 0) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
			"plane %u was already set", plane_idx);
		goto err;
	}
	if (p->has_modifier && p->attribs.modifier != modifier) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
			"planes have different modifiers");
		goto err;
	}
	p->has_modifier = true;
	p->attribs.modifier = modifier;
	p->attribs.fd[plane_idx] = fd;
	p->attribs.offset[plane_idx] = offset;
	p->attribs.stride[plane_idx] = stride;
	return;

err:
	close(fd);
}

/* What params_check() decided. */
enum params_verdict {
	/** A protocol error was posted (the client is then disconnected). */
	PARAMS_ERROR_POSTED,
	/** Nothing the protocol has an error for, but the import cannot succeed. */
	PARAMS_IMPORT_FAILS,
	PARAMS_OK,
};

/* The planes the client set, up to the last one, with the size and format of create. */
static struct mosaic_dmabuf_attributes params_attribs(const struct params *p, int32_t width,
	int32_t height, uint32_t format)
{
	struct mosaic_dmabuf_attributes attribs = p->attribs;
	attribs.width = width;
	attribs.height = height;
	attribs.fourcc = format;
	attribs.n_planes = 0;
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (attribs.fd[i] >= 0) {
			attribs.n_planes = i + 1;
		}
	}
	return attribs;
}

/* Checks what the protocol defines errors for, with the core's layout check. */
static enum params_verdict params_check(struct params *p, int32_t width, int32_t height,
	uint32_t format)
{
	struct wl_resource *res = p->resource;
	if (p->used) {
		wl_resource_post_error(res, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
			"the params were already used to create a buffer");
		return PARAMS_ERROR_POSTED;
	}
	struct mosaic_dmabuf_attributes attribs = params_attribs(p, width, height, format);
	char why[256];
	uint32_t code;
	// Whether the fds are dmabufs is the import's to find out: `failed`, no protocol error.
	switch (mosaic_dmabuf_layout_check(&attribs, 0, why, sizeof(why))) {
	case MOSAIC_DMABUF_LAYOUT_ERROR_NONE:
		break;
	case MOSAIC_DMABUF_LAYOUT_ERROR_FORMAT:
		code = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT;
		goto post;
	case MOSAIC_DMABUF_LAYOUT_ERROR_SIZE:
		code = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS;
		goto post;
	case MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING:
		code = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE;
		goto post;
	case MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_EXTRA:
		code = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX;
		goto post;
	case MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS:
		code = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS;
		goto post;
	case MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF:
	case MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE:
		// Rows that overlap cannot be an image, but the protocol has no error for it.
		mosaic_log(MOSAIC_LOG_DEBUG, "linux-dmabuf: %s", why);
		return PARAMS_IMPORT_FAILS;
	}
	const struct mosaic_format_set *formats = mosaic_renderer_get_texture_formats(
		p->linux_dmabuf->renderer, MOSAIC_BUFFER_CAP_DMABUF);
	if (!mosaic_format_set_has(formats, format, p->attribs.modifier)) {
		char name[32];
		wl_resource_post_error(res, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
			"format %s with modifier 0x%016" PRIx64 " is not supported",
			mosaic_format_name(format, name), p->attribs.modifier);
		return PARAMS_ERROR_POSTED;
	}
	return PARAMS_OK;

post:
	wl_resource_post_error(res, code, "%s", why);
	return PARAMS_ERROR_POSTED;
}

/*
 * Imports the planes. Returns NULL when the renderer cannot use them (not a
 * dmabuf, import refused): the client gets `failed` or INVALID_WL_BUFFER, as
 * the protocol asks.
 */
static struct dmabuf_buffer *params_import(struct params *p, int32_t width, int32_t height,
	uint32_t format, uint32_t flags)
{
	// Y_INVERT is only a note for the compositor, which flips the image when
	// it draws it (GL clients render bottom-up). Interlaced buffers are not
	// supported.
	if ((flags & ~(uint32_t)ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT) != 0) {
		mosaic_log(MOSAIC_LOG_DEBUG, "linux-dmabuf: flags 0x%x are not supported", flags);
		return NULL;
	}
	// params_check() accepted the layout: as many planes as the format has.
	struct mosaic_dmabuf_attributes attribs = params_attribs(p, width, height, format);
	struct mosaic_buffer *inner = mosaic_buffer_from_dmabuf(&attribs);
	if (inner == NULL) {
		return NULL;
	}
	// The inner buffer owns the fds now.
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		p->attribs.fd[i] = -1;
	}
	struct dmabuf_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		mosaic_buffer_drop(inner);
		return NULL;
	}
	mosaic_buffer_init(&b->base, &dmabuf_buffer_impl, width, height);
	b->inner = inner;
	b->y_invert = (flags & ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT) != 0;
	// Import now, so that a buffer the GPU cannot use fails here and not at
	// the first frame; the renderer caches the import on the buffer.
	struct mosaic_texture *texture = mosaic_texture_from_buffer(p->linux_dmabuf->renderer,
		&b->base);
	if (texture == NULL) {
		mosaic_buffer_drop(&b->base);
		return NULL;
	}
	mosaic_texture_destroy(texture);
	return b;
}

static void params_create_common(struct wl_client *client, struct wl_resource *resource,
	uint32_t buffer_id, int32_t width, int32_t height, uint32_t format, uint32_t flags)
{
	struct params *p = wl_resource_get_user_data(resource);
	enum params_verdict verdict = PARAMS_IMPORT_FAILS;
	if (p->linux_dmabuf != NULL) {
		verdict = params_check(p, width, height, format);
	} else {
		mosaic_log(MOSAIC_LOG_DEBUG, "linux-dmabuf: params used after the global was "
			"destroyed");
	}
	if (verdict == PARAMS_ERROR_POSTED) {
		return;
	}
	p->used = true;
	struct dmabuf_buffer *b = NULL;
	if (verdict == PARAMS_OK) {
		b = params_import(p, width, height, format, flags);
	}
	if (b == NULL) {
		if (buffer_id == 0) {
			zwp_linux_buffer_params_v1_send_failed(resource);
		} else {
			wl_resource_post_error(resource,
				ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
				"the dmabuf cannot be imported");
		}
		return;
	}
	b->resource = wl_resource_create(client, &wl_buffer_interface, 1, buffer_id);
	if (b->resource == NULL) {
		mosaic_buffer_drop(&b->base);
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(b->resource, &wl_buffer_impl, b,
		wl_buffer_handle_resource_destroy);
	if (buffer_id == 0) {
		zwp_linux_buffer_params_v1_send_created(resource, b->resource);
	}
}

static void params_create(struct wl_client *client, struct wl_resource *resource,
	int32_t width, int32_t height, uint32_t format, uint32_t flags)
{
	params_create_common(client, resource, 0, width, height, format, flags);
}

static void params_create_immed(struct wl_client *client, struct wl_resource *resource,
	uint32_t buffer_id, int32_t width, int32_t height, uint32_t format, uint32_t flags)
{
	params_create_common(client, resource, buffer_id, width, height, format, flags);
}

static const struct zwp_linux_buffer_params_v1_interface params_impl = {
	.destroy = params_destroy,
	.add = params_add,
	.create = params_create,
	.create_immed = params_create_immed,
};

static void params_handle_resource_destroy(struct wl_resource *resource)
{
	struct params *p = wl_resource_get_user_data(resource);
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (p->attribs.fd[i] >= 0) {
			close(p->attribs.fd[i]);
		}
	}
	wl_list_remove(&p->link);
	free(p);
}

static void linux_dmabuf_destroy_request(struct wl_client *client,
	struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void linux_dmabuf_create_params(struct wl_client *client,
	struct wl_resource *resource, uint32_t id)
{
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf = wl_resource_get_user_data(resource);
	struct params *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	p->resource = wl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
		wl_resource_get_version(resource), id);
	if (p->resource == NULL) {
		free(p);
		wl_client_post_no_memory(client);
		return;
	}
	p->linux_dmabuf = linux_dmabuf;
	if (linux_dmabuf != NULL) {
		wl_list_insert(&linux_dmabuf->params, &p->link);
	} else {
		wl_list_init(&p->link);
	}
	p->attribs.modifier = DRM_FORMAT_MOD_INVALID;
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		p->attribs.fd[i] = -1;
	}
	wl_resource_set_implementation(p->resource, &params_impl, p,
		params_handle_resource_destroy);
}

/* Feedback: one tranche, on the renderer's device, with every pair of the table. */
static void feedback_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct zwp_linux_dmabuf_feedback_v1_interface feedback_impl = {
	.destroy = feedback_destroy,
};

static void send_feedback(struct mosaic_linux_dmabuf_v1 *linux_dmabuf,
	struct wl_resource *feedback)
{
	zwp_linux_dmabuf_feedback_v1_send_format_table(feedback, linux_dmabuf->table_fd,
		(uint32_t)linux_dmabuf->table_size);
	struct wl_array device;
	wl_array_init(&device);
	dev_t *dev = wl_array_add(&device, sizeof(*dev));
	if (dev != NULL) {
		*dev = linux_dmabuf->main_device;
	}
	zwp_linux_dmabuf_feedback_v1_send_main_device(feedback, &device);
	zwp_linux_dmabuf_feedback_v1_send_tranche_target_device(feedback, &device);
	wl_array_release(&device);

	struct wl_array indices;
	wl_array_init(&indices);
	for (size_t i = 0; i < linux_dmabuf->n_pairs; i++) {
		uint16_t *index = wl_array_add(&indices, sizeof(*index));
		if (index != NULL) {
			*index = (uint16_t)i;
		}
	}
	zwp_linux_dmabuf_feedback_v1_send_tranche_formats(feedback, &indices);
	wl_array_release(&indices);
	zwp_linux_dmabuf_feedback_v1_send_tranche_flags(feedback, 0);
	zwp_linux_dmabuf_feedback_v1_send_tranche_done(feedback);
	zwp_linux_dmabuf_feedback_v1_send_done(feedback);
}

static void create_feedback(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf = wl_resource_get_user_data(resource);
	struct wl_resource *feedback = wl_resource_create(client,
		&zwp_linux_dmabuf_feedback_v1_interface, wl_resource_get_version(resource), id);
	if (feedback == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(feedback, &feedback_impl, NULL, NULL);
	if (linux_dmabuf != NULL) {
		send_feedback(linux_dmabuf, feedback);
	} else {
		// The global is gone: an empty feedback, so the client stops waiting.
		zwp_linux_dmabuf_feedback_v1_send_done(feedback);
	}
}

static void linux_dmabuf_get_default_feedback(struct wl_client *client,
	struct wl_resource *resource, uint32_t id)
{
	create_feedback(client, resource, id);
}

static void linux_dmabuf_get_surface_feedback(struct wl_client *client,
	struct wl_resource *resource, uint32_t id, struct wl_resource *surface)
{
	// One renderer, one output: every surface gets the default feedback.
	create_feedback(client, resource, id);
}

static const struct zwp_linux_dmabuf_v1_interface linux_dmabuf_impl = {
	.destroy = linux_dmabuf_destroy_request,
	.create_params = linux_dmabuf_create_params,
	.get_default_feedback = linux_dmabuf_get_default_feedback,
	.get_surface_feedback = linux_dmabuf_get_surface_feedback,
};

static void linux_dmabuf_handle_resource_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void linux_dmabuf_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf = data;
	struct wl_resource *resource = wl_resource_create(client, &zwp_linux_dmabuf_v1_interface,
		(int)version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &linux_dmabuf_impl, linux_dmabuf,
		linux_dmabuf_handle_resource_destroy);
	wl_list_insert(&linux_dmabuf->resources, wl_resource_get_link(resource));
	if (version >= ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION) {
		return;
	}
	// Older clients learn the formats from events.
	const struct mosaic_format_set *formats = mosaic_renderer_get_texture_formats(
		linux_dmabuf->renderer, MOSAIC_BUFFER_CAP_DMABUF);
	for (size_t i = 0; i < formats->n_formats; i++) {
		const struct mosaic_format *f = &formats->formats[i];
		if (version < ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION) {
			zwp_linux_dmabuf_v1_send_format(resource, f->fourcc);
			continue;
		}
		for (size_t j = 0; j < f->n_modifiers; j++) {
			zwp_linux_dmabuf_v1_send_modifier(resource, f->fourcc,
				(uint32_t)(f->modifiers[j] >> 32), (uint32_t)f->modifiers[j]);
		}
	}
}

/* Writes the format table into a sealed memfd clients can map read-only. */
static bool build_format_table(struct mosaic_linux_dmabuf_v1 *linux_dmabuf)
{
	const struct mosaic_format_set *formats = mosaic_renderer_get_texture_formats(
		linux_dmabuf->renderer, MOSAIC_BUFFER_CAP_DMABUF);
	size_t n = 0;
	for (size_t i = 0; i < formats->n_formats; i++) {
		n += formats->formats[i].n_modifiers;
	}
	// tranche_formats indexes the table with 16 bits.
	if (n > UINT16_MAX + 1) {
		n = UINT16_MAX + 1;
	}
	struct table_entry *entries = calloc(n > 0 ? n : 1, sizeof(*entries));
	if (entries == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	size_t k = 0;
	for (size_t i = 0; i < formats->n_formats && k < n; i++) {
		const struct mosaic_format *f = &formats->formats[i];
		for (size_t j = 0; j < f->n_modifiers && k < n; j++) {
			entries[k++] = (struct table_entry){
				.format = f->fourcc,
				.modifier = f->modifiers[j],
			};
		}
	}
	size_t size = n * sizeof(*entries);
	int fd = memfd_create("mosaic-dmabuf-formats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "memfd_create failed");
		free(entries);
		return false;
	}
	bool ok = write(fd, entries, size) == (ssize_t)size;
	free(entries);
	if (!ok) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot write the dmabuf format table");
		close(fd);
		return false;
	}
	// Clients map it; nobody may change it under them.
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	linux_dmabuf->table_fd = fd;
	linux_dmabuf->table_size = size;
	linux_dmabuf->n_pairs = n;
	return true;
}

static void handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf =
		wl_container_of(listener, linux_dmabuf, display_destroy);
	mosaic_linux_dmabuf_v1_destroy(linux_dmabuf);
}

MOSAIC_EXPORT struct mosaic_linux_dmabuf_v1 *mosaic_linux_dmabuf_v1_create(
	struct wl_display *display, struct mosaic_renderer *renderer)
{
	if (display == NULL || renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "linux-dmabuf: no display or renderer given");
		return NULL;
	}
	int drm_fd = mosaic_renderer_get_drm_fd(renderer);
	struct stat st;
	if (drm_fd < 0 || fstat(drm_fd, &st) != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "linux-dmabuf: the %s renderer has no DRM device to "
			"name in its feedback",
			mosaic_renderer_get_name(renderer));
		return NULL;
	}
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf = calloc(1, sizeof(*linux_dmabuf));
	if (linux_dmabuf == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	linux_dmabuf->renderer = renderer;
	linux_dmabuf->main_device = st.st_rdev;
	linux_dmabuf->table_fd = -1;
	wl_list_init(&linux_dmabuf->resources);
	wl_list_init(&linux_dmabuf->params);
	if (!build_format_table(linux_dmabuf)) {
		free(linux_dmabuf);
		return NULL;
	}
	linux_dmabuf->global = wl_global_create(display, &zwp_linux_dmabuf_v1_interface,
		LINUX_DMABUF_VERSION, linux_dmabuf, linux_dmabuf_bind);
	if (linux_dmabuf->global == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "linux-dmabuf: cannot create the global");
		close(linux_dmabuf->table_fd);
		free(linux_dmabuf);
		return NULL;
	}
	linux_dmabuf->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &linux_dmabuf->display_destroy);
	return linux_dmabuf;
}

MOSAIC_EXPORT void mosaic_linux_dmabuf_v1_destroy(struct mosaic_linux_dmabuf_v1 *linux_dmabuf)
{
	if (linux_dmabuf == NULL) {
		return;
	}
	wl_list_remove(&linux_dmabuf->display_destroy.link);
	// Objects clients still hold stay valid and inert: they no longer reach
	// this struct or the renderer, which may go next.
	struct wl_resource *resource, *tmp;
	wl_resource_for_each_safe(resource, tmp, &linux_dmabuf->resources) {
		wl_resource_set_user_data(resource, NULL);
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
	}
	struct params *p, *p_tmp;
	wl_list_for_each_safe(p, p_tmp, &linux_dmabuf->params, link) {
		p->linux_dmabuf = NULL;
		wl_list_remove(&p->link);
		wl_list_init(&p->link);
	}
	wl_global_destroy(linux_dmabuf->global);
	close(linux_dmabuf->table_fd);
	free(linux_dmabuf);
}
