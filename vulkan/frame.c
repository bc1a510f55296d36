#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "private/log.h"
#include "vulkan/vulkan_private.h"

/*
 * Frames in flight. Each slot of the ring owns a command pool with two
 * command buffers (uploads, then rendering: copies must happen outside the
 * render pass instance), a fence and a timestamp query pool, all created once.
 * A frame collects the uploads made between passes and the next pass, and
 * is submitted with one vkQueueSubmit. Completion is read from a timeline
 * semaphore that each submission advances to its sequence number, or from
 * the slots' fences where the device has no timeline semaphores. Submission sequence numbers (seq)
 * order everything; images and old staging memory are freed once the last
 * submission using them is complete.
 */

static bool create_semaphore(struct vk_renderer *r, bool exportable, VkSemaphore *out)
{
	VkExportSemaphoreCreateInfo export_info = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
	};
	VkResult res = vkCreateSemaphore(r->dev, &(VkSemaphoreCreateInfo){
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
		.pNext = exportable ? &export_info : NULL,
	}, NULL, out);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateSemaphore");
		return false;
	}
	r->create_count++;
	return true;
}

/* Semaphores for sync_files, made once: passes only import into them. */
static bool create_semaphores(struct vk_renderer *r, struct vk_frame *f)
{
	if (r->feat.sync_file_export) {
		if (!create_semaphore(r, true, &f->signal_semaphore)) {
			return false;
		}
		vk_name(r, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)f->signal_semaphore,
			"mosaic sync_file out");
	}
	for (int i = 0; r->feat.sync_file_import && i < VK_MAX_WAIT_SYNC_FILES; i++) {
		if (!create_semaphore(r, false, &f->wait_semaphores[i])) {
			return false;
		}
		vk_name(r, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)f->wait_semaphores[i],
			"mosaic sync_file in %d", i);
	}
	return true;
}

static bool create_timeline(struct vk_renderer *r)
{
	VkResult res = vkCreateSemaphore(r->dev, &(VkSemaphoreCreateInfo){
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
		.pNext = &(VkSemaphoreTypeCreateInfo){
			.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
			.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
		},
	}, NULL, &r->timeline);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkCreateSemaphore (timeline)");
		return false;
	}
	r->create_count++;
	vk_name(r, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)r->timeline, "mosaic timeline");
	// Core names from Vulkan 1.2, the extension's before.
	bool core = r->feat.api_version >= VK_API_VERSION_1_2;
	r->get_counter = core ? vkGetSemaphoreCounterValue : vkGetSemaphoreCounterValueKHR;
	r->wait_semaphores = core ? vkWaitSemaphores : vkWaitSemaphoresKHR;
	return r->get_counter != NULL && r->wait_semaphores != NULL;
}

bool vk_frames_init(struct vk_renderer *r)
{
#ifndef NDEBUG
	const char *fail = getenv("MOSAIC_VK_FAIL_SUBMIT");
	if (fail != NULL && fail[0] != '\0') {
		r->fail_submit = strtoull(fail, NULL, 10);
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: MOSAIC_VK_FAIL_SUBMIT=%llu: that submission "
			"fails", (unsigned long long)r->fail_submit);
	}
