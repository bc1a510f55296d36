#ifndef MOSAIC_BUFFER_H
#define MOSAIC_BUFFER_H

/**
 * mosaic_buffer: the common currency between a compositor, its clients'
 * memory and the renderers.
 *
 * A buffer is a fixed-size image that exposes its storage in one or more of
 * three ways (see enum mosaic_buffer_cap): a CPU pointer (begin/end data
 * access), shared memory (fd + offset + stride, as wl_shm sees it) or
 * dmabuf planes. Compositors wrap their own buffers by embedding a
 * struct mosaic_buffer and providing a struct mosaic_buffer_impl; mosaic also
 * ships ready-made buffers (mosaic_buffer_from_data(),
 * mosaic_buffer_from_dmabuf(), and the allocators of allocator.h).
 *
 * Lifetime: the producer (whoever created the buffer) holds it until it
 * calls mosaic_buffer_drop(). Consumers (renderers, the compositor's scene)
 * take references with mosaic_buffer_lock() / mosaic_buffer_unlock(). When the
 * last lock goes away before the drop, impl->release is called (this is when
 * a Wayland compositor sends wl_buffer.release). When the buffer is dropped
 * and unlocked, its addons are destroyed (renderers drop cached imports here)
 * and then impl->destroy frees it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mosaic/format.h>
#include <mosaic/geometry.h>

#define MOSAIC_DMABUF_MAX_PLANES 4

/** How a buffer's storage can be reached. */
enum mosaic_buffer_cap {
	/** begin/end data access gives a CPU pointer. */
	MOSAIC_BUFFER_CAP_DATA_PTR = 1 << 0,
	/** get_dmabuf gives dmabuf planes. */
	MOSAIC_BUFFER_CAP_DMABUF = 1 << 1,
	/** get_shm gives a shared-memory fd. */
	MOSAIC_BUFFER_CAP_SHM = 1 << 2,
};

/**
 * The planes of a dmabuf. Planes may share one fd (at different offsets) or
 * each have their own (disjoint planes); the number of planes is the
 * format's (mosaic_format_info.n_planes): NV12 has Y then CbCr, YUV420 Y,
 * Cb, Cr.
 */
struct mosaic_dmabuf_attributes {
	int width, height;
	/** DRM fourcc of the whole image. */
	uint32_t fourcc;
	/** DRM format modifier (DRM_FORMAT_MOD_INVALID for an implicit one). */
	uint64_t modifier;
	int n_planes;
	/** Per plane, in bytes. */
	uint32_t offset[MOSAIC_DMABUF_MAX_PLANES];
	uint32_t stride[MOSAIC_DMABUF_MAX_PLANES];
	int fd[MOSAIC_DMABUF_MAX_PLANES];
	/**
	 * How to read YUV samples (see struct mosaic_yuv_info); ignored for RGB
	 * formats. Zeroed: BT.601, limited range, chroma at the left.
	 * mosaic_buffer_get_dmabuf() zeroes the struct before the buffer's hook
	 * fills it, so implementations that predate the field report the default.
	 */
	struct mosaic_yuv_info yuv;
};

/** Closes the plane fds of `attribs` and marks them -1. Accepts NULL. */
void mosaic_dmabuf_attributes_finish(struct mosaic_dmabuf_attributes *attribs);

/**
 * Copies `src` into `dst`, duplicating every fd (F_DUPFD_CLOEXEC). On success
 * the caller owns the fds in `dst`; on failure nothing is left open.
 */
bool mosaic_dmabuf_attributes_copy(struct mosaic_dmabuf_attributes *dst,
	const struct mosaic_dmabuf_attributes *src);

/** A shared-memory view of a buffer (what a wl_shm pool holds). */
struct mosaic_shm_attributes {
	/** Borrowed: owned by the buffer. */
	int fd;
	uint32_t fourcc;
	int width, height;
	uint32_t stride;
	off_t offset;
};

/** Flags for mosaic_buffer_begin_data_access(). */
enum mosaic_buffer_data_access {
	MOSAIC_BUFFER_DATA_ACCESS_READ = 1 << 0,
	MOSAIC_BUFFER_DATA_ACCESS_WRITE = 1 << 1,
};

struct mosaic_buffer;

/** Hooks of a buffer implementation. Only `destroy` is mandatory. */
struct mosaic_buffer_impl {
	/** Frees the buffer; called once, after the last addon was destroyed. */
	void (*destroy)(struct mosaic_buffer *buffer);
	/** Fills `attribs` with borrowed fds (owned by the buffer). */
	bool (*get_dmabuf)(struct mosaic_buffer *buffer,
		struct mosaic_dmabuf_attributes *attribs);
	/** Fills `attribs` with a borrowed fd (owned by the buffer). */
	bool (*get_shm)(struct mosaic_buffer *buffer, struct mosaic_shm_attributes *attribs);
	/** Gives a CPU pointer to the top-left pixel, its format and row stride. */
	bool (*begin_data_access)(struct mosaic_buffer *buffer, uint32_t flags,
		void **data, uint32_t *fourcc, uint32_t *stride);
	void (*end_data_access)(struct mosaic_buffer *buffer);
	/** Optional: the last lock went away and the buffer was not dropped. */
	void (*release)(struct mosaic_buffer *buffer);
};

/** An intrusive doubly-linked list node; its fields are private. */
struct mosaic_list {
	struct mosaic_list *prev, *next;
};

/**
 * A buffer. Embed it in your own struct and set it up with
 * mosaic_buffer_init(). `width` and `height` are read-only after init; the
 * other fields are private.
 */
struct mosaic_buffer {
	const struct mosaic_buffer_impl *impl;
	int width, height;

