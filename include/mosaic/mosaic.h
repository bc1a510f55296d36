#ifndef MOSAIC_MOSAIC_H
#define MOSAIC_MOSAIC_H

/**
 * Everything a compositor uses, in one include.
 *
 * Conventions of every function: constructors return NULL and actions false
 * on failure, after one ERROR log line (see log.h). Passing NULL where an
 * object is expected is a programmer error, treated the same way: one ERROR
 * line and the failure value (false, NULL, 0 or -1), never a crash. Every
 * destroy/finish function accepts NULL silently.
 */

#include <mosaic/allocator.h>
#include <mosaic/buffer.h>
#include <mosaic/config.h>
#include <mosaic/drm.h>
#include <mosaic/format.h>
#include <mosaic/log.h>
#include <mosaic/pass.h>
#include <mosaic/pixman.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>
#include <mosaic/util.h>

#endif