#endif
	if (r->feat.timeline && !create_timeline(r)) {
		return false;
	}
	for (int i = 0; i < VK_FRAMES; i++) {
		struct vk_frame *f = &r->frames[i];
		VkResult res = vkCreateCommandPool(r->dev, &(VkCommandPoolCreateInfo){
			.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
			.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
			.queueFamilyIndex = r->queue_family,
		}, NULL, &f->pool);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkCreateCommandPool");
			return false;
		}
		r->create_count++;
		VkCommandBuffer cbs[2];
		res = vkAllocateCommandBuffers(r->dev, &(VkCommandBufferAllocateInfo){
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
			.commandPool = f->pool,
			.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
			.commandBufferCount = 2,
		}, cbs);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkAllocateCommandBuffers");
			return false;
		}
		r->create_count++;
		f->upload_cb = cbs[0];
		f->render_cb = cbs[1];
		res = vkCreateFence(r->dev, &(VkFenceCreateInfo){
			.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
		}, NULL, &f->fence);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkCreateFence");
			return false;
		}
		r->create_count++;
		if (r->feat.timestamps) {
			res = vkCreateQueryPool(r->dev, &(VkQueryPoolCreateInfo){
				.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
				.queryType = VK_QUERY_TYPE_TIMESTAMP,
				.queryCount = 2,
			}, NULL, &f->queries);
			if (res != VK_SUCCESS) {
				vk_fail(r, res, "vkCreateQueryPool");
				return false;
			}
			r->create_count++;
			vk_name(r, VK_OBJECT_TYPE_QUERY_POOL, (uint64_t)f->queries,
				"mosaic frame %d timestamps", i);
		}
		if (!create_semaphores(r, f)) {
			return false;
		}
		vk_name(r, VK_OBJECT_TYPE_COMMAND_POOL, (uint64_t)f->pool, "mosaic frame %d", i);
		vk_name(r, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)f->upload_cb,
			"mosaic frame %d uploads", i);
		vk_name(r, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)f->render_cb,
			"mosaic frame %d rendering", i);
		vk_name(r, VK_OBJECT_TYPE_FENCE, (uint64_t)f->fence, "mosaic frame %d fence", i);
	}
	return true;
}

static void free_garbage(struct vk_renderer *r, bool all)
{
	struct mosaic_list *link, *tmp;
	mosaic_list_for_each_safe(link, tmp, &r->garbage) {
		struct vk_garbage *g = mosaic_container_of(link, struct vk_garbage, link);
		if (all || g->seq <= r->completed_seq) {
			vk_host_buffer_finish(r, &g->host);
			mosaic_list_remove(&g->link);
			// May destroy the buffer, and with it a cached import.
			mosaic_buffer_unlock(g->locked);
			free(g);
		}
	}
	mosaic_list_for_each_safe(link, tmp, &r->dead_images) {
		struct vk_image *image = mosaic_container_of(link, struct vk_image, link);
		if (all || image->last_seq <= r->completed_seq) {
			mosaic_list_remove(&image->link);
			vk_image_destroy_now(image);
		}
	}
}

void vk_frames_finish(struct vk_renderer *r)
{
	// The device is idle: everything submitted is complete. A frame being
	// recorded is dropped first, so that the images it holds are freed below.
	for (int i = 0; i < VK_FRAMES; i++) {
		vk_frame_images_end(r, &r->frames[i], false);
	}
	r->completed_seq = r->last_seq;
	free_garbage(r, true);
	vkDestroySemaphore(r->dev, r->timeline, NULL);
	for (int i = 0; i < VK_FRAMES; i++) {
		struct vk_frame *f = &r->frames[i];
		if (f->timer != NULL) {
			f->timer->pending = false;
		}
		free(f->used);
		vk_host_buffer_finish(r, &f->quads);
		vkDestroyQueryPool(r->dev, f->queries, NULL);
		vkDestroyQueryPool(r->dev, f->draw_queries, NULL);
		vkDestroySemaphore(r->dev, f->signal_semaphore, NULL);
		for (int j = 0; j < VK_MAX_WAIT_SYNC_FILES; j++) {
			vkDestroySemaphore(r->dev, f->wait_semaphores[j], NULL);
		}
		vkDestroyFence(r->dev, f->fence, NULL);
		vkDestroyCommandPool(r->dev, f->pool, NULL);
	}
}

void vk_defer_host_buffer(struct vk_renderer *r, struct vk_host_buffer *buf, uint64_t seq)
{
	if (seq <= r->completed_seq) {
		vk_host_buffer_finish(r, buf);
		return;
	}
	struct vk_garbage *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		// Better to stall once than to free memory the GPU reads.
		vk_wait_seq(r, seq, -1);
		vk_host_buffer_finish(r, buf);
		return;
	}
	g->seq = seq;
	g->host = *buf;
	*buf = (struct vk_host_buffer){0};
	mosaic_list_insert(r->garbage.prev, &g->link);
}

