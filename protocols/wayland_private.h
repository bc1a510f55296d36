#ifndef MOSAIC_PROTOCOLS_WAYLAND_PRIVATE_H
#define MOSAIC_PROTOCOLS_WAYLAND_PRIVATE_H

#include <stdbool.h>

struct mosaic_buffer;
struct wl_resource;

/* The buffer of a wl_buffer made by linux_dmabuf.c, or NULL when it made none. */
struct mosaic_buffer *linux_dmabuf_buffer_from_resource(struct wl_resource *resource);

/* The buffer of a wl_buffer made by shm_global.c, or NULL when it made none. */
struct mosaic_buffer *shm_global_buffer_from_resource(struct wl_resource *resource);

#endif
