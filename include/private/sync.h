#ifndef MOSAIC_PRIVATE_SYNC_H
#define MOSAIC_PRIVATE_SYNC_H

/*
 * sync_files and the implicit fences of dmabufs (render/sync.c), for the core
 * and the backends. fds are borrowed unless a comment says otherwise.
 */

#include <stdbool.h>
#include <stdint.h>

struct mosaic_buffer;
struct mosaic_pass;
struct mosaic_renderer;
struct mosaic_texture;

/**
 * A sync_file of the fences a reader (`write` false: the writers' fences) or
 * a writer (`write` true: every fence) of `dmabuf_fd` must wait for, from
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE. The caller owns the result; -1 when the
 * fd is no dma-buf with fences (a memfd) or the kernel is older than 6.0
 * (DEBUG line).
 */
int mosaic_dmabuf_export_sync_file(int dmabuf_fd, bool write);

/**
 * Adds `sync_file` to the fences of `dmabuf_fd` with
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE, as a write fence when `write` (readers wait
 * for it) or a read fence. False with a DEBUG line when the kernel cannot.
 */
bool mosaic_dmabuf_import_sync_file(int dmabuf_fd, int sync_file, bool write);

/**
 * Waits on the CPU until `sync_file` signals, at most `timeout_ns` (>= 0).
 * Returns 1 when it signaled, 0 on timeout, a negative errno on failure.
 */
int mosaic_sync_file_wait(int sync_file, int64_t timeout_ns);

/** CLOCK_MONOTONIC in nanoseconds. */
int64_t mosaic_monotonic_ns(void);

/**
 * The core's policy for one sync_file a pass must wait for: nothing when it
 * already signaled, else the backend's
 * wait_sync_file hook (the GPU waits), else a CPU wait bounded by what is
 * left of the pass's CPU wait budget (struct mosaic_pass_options); past it
 * the pass proceeds, with one WARN line per pass.
 */
void mosaic_pass_wait_sync_file(struct mosaic_pass *pass, int sync_file, const char *what);

/** Remembers (duplicates) the dmabuf fds of `buffer` for implicit sync. */
void mosaic_texture_track_dmabuf(struct mosaic_texture *texture, struct mosaic_buffer *buffer);

/** Closes what mosaic_texture_track_dmabuf() kept. */
void mosaic_texture_forget_dmabuf(struct mosaic_texture *texture);

/**
 * Makes `pass` wait for the implicit (write) fences of the dmabuf `texture`
 * samples, once per pass and texture.
 */
void mosaic_pass_wait_texture(struct mosaic_pass *pass, struct mosaic_texture *texture);

/**
 * After a pass rendered into a dmabuf: attaches `sync_file` (the pass's
 * completion, or -1 when the backend has none) to every plane as a write
 * fence, so that KMS and other readers wait for the frame. Without a
 * sync_file it waits for `point` on the CPU instead (bounded, one WARN
 * line on timeout).
 */
void mosaic_pass_publish_output(struct mosaic_renderer *renderer, struct mosaic_buffer *buffer,
	uint64_t point, int sync_file);

#endif
