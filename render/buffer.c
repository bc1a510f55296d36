#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <mosaic/buffer.h>
#include <mosaic/format.h>

#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

MOSAIC_EXPORT void mosaic_buffer_init(struct mosaic_buffer *buffer,
	const struct mosaic_buffer_impl *impl, int width, int height)
{
	assert(impl != NULL && impl->destroy != NULL);
	assert(impl->begin_data_access == NULL || impl->end_data_access != NULL);
	*buffer = (struct mosaic_buffer){
		.impl = impl,
		.width = width,
		.height = height,
	};
	mosaic_list_init(&buffer->addons);
}

static void buffer_consider_destroy(struct mosaic_buffer *buffer)
{
	if (!buffer->dropped || buffer->n_locks > 0) {
		return;
	}
	assert(!buffer->accessing_data);

	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &buffer->addons) {
		struct mosaic_buffer_addon *addon =
			mosaic_container_of(link, struct mosaic_buffer_addon, link);
		mosaic_buffer_addon_detach(addon);
		addon->impl->destroy(addon);
	}
	buffer->impl->destroy(buffer);
}

MOSAIC_EXPORT void mosaic_buffer_drop(struct mosaic_buffer *buffer)
{
	if (buffer == NULL) {
		return;
	}
	assert(!buffer->dropped);
	buffer->dropped = true;
	buffer_consider_destroy(buffer);
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_lock(struct mosaic_buffer *buffer)
{
	if (buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer lock: no buffer given");
		return NULL;
	}
	buffer->n_locks++;
	return buffer;
}

MOSAIC_EXPORT void mosaic_buffer_unlock(struct mosaic_buffer *buffer)
{
	if (buffer == NULL) {
		return;
	}
	assert(buffer->n_locks > 0);
	buffer->n_locks--;
	if (buffer->n_locks == 0 && !buffer->dropped && buffer->impl->release != NULL) {
		buffer->impl->release(buffer);
	}
	buffer_consider_destroy(buffer);
}

MOSAIC_EXPORT uint32_t mosaic_buffer_get_caps(const struct mosaic_buffer *buffer)
{
	if (buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer caps: no buffer given");
		return 0;
	}
	uint32_t caps = 0;
	if (buffer->impl->begin_data_access != NULL) {
		caps |= MOSAIC_BUFFER_CAP_DATA_PTR;
	}
	if (buffer->impl->get_dmabuf != NULL) {
		caps |= MOSAIC_BUFFER_CAP_DMABUF;
	}
	if (buffer->impl->get_shm != NULL) {
		caps |= MOSAIC_BUFFER_CAP_SHM;
	}
	return caps;
}

MOSAIC_EXPORT bool mosaic_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	if (buffer == NULL || attribs == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer dmabuf: no buffer or attributes given");
		return false;
	}
	if (buffer->impl->get_dmabuf == NULL) {
		return false;
	}
	// Fields the hook does not know of (yuv) read as their defaults.
	*attribs = (struct mosaic_dmabuf_attributes){0};
	return buffer->impl->get_dmabuf(buffer, attribs);
}

MOSAIC_EXPORT bool mosaic_buffer_get_shm(struct mosaic_buffer *buffer,
	struct mosaic_shm_attributes *attribs)
{
	if (buffer == NULL || attribs == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer shm: no buffer or attributes given");
		return false;
	}
	if (buffer->impl->get_shm == NULL) {
		return false;
	}
	return buffer->impl->get_shm(buffer, attribs);
}

MOSAIC_EXPORT bool mosaic_buffer_begin_data_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride)
{
	if (buffer == NULL || data == NULL || fourcc == NULL || stride == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer data access: NULL argument");
		return false;
	}
	if (buffer->impl->begin_data_access == NULL) {
		return false;
	}
	if (buffer->accessing_data) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer data access does not nest");
		return false;
	}
	if (!buffer->impl->begin_data_access(buffer, flags, data, fourcc, stride)) {
		return false;
	}
	buffer->accessing_data = true;
	return true;
}

MOSAIC_EXPORT void mosaic_buffer_end_data_access(struct mosaic_buffer *buffer)
{
	if (buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer data access: no buffer given");
		return;
	}
	assert(buffer->accessing_data);
	buffer->impl->end_data_access(buffer);
	buffer->accessing_data = false;
}

MOSAIC_EXPORT void mosaic_buffer_addon_attach(struct mosaic_buffer *buffer,
	struct mosaic_buffer_addon *addon, const void *owner,
	const struct mosaic_buffer_addon_impl *impl)
{
	if (buffer == NULL || addon == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer addon: no buffer or addon given");
		return;
	}
	assert(impl != NULL && impl->destroy != NULL);
	assert(mosaic_buffer_addon_find(buffer, owner, impl) == NULL);
	*addon = (struct mosaic_buffer_addon){
		.impl = impl,
		.owner = owner,
		.buffer = buffer,
	};
	mosaic_list_insert(&buffer->addons, &addon->link);
}

MOSAIC_EXPORT void mosaic_buffer_addon_detach(struct mosaic_buffer_addon *addon)
{
	if (addon == NULL || addon->buffer == NULL) {
		return;
	}
	mosaic_list_remove(&addon->link);
	addon->buffer = NULL;
}

MOSAIC_EXPORT struct mosaic_buffer_addon *mosaic_buffer_addon_find(struct mosaic_buffer *buffer,
	const void *owner, const struct mosaic_buffer_addon_impl *impl)
{
	if (buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer addon: no buffer given");
		return NULL;
	}
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &buffer->addons) {
		struct mosaic_buffer_addon *addon =
			mosaic_container_of(link, struct mosaic_buffer_addon, link);
		if (addon->owner == owner && addon->impl == impl) {
			return addon;
		}
	}
	return NULL;
}

MOSAIC_EXPORT void mosaic_dmabuf_attributes_finish(struct mosaic_dmabuf_attributes *attribs)
{
	if (attribs == NULL) {
		return;
	}
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (i < attribs->n_planes && attribs->fd[i] >= 0) {
			close(attribs->fd[i]);
		}
		attribs->fd[i] = -1;
	}
}

MOSAIC_EXPORT bool mosaic_dmabuf_attributes_copy(struct mosaic_dmabuf_attributes *dst,
	const struct mosaic_dmabuf_attributes *src)
{
	if (dst == NULL || src == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no dmabuf attributes given");
		return false;
	}
	if (src->n_planes < 1 || src->n_planes > MOSAIC_DMABUF_MAX_PLANES) {
		mosaic_log(MOSAIC_LOG_ERROR, "invalid dmabuf plane count %d", src->n_planes);
		return false;
	}
	struct mosaic_dmabuf_attributes out = *src;
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		out.fd[i] = -1;
	}
	for (int i = 0; i < src->n_planes; i++) {
		out.fd[i] = fcntl(src->fd[i], F_DUPFD_CLOEXEC, 0);
		if (out.fd[i] < 0) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "cannot duplicate dmabuf plane %d fd", i);
			mosaic_dmabuf_attributes_finish(&out);
			return false;
		}
	}
	*dst = out;
	return true;
}
