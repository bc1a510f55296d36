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

struct mosaic_renderer;

void mosaic_call_enter(struct mosaic_renderer *renderer);

/** Closes the bracket; may call the `lost` callback, which may free `renderer`. */
void mosaic_call_leave(struct mosaic_renderer *renderer);

#endif