void vk_hold_buffer(struct vk_renderer *r, struct mosaic_buffer *buffer, uint64_t seq)
{
	struct vk_garbage *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		// Better to stall once than to hand back memory the GPU reads.
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		vk_frame_submit(r, 0);
		vk_wait_seq(r, seq, -1);
		return;
	}
	g->seq = seq;
	g->locked = mosaic_buffer_lock(buffer);
	mosaic_list_insert(r->garbage.prev, &g->link);
}

static void read_timer(struct vk_renderer *r, struct vk_frame *f)
{
	struct vk_timer *timer = f->timer;
	f->timer = NULL;
	if (timer == NULL || timer->seq != f->seq) {
		return;
	}
	uint64_t ts[2];
	VkResult res = vkGetQueryPoolResults(r->dev, f->queries, 0, 2, sizeof(ts), ts,
		sizeof(ts[0]), VK_QUERY_RESULT_64_BIT);
	timer->pending = false;
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetQueryPoolResults");
		timer->duration_ns = -1;
		return;
	}
	uint64_t mask = r->feat.timestamp_bits >= 64 ? UINT64_MAX :
		(UINT64_C(1) << r->feat.timestamp_bits) - 1;
	uint64_t ticks = (ts[1] - ts[0]) & mask;
	timer->duration_ns = (int64_t)((double)ticks * r->feat.timestamp_period);
	if (timer->base.per_draw && f->draw_queries != VK_NULL_HANDLE) {
		vk_draw_timer_read(r, f, timer);
	}
}

/* The slot with sequence number `seq`, if it is still in the ring. */
static struct vk_frame *frame_of_seq(struct vk_renderer *r, uint64_t seq)
{
	struct vk_frame *f = &r->frames[seq % VK_FRAMES];
	return f->seq == seq ? f : NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void vk_frame_count_upload(struct vk_renderer *r, uint64_t bytes, bool host_import)
{
	r->current->upload_bytes += bytes;
	if (host_import) {
		r->upload_stats.host_import_bytes += bytes;
	} else {
		r->upload_stats.cpu_copied_bytes += bytes;
	}
}

static void complete_frame(struct vk_renderer *r, struct vk_frame *f)
{
	if (f->upload_bytes > 0) {
		r->upload_stats.gpu_completed_bytes += f->upload_bytes;
		r->upload_stats.gpu_completed_ns += (uint64_t)(now_ns() - f->submit_ns);
		f->upload_bytes = 0;
	}
	r->completed_seq = f->seq;
	if (f->point > r->completed_point) {
		r->completed_point = f->point;
	}
	if (f->staging_generation == r->staging.generation) {
		r->staging.tail = f->staging_head;
	}
	read_timer(r, f);
	f->submitted = false;
}

/* Completes every submitted frame up to `value` of the timeline, in order. */
static void complete_until(struct vk_renderer *r, uint64_t value)
{
	while (r->completed_seq < value && r->completed_seq < r->last_seq) {
		struct vk_frame *f = frame_of_seq(r, r->completed_seq + 1);
		if (f == NULL || !f->submitted) {
			break;
		}
		complete_frame(r, f);
	}
}

void vk_frames_poll(struct vk_renderer *r)
{
	if (r->timeline != VK_NULL_HANDLE) {
		uint64_t value = 0;
		VkResult res = r->get_counter(r->dev, r->timeline, &value);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkGetSemaphoreCounterValue");
		} else {
			complete_until(r, value);
		}
		free_garbage(r, false);
		return;
	}
	while (r->completed_seq < r->last_seq) {
		struct vk_frame *f = frame_of_seq(r, r->completed_seq + 1);
		if (f == NULL || !f->submitted) {
			break;
		}
		VkResult res = vkGetFenceStatus(r->dev, f->fence);
		if (res == VK_NOT_READY) {
			break;
		}
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkGetFenceStatus");
			break;
		}
		complete_frame(r, f);
	}
	free_garbage(r, false);
}

