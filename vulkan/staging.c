#include <assert.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * The upload ring: one persistently mapped host-visible buffer. Uploads take
 * bytes at the head; a frame remembers the head when it is submitted, and
 * once it completes everything before that is free again. The CPU never
 * waits for the GPU here: when the ring is full it is replaced by a larger
 * one, and the old one is freed when the frames using it complete. After a
 * long quiet period a large ring is replaced by a smaller one.
 */

#define STAGING_MIN_SIZE (4u << 20)
#define STAGING_ALIGN VK_STAGING_ALIGN
/* Frames with little use after which a grown ring is halved. */
#define STAGING_QUIET_FRAMES 256

static bool staging_create(struct vk_renderer *r, VkDeviceSize size)
{
	struct vk_staging *s = &r->staging;
	if (!vk_host_buffer_init(r, &s->buf, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true,
			"mosaic staging ring")) {
		return false;
	}
	s->head = 0;
	s->tail = 0;
	s->peak = 0;
	s->quiet_frames = 0;
	s->generation++;
	return true;
}

bool vk_staging_init(struct vk_renderer *r)
{
	return staging_create(r, STAGING_MIN_SIZE);
}

void vk_staging_finish(struct vk_renderer *r)
{
	vk_host_buffer_finish(r, &r->staging.buf);
}

/*
 * Replaces the ring; the old one lives until the frame being recorded
 * completes. Nothing written into it is left to flush: every upload flushes
 * its span (vk_staging_flush()) before the ring can change again.
 */
static bool staging_replace(struct vk_renderer *r, VkDeviceSize size)
{
	struct vk_staging *s = &r->staging;
	struct vk_host_buffer old = s->buf;
	uint64_t seq = r->current != NULL ? r->current->seq : r->last_seq;
	s->buf = (struct vk_host_buffer){0};
	if (!staging_create(r, size)) {
		s->buf = old;
		return false;
	}
	vk_defer_host_buffer(r, &old, seq);
	return true;
}

static bool try_alloc(struct vk_staging *s, VkDeviceSize size, VkDeviceSize *offset)
{
	VkDeviceSize cap = s->buf.size;
	uint64_t head = vk_align_up(s->head, STAGING_ALIGN);
	VkDeviceSize pos = head % cap;
	bool wrap = pos + size > cap;
	if (wrap) {
		// Does not fit before the end: skip to the start of the ring.
		head += cap - pos;
		pos = 0;
	}
	if (head + size - s->tail > cap) {
		return false;
	}
	if (wrap) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: staging ring wraps around (%llu bytes in use)",
			(unsigned long long)(head + size - s->tail));
	}
	*offset = pos;
	s->head = head + size;
	if (s->head - s->tail > s->peak) {
		s->peak = s->head - s->tail;
	}
	return true;
}

bool vk_staging_alloc(struct vk_renderer *r, VkDeviceSize size, struct vk_staging_span *span)
{
	struct vk_staging *s = &r->staging;
	VkDeviceSize offset;
	if (s->head == s->tail && s->head % s->buf.size != 0) {
		// Nothing in flight: start over at the front, where the memory is still in the
		// CPU caches. Frames submitted since hold no bytes, so a new generation lets
		// them complete without moving the tail.
		s->head = s->tail = 0;
		s->generation++;
	}
	if (!try_alloc(s, size, &offset)) {
		vk_frames_poll(r);
		if (!try_alloc(s, size, &offset)) {
			VkDeviceSize new_size = s->buf.size * 2;
			while (new_size < size + STAGING_ALIGN) {
				new_size *= 2;
			}
			mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: staging ring grows to %llu bytes",
				(unsigned long long)new_size);
			s->grow_count++;
			if (!staging_replace(r, new_size) || !try_alloc(s, size, &offset)) {
				return false;
			}
		}
	}
	*span = (struct vk_staging_span){
		.host = s->buf,
		.buffer = s->buf.buffer,
		.offset = offset,
		.size = size,
		.map = s->buf.map + offset,
	};
	return true;
}

void vk_staging_flush(struct vk_renderer *r, const struct vk_staging_span *span,
	VkDeviceSize written)
{
	assert(written <= span->size);
	vk_host_buffer_flush_range(r, &span->host, span->offset, written);
}

void vk_staging_frame_begin(struct vk_renderer *r)
{
	struct vk_staging *s = &r->staging;
	if (s->buf.size <= STAGING_MIN_SIZE) {
		return;
	}
	if (s->peak * 4 > s->buf.size) {
		s->quiet_frames = 0;
	} else if (++s->quiet_frames >= STAGING_QUIET_FRAMES) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: staging ring idle, shrinking to %llu bytes",
			(unsigned long long)(s->buf.size / 2));
		staging_replace(r, s->buf.size / 2);
		return;
	}
	s->peak = s->head - s->tail;
}
