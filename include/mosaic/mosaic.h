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
 *
 * Enum constants are named MOSAIC_<ENUM>_<NAME> after their type enum
 * mosaic_<enum>: MOSAIC_BLEND_NONE is an enum mosaic_blend,
 * MOSAIC_BUFFER_DATA_ACCESS_READ an enum mosaic_buffer_data_access.
 *
 * Every public header of this build is included: the backends' escape
 * hatches (vulkan.h, gles.h) where config.h says they were built, which
 * brings in the Vulkan, EGL and GLES headers. Only interface.h, for people
 * who implement a backend, is left out.
 */

#include <mosaic/allocator.h>
#include <mosaic/buffer.h>
#include <mosaic/config.h>
#include <mosaic/drm.h>
#include <mosaic/format.h>
#include <mosaic/geometry.h>
#include <mosaic/log.h>
#include <mosaic/pass.h>
#include <mosaic/pixman.h>
#include <mosaic/renderer.h>
#include <mosaic/texture.h>
#include <mosaic/wayland.h>

#if MOSAIC_HAS_VULKAN
#include <mosaic/vulkan.h>
#endif
#if MOSAIC_HAS_GLES
#include <mosaic/gles.h>
#endif

#endif