bool vk_wait_seq(struct vk_renderer *r, uint64_t seq, int64_t timeout_ns)
{
	if (r->completed_seq < seq && seq > r->last_seq) {
		// Only the frame being recorded can be ahead: it was never submitted.
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: waiting for work that was never submitted");
		return false;
	}
	if (r->timeline != VK_NULL_HANDLE && r->completed_seq < seq) {
		VkResult res = r->wait_semaphores(r->dev, &(VkSemaphoreWaitInfo){
			.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
			.semaphoreCount = 1,
			.pSemaphores = &r->timeline,
			.pValues = &seq,
		}, timeout_ns < 0 ? UINT64_MAX : (uint64_t)timeout_ns);
		if (res == VK_TIMEOUT) {
			return false;
		}
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkWaitSemaphores");
			return false;
		}
		complete_until(r, seq);
	}
	while (r->completed_seq < seq) {
		struct vk_frame *f = frame_of_seq(r, r->completed_seq + 1);
		if (f == NULL || !f->submitted) {
			// Only the frame being recorded can be missing: it was never submitted.
			mosaic_log(MOSAIC_LOG_ERROR, "vulkan: waiting for work that was never "
				"submitted");
			return false;
		}
		VkResult res = vkWaitForFences(r->dev, 1, &f->fence, VK_TRUE,
			timeout_ns < 0 ? UINT64_MAX : (uint64_t)timeout_ns);
		if (res == VK_TIMEOUT) {
			return false;
		}
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkWaitForFences");
			return false;
		}
		complete_frame(r, f);
	}
	free_garbage(r, false);
	return true;
}

static bool begin_cb(struct vk_renderer *r, VkCommandBuffer cb)
{
	VkResult res = vkBeginCommandBuffer(cb, &(VkCommandBufferBeginInfo){
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	});
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkBeginCommandBuffer");
		return false;
	}
	return true;
}

struct vk_frame *vk_frame_get(struct vk_renderer *r)
{
	if (r->current != NULL) {
		return r->current;
	}
	uint64_t seq = r->last_seq + 1;
	struct vk_frame *f = &r->frames[seq % VK_FRAMES];
	// All slots busy: the GPU is VK_FRAMES frames behind; wait for the oldest.
	if (f->submitted && !vk_wait_seq(r, f->seq, -1)) {
		return NULL;
	}
	vk_frames_poll(r);
	VkResult res = vkResetCommandPool(r->dev, f->pool, 0);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkResetCommandPool");
		return NULL;
	}
	if (r->timeline == VK_NULL_HANDLE) {
		res = vkResetFences(r->dev, 1, &f->fence);
		if (res != VK_SUCCESS) {
			vk_fail(r, res, "vkResetFences");
			return NULL;
		}
	}
	f->seq = seq;
	f->point = 0;
	f->upload_bytes = 0;
	f->upload_open = false;
	f->render_open = false;
	f->timer = NULL;
	f->signal = false;
	f->n_waits = 0;
	r->current = f;
	vk_staging_frame_begin(r);
	return f;
}

VkCommandBuffer vk_frame_upload_cb(struct vk_renderer *r)
{
	struct vk_frame *f = vk_frame_get(r);
	if (f == NULL) {
		return VK_NULL_HANDLE;
	}
	if (!f->upload_open) {
		if (!begin_cb(r, f->upload_cb)) {
			return VK_NULL_HANDLE;
		}
		f->upload_open = true;
	}
	return f->upload_cb;
}

VkCommandBuffer vk_frame_render_cb(struct vk_renderer *r)
{
	struct vk_frame *f = vk_frame_get(r);
	if (f == NULL) {
		return VK_NULL_HANDLE;
	}
	if (!f->render_open) {
		if (!begin_cb(r, f->render_cb)) {
			return VK_NULL_HANDLE;
		}
		f->render_open = true;
	}
	return f->render_cb;
}