	size_t n_locks;
	bool dropped;
	bool accessing_data;
	struct mosaic_list addons;
};

/**
 * Initializes a caller-allocated buffer of `width` x `height` pixels. The
 * caller becomes its producer and must eventually call mosaic_buffer_drop().
 * `impl` must outlive the buffer and provide `destroy`.
 */
void mosaic_buffer_init(struct mosaic_buffer *buffer, const struct mosaic_buffer_impl *impl,
	int width, int height);

/**
 * The producer is done with the buffer: it is destroyed as soon as no lock
 * is held (possibly inside this call). Accepts NULL. Call once.
 */
void mosaic_buffer_drop(struct mosaic_buffer *buffer);

/** Takes a reference and returns `buffer`. */
struct mosaic_buffer *mosaic_buffer_lock(struct mosaic_buffer *buffer);

/** Releases a reference taken with mosaic_buffer_lock(). Accepts NULL. */
void mosaic_buffer_unlock(struct mosaic_buffer *buffer);

/** The MOSAIC_BUFFER_CAP_* bits the buffer's implementation offers. */
uint32_t mosaic_buffer_get_caps(const struct mosaic_buffer *buffer);

/**
 * Fills `attribs` with the buffer's dmabuf planes. The fds stay owned by the
 * buffer (dup them to keep them). False when the buffer is no dmabuf.
 */
bool mosaic_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs);

/** Fills `attribs` (fd borrowed). False when the buffer is not shared memory. */
bool mosaic_buffer_get_shm(struct mosaic_buffer *buffer, struct mosaic_shm_attributes *attribs);

/**
 * Starts CPU access. On success *data points at the top-left pixel, valid
 * until mosaic_buffer_end_data_access(), and *fourcc, *stride (bytes) describe
 * it. Accesses do not nest. `flags` is a mask of enum mosaic_buffer_data_access.
 */
bool mosaic_buffer_begin_data_access(struct mosaic_buffer *buffer, uint32_t flags,
	void **data, uint32_t *fourcc, uint32_t *stride);

/** Ends the access started by mosaic_buffer_begin_data_access(). */
void mosaic_buffer_end_data_access(struct mosaic_buffer *buffer);

/**
 * Wraps caller memory: `width` x `height` pixels of `fourcc`, `stride` bytes
 * per row, starting at `data`. The memory is borrowed: it must stay valid
 * until the buffer is destroyed (after mosaic_buffer_drop() and the last
 * unlock). Returns NULL, with a log line, for an invalid layout.
 */
struct mosaic_buffer *mosaic_buffer_from_data(int width, int height, uint32_t fourcc,
	uint32_t stride, void *data);

/**
 * Wraps dmabuf planes. Validates the layout: a known format, the format's
 * plane count, fds that are dmabufs, and for linear (and implicit) modifiers
 * every plane's stride at least its subsampled row size and offset + stride
 * x subsampled rows inside its fd, computed without overflow. On success the
 * buffer owns the fds in `attribs`; on failure (NULL, with a log line) the
 * caller keeps them.
 */
struct mosaic_buffer *mosaic_buffer_from_dmabuf(const struct mosaic_dmabuf_attributes *attribs);

/** Options of mosaic_buffer_from_dmabuf_with_options(); a zeroed struct is the default. */
struct mosaic_dmabuf_buffer_options {
	/**
	 * Also accept memfds (shared memory from memfd_create()) as planes, as
	 * stand-ins for dmabufs: for a producer that holds its pixels in shared
	 * memory on a machine without /dev/udmabuf, and renderers that import
	 * dmabufs by mapping them (pixman; lavapipe and llvmpipe, which import
	 * any fd they can map). GPU drivers refuse such planes at import, with
	 * a log line. Never set it for fds that come from clients: there a fd
	 * that is no dmabuf is an error.
	 */
	bool allow_memfd;
};

/**
 * mosaic_buffer_from_dmabuf() with options (NULL: the defaults). Ownership
 * of the fds is the same: the buffer's on success, the caller's on failure.
 */
struct mosaic_buffer *mosaic_buffer_from_dmabuf_with_options(
	const struct mosaic_dmabuf_attributes *attribs,
	const struct mosaic_dmabuf_buffer_options *options);

struct mosaic_buffer_addon;

/** What an addon does when its buffer goes away. */
struct mosaic_buffer_addon_impl {
	const char *name;
	/**
	 * The buffer is being destroyed: release what the addon holds. The addon
	 * is already detached when this is called.
	 */
	void (*destroy)(struct mosaic_buffer_addon *addon);
};

/**
 * State attached to a buffer by someone else, keyed by (owner, impl): a
 * renderer caches its import of a buffer this way and drops it when the
 * buffer is destroyed. Embed it in your own struct; fields are private.
 */
struct mosaic_buffer_addon {
	const struct mosaic_buffer_addon_impl *impl;
	const void *owner;
	struct mosaic_buffer *buffer;
	struct mosaic_list link;
};

/** Attaches `addon`; there must be no other addon with the same owner and impl. */
void mosaic_buffer_addon_attach(struct mosaic_buffer *buffer, struct mosaic_buffer_addon *addon,
	const void *owner, const struct mosaic_buffer_addon_impl *impl);

/** Detaches `addon` without calling its destroy hook. Accepts a detached addon. */
void mosaic_buffer_addon_detach(struct mosaic_buffer_addon *addon);

/** The addon with this owner and impl, or NULL. */
struct mosaic_buffer_addon *mosaic_buffer_addon_find(struct mosaic_buffer *buffer,
	const void *owner, const struct mosaic_buffer_addon_impl *impl);

#endif
