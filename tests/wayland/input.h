#ifndef TEST_WAYLAND_INPUT_H
#define TEST_WAYLAND_INPUT_H

#include <stdbool.h>
#include <stdint.h>

/* What the stand-in parent sends, in the coordinates of mosaic-nested's window. */
#define TEST_CLICK_X 50
#define TEST_CLICK_Y 60
#define TEST_BUTTON 0x110 /* BTN_LEFT */
#define TEST_KEY 30       /* KEY_A */
#define TEST_RESIZE_WIDTH 400
#define TEST_RESIZE_HEIGHT 300
/* mosaic-nested places the first window here. */
#define TEST_WIN_X 32
#define TEST_WIN_Y 32
/* A client redraws its whole buffer, and damages only this, in its coordinates. */
#define TEST_DAMAGE_X 10
#define TEST_DAMAGE_Y 20
#define TEST_DAMAGE_W 5
#define TEST_DAMAGE_H 6
#define TEST_KEYMAP "mosaic test keymap: passed through unchanged"

bool test_parent_start(const char *socket);
/* How many buffers mosaic-nested presented. */
int test_parent_commits(void);
/* True once mosaic-nested asked for a pointer and a keyboard. */
bool test_parent_has_input(void);
/* Clicks at TEST_CLICK_X/Y and presses TEST_KEY on mosaic-nested's window. */
void test_parent_send_input(void);
/* Configures mosaic-nested's window to TEST_RESIZE_WIDTH x TEST_RESIZE_HEIGHT. */
void test_parent_resize(void);
/* The size of the last buffer mosaic-nested presented. */
void test_parent_committed_size(int *width, int *height);
/*
 * What the last frame presented by mosaic-nested had: its damage extents
 * and two output pixels, inside and just right of the client's damage.
 */
struct test_frame {
	int damage_x, damage_y, damage_w, damage_h;
	uint32_t inside, outside;
};
void test_parent_last_frame(struct test_frame *frame);
/* A pixel (0xRRGGBB) of the last frame mosaic-nested presented; all ones if none. */
uint32_t test_parent_pixel(int x, int y);
/* Moves the pointer (already in the window) to x, y and clicks. */
void test_parent_click_at(int x, int y);
/* Moves the pointer to x, y; presses or releases TEST_BUTTON: queued, sent in order. */
void test_parent_pointer_motion(int x, int y);
void test_parent_pointer_button(bool pressed);
void test_parent_stop(void);

#endif
