#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include <mosaic/interface.h>

#include "private/log.h"
#include "private/sync.h"

/* How long submit waits for its own frame when the backend gives no sync_file. */
#define OUTPUT_WAIT_NS (2 * 1000 * 1000 * 1000LL)

int64_t mosaic_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int mosaic_dmabuf_export_sync_file(int dmabuf_fd, bool write)
{
	struct dma_buf_export_sync_file req = {
		.flags = write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ,
		.fd = -1,
	};
	if (drmIoctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req) != 0) {
		// ENOTTY: a memfd or a kernel before 6.0; nothing to wait for either way.
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "no implicit fence from fd %d "
			"(DMA_BUF_IOCTL_EXPORT_SYNC_FILE)", dmabuf_fd);
		return -1;
	}
	return req.fd;
}

bool mosaic_dmabuf_import_sync_file(int dmabuf_fd, int sync_file, bool write)
{
	struct dma_buf_import_sync_file req = {
		.flags = write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ,
		.fd = sync_file,
	};
	if (drmIoctl(dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &req) != 0) {
		mosaic_log_errno(MOSAIC_LOG_DEBUG, "cannot attach a fence to fd %d "
			"(DMA_BUF_IOCTL_IMPORT_SYNC_FILE)", dmabuf_fd);
		return false;
	}
	return true;
}

int mosaic_sync_file_wait(int sync_file, int64_t timeout_ns)
{
	int64_t deadline = mosaic_monotonic_ns() + (timeout_ns > 0 ? timeout_ns : 0);
	for (;;) {
		int64_t left = deadline - mosaic_monotonic_ns();
		if (left < 0) {
			left = 0;
		}
		struct pollfd pfd = { .fd = sync_file, .events = POLLIN };
		// Rounded up, so that a short wait is not a busy loop.
		int ret = poll(&pfd, 1, (int)((left + 999999) / 1000000));
		if (ret > 0) {
			return (pfd.revents & (POLLERR | POLLNVAL)) != 0 ? -EINVAL : 1;
		}
		if (ret == 0 && left == 0) {
			return 0;
		}
		if (ret < 0 && errno != EINTR && errno != EAGAIN) {
			return -errno;
		}
	}
}

void mosaic_pass_wait_sync_file(struct mosaic_pass *pass, int sync_file, const char *what)
{
	// Most fences signaled before the frame: they cost no semaphore and no wait.
	if (mosaic_sync_file_wait(sync_file, 0) == 1) {
		return;
	}
	if (pass->impl->wait_sync_file != NULL && pass->impl->wait_sync_file(pass, sync_file)) {
		return;
	}
	// The last resort: the CPU waits, within the pass's budget, then proceeds.
	int64_t now = mosaic_monotonic_ns();
	if (pass->cpu_wait_deadline_ns < 0) {
		pass->cpu_wait_deadline_ns = now + pass->cpu_wait_timeout_ns;
	}
	int64_t left = pass->cpu_wait_deadline_ns - now;
	int ret = mosaic_sync_file_wait(sync_file, left > 0 ? left : 0);
	if (ret < 0) {
		errno = -ret;
		mosaic_log_errno(MOSAIC_LOG_WARN, "pass: cannot wait for %s, drawing without it",
			what);
	} else if (ret == 0 && !pass->cpu_wait_expired) {
		pass->cpu_wait_expired = true;
		mosaic_log(MOSAIC_LOG_WARN, "pass: %s did not signal within %lld ms; drawing "
			"without waiting for it (and any other of this pass)", what,
			(long long)(pass->cpu_wait_timeout_ns / 1000000));
	}
}

void mosaic_texture_track_dmabuf(struct mosaic_texture *texture, struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes attribs;
	if (!(mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DMABUF) ||
			!mosaic_buffer_get_dmabuf(buffer, &attribs)) {
		return;
	}
	for (int i = 0; i < attribs.n_planes && i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (i > 0 && attribs.fd[i] == attribs.fd[i - 1]) {
			continue;
		}
		texture->dmabuf_fds[i] = fcntl(attribs.fd[i], F_DUPFD_CLOEXEC, 0);
		if (texture->dmabuf_fds[i] < 0) {
			// Without it the texture is sampled unsynchronized, as before.
			mosaic_log_errno(MOSAIC_LOG_WARN, "texture: cannot keep the dmabuf fd for "
				"implicit sync");
		}
	}
}

void mosaic_texture_forget_dmabuf(struct mosaic_texture *texture)
{
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (texture->dmabuf_fds[i] >= 0) {
			close(texture->dmabuf_fds[i]);
			texture->dmabuf_fds[i] = -1;
		}
	}
}

void mosaic_pass_wait_texture(struct mosaic_pass *pass, struct mosaic_texture *texture)
{
	uint64_t point = pass->renderer->last_point + 1;
	if (texture->implicit_wait_point == point) {
		return;
	}
	texture->implicit_wait_point = point;
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (texture->dmabuf_fds[i] < 0) {
			continue;
		}
		int fence = mosaic_dmabuf_export_sync_file(texture->dmabuf_fds[i], false);
		if (fence >= 0) {
			mosaic_pass_wait_sync_file(pass, fence, "a client dmabuf's implicit fence");
			close(fence);
		}
	}
}

void mosaic_pass_publish_output(struct mosaic_renderer *renderer, struct mosaic_buffer *buffer,
	uint64_t point, int sync_file)
{
	struct mosaic_dmabuf_attributes attribs;
	if (!(mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DMABUF) ||
			!mosaic_buffer_get_dmabuf(buffer, &attribs)) {
		return;
	}
	bool attached = sync_file >= 0;
	for (int i = 0; attached && i < attribs.n_planes && i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		if (i > 0 && attribs.fd[i] == attribs.fd[i - 1]) {
			continue;
		}
		attached = mosaic_dmabuf_import_sync_file(attribs.fd[i], sync_file, true);
	}
	if (attached) {
		return;
	}
	// Readers of the dmabuf have nothing to wait for: the frame must be done now.
	if (!mosaic_renderer_wait_point(renderer, point, OUTPUT_WAIT_NS)) {
		mosaic_log(MOSAIC_LOG_WARN, "pass: the frame did not complete within %lld ms; "
			"readers of the dmabuf may see it unfinished",
			(long long)(OUTPUT_WAIT_NS / 1000000));
	}
}