bool vk_frame_submit(struct vk_renderer *r, uint64_t point)
{
	struct vk_frame *f = vk_frame_get(r);
	if (f == NULL) {
		return false;
	}
	r->current = NULL;
	if (f->broken) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: the frame is not submitted: a use of an "
			"image could not be recorded");
		vk_frame_images_end(r, f, false);
		return false;
	}
	if (f->n_used > 0 && (f->render_open || f->upload_open)) {
		// Hand imported dmabufs back to their owner after everything else.
		vk_frame_release_foreign(r, f, f->render_open ? f->render_cb : f->upload_cb);
	}
	VkCommandBuffer cbs[2];
	uint32_t n = 0;
	VkResult res = VK_SUCCESS;
	if (f->upload_open) {
		cbs[n++] = f->upload_cb;
		res = vkEndCommandBuffer(f->upload_cb);
	}
	if (f->render_open && res == VK_SUCCESS) {
		cbs[n++] = f->render_cb;
		res = vkEndCommandBuffer(f->render_cb);
	}
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkEndCommandBuffer");
		vk_frame_images_end(r, f, false);
		return false;
	}
	// Uploads flushed what they wrote into the staging ring (vk_staging_flush()).
	VkPipelineStageFlags wait_stages[VK_MAX_WAIT_SYNC_FILES];
	uint64_t wait_values[VK_MAX_WAIT_SYNC_FILES] = {0};
	for (uint32_t i = 0; i < f->n_waits; i++) {
		wait_stages[i] = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
	}
	// The timeline (when there is one) gets the frame's sequence number; values for
	// binary semaphores are ignored.
	VkSemaphore signals[2];
	uint64_t signal_values[2] = {0};
	uint32_t n_signals = 0;
	if (f->signal) {
		signals[n_signals++] = f->signal_semaphore;
	}
	if (r->timeline != VK_NULL_HANDLE) {
		signal_values[n_signals] = f->seq;
		signals[n_signals++] = r->timeline;
	}
	VkTimelineSemaphoreSubmitInfo timeline_info = {
		.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
		.waitSemaphoreValueCount = f->n_waits,
		.pWaitSemaphoreValues = wait_values,
		.signalSemaphoreValueCount = n_signals,
		.pSignalSemaphoreValues = signal_values,
	};
	VkSubmitInfo submit = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = r->timeline != VK_NULL_HANDLE ? &timeline_info : NULL,
		.waitSemaphoreCount = f->n_waits,
		.pWaitSemaphores = f->wait_semaphores,
		.pWaitDstStageMask = wait_stages,
		.commandBufferCount = n,
		.pCommandBuffers = cbs,
		.signalSemaphoreCount = n_signals,
		.pSignalSemaphores = signals,
	};
	VkFence fence = r->timeline != VK_NULL_HANDLE ? VK_NULL_HANDLE : f->fence;
	// Before the call: a driver may run the work inside it.
	f->submit_ns = now_ns();
	if (++r->submit_count == r->fail_submit) {
		// The test switch: as if the driver had refused the submission.
		res = VK_ERROR_OUT_OF_DEVICE_MEMORY;
	} else {
		res = vkQueueSubmit(r->queue, 1, &submit, fence);
	}
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkQueueSubmit");
		vk_frame_images_end(r, f, false);
		return false;
	}
	vk_frame_images_end(r, f, true);
	f->point = point;
	f->submitted = true;
	f->staging_head = r->staging.head;
	f->staging_generation = r->staging.generation;
	r->last_seq = f->seq;
	return true;
}

bool vk_frame_wait_sync_file(struct vk_renderer *r, int fd)
{
	struct vk_frame *f = vk_frame_get(r);
	if (f == NULL) {
		return false;
	}
	if (!r->feat.sync_file_import || f->n_waits == VK_MAX_WAIT_SYNC_FILES) {
		mosaic_log(MOSAIC_LOG_ERROR, "vulkan: cannot wait for more than %d sync_files",
			r->feat.sync_file_import ? VK_MAX_WAIT_SYNC_FILES : 0);
		return false;
	}
	// The import takes ownership of the fd it is given; the caller keeps its own.
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "vulkan: cannot duplicate a sync_file");
		return false;
	}
	VkResult res = vkImportSemaphoreFdKHR(r->dev, &(VkImportSemaphoreFdInfoKHR){
		.sType = VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR,
		.semaphore = f->wait_semaphores[f->n_waits],
		.flags = VK_SEMAPHORE_IMPORT_TEMPORARY_BIT,
		.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
		.fd = dup_fd,
	});
	if (res != VK_SUCCESS) {
		close(dup_fd);
		vk_fail(r, res, "vkImportSemaphoreFdKHR");
		return false;
	}
	f->n_waits++;
	return true;
}

