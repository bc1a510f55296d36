#ifndef MOSAIC_PRIVATE_DRM_H
#define MOSAIC_PRIVATE_DRM_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * Opens the DRM device with node number `dev` (a render or primary node):
 * its render node where it has one, else its primary node. Returns the fd
 * (the caller owns it) or a negative errno, with a DEBUG line.
 */
int mosaic_drm_open_dev(dev_t dev);

/** True when `fd` is a DRM node (primary, render). */
bool mosaic_drm_fd_is_node(int fd);

#endif
