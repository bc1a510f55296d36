#ifndef MOSAIC_PRIVATE_CALL_H
#define MOSAIC_PRIVATE_CALL_H

/*
 * The brackets of every public call that reaches a backend. A loss that a
 * backend reports (mosaic_renderer_set_lost()) is delivered to the
 * compositor's `lost` callback only when the outermost bracket closes and no
 * pass is open: by then the library is done with the renderer, so the
 * callback may destroy it. The wrapper must not touch the renderer after
 * mosaic_call_leave().
 */

#include <stdbool.h>

struct mosaic_renderer;

void mosaic_call_enter(struct mosaic_renderer *renderer);

/** Closes the bracket; may call the `lost` callback, which may free `renderer`. */
void mosaic_call_leave(struct mosaic_renderer *renderer);

/**
 * For a public call on a renderer that lost its device: logs "<what>: the
 * renderer lost its device", delivers a loss not delivered yet (the callback
 * may free `renderer`) and returns true; the caller then returns its failure
 * value without touching the renderer. False, silently, for a working one.
 */
bool mosaic_call_refuse_lost(struct mosaic_renderer *renderer, const char *what);

#endif