int vk_frame_export_sync_file(struct vk_renderer *r, struct vk_frame *frame)
{
	int fd = -1;
	VkResult res = vkGetSemaphoreFdKHR(r->dev, &(VkSemaphoreGetFdInfoKHR){
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
		.semaphore = frame->signal_semaphore,
		.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
	}, &fd);
	if (res != VK_SUCCESS) {
		vk_fail(r, res, "vkGetSemaphoreFdKHR");
		return -1;
	}
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		mosaic_log_errno(MOSAIC_LOG_WARN, "vulkan: fcntl on a sync_file failed");
	}
	return fd;
}

uint64_t vk_get_completed_point(struct mosaic_renderer *renderer)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	vk_frames_poll(r);
	return r->completed_point;
}

bool vk_wait_point(struct mosaic_renderer *renderer, uint64_t point, int64_t timeout_ns)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	if (renderer->lost) {
		return false;
	}
	vk_frames_poll(r);
	if (point <= r->completed_point) {
		return true;
	}
	// The submission of `point` is in the ring: incomplete slots are never reused.
	for (uint64_t seq = r->completed_seq + 1; seq <= r->last_seq; seq++) {
		struct vk_frame *f = frame_of_seq(r, seq);
		if (f != NULL && f->point >= point) {
			return vk_wait_seq(r, seq, timeout_ns);
		}
	}
	return true;
}

static struct vk_timer *timer_from_base(struct mosaic_render_timer *timer)
{
	return mosaic_container_of(timer, struct vk_timer, base);
}

static int64_t vk_timer_get_duration_ns(struct mosaic_render_timer *base)
{
	struct vk_timer *timer = timer_from_base(base);
	if (timer->pending && !vk_wait_seq(timer->renderer, timer->seq, -1)) {
		return -1;
	}
	return timer->pending ? -1 : timer->duration_ns;
}

static void vk_timer_destroy(struct mosaic_render_timer *base)
{
	struct vk_timer *timer = timer_from_base(base);
	for (int i = 0; i < VK_FRAMES; i++) {
		if (timer->renderer->frames[i].timer == timer) {
			timer->renderer->frames[i].timer = NULL;
		}
	}
	vk_draw_timer_finish(timer);
	free(timer);
}

static size_t vk_timer_get_draw_times(struct mosaic_render_timer *base, int64_t *out_ns,
	size_t cap, enum mosaic_draw_times *kind)
{
	struct vk_timer *timer = timer_from_base(base);
	if (timer->pending && !vk_wait_seq(timer->renderer, timer->seq, -1)) {
		return 0;
	}
	return timer->pending ? 0 : vk_draw_timer_get(timer, out_ns, cap, kind);
}

static size_t vk_timer_get_tile_times(struct mosaic_render_timer *base, int64_t *out_ns,
	size_t cap, struct mosaic_tile_grid *grid)
{
	struct vk_timer *timer = timer_from_base(base);
	if (timer->pending && !vk_wait_seq(timer->renderer, timer->seq, -1)) {
		return 0;
	}
	return timer->pending ? 0 : vk_draw_timer_get_tiles(timer, out_ns, cap, grid);
}

static const struct mosaic_render_timer_impl vk_timer_impl = {
	.get_duration_ns = vk_timer_get_duration_ns,
	.destroy = vk_timer_destroy,
	.get_draw_times = vk_timer_get_draw_times,
	.get_tile_times = vk_timer_get_tile_times,
};

struct mosaic_render_timer *vk_timer_create(struct mosaic_renderer *renderer)
{
	struct vk_renderer *r = vk_renderer_from_base(renderer);
	if (!r->feat.timestamps) {
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: the queue has no timestamps");
		return NULL;
	}
	struct vk_timer *timer = calloc(1, sizeof(*timer));
	if (timer == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_render_timer_init(&timer->base, &vk_timer_impl, renderer);
	timer->renderer = r;
	timer->duration_ns = -1;
	return &timer->base;
}
