#!/usr/bin/env python3
"""Writes the hand-made seeds of corpus/api, corpus/linux-dmabuf and corpus/wl-shm:
byte programs in the encoding fuzz_api.c, fuzz_linux_dmabuf.c and fuzz_wl_shm.c decode (see
their op_* functions). Run from anywhere; it overwrites only seed-* files.
Inputs found by the fuzzer (and crash reproducers) sit beside them."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def u32(v):
    return list(struct.pack('<I', v & 0xffffffff))


def small(v, lo):
    """fuzz_int(): a value in [lo, lo + 255]."""
    return [0, v - lo]


def box(x, y, w, h):
    return small(x, -32) + small(y, -32) + small(w, -8) + small(h, -8)


NO_REGION = [5]
ARGB, XRGB, ABGR, RGB565, XRGB2101010, NV12, P010, YUV420, YUYV = 0, 1, 2, 4, 6, 9, 11, 12, 13

# fuzz_api.c ops
def tex_pixels(w, h, fmt, stride=0, seed=1):
    return [0, w, h, 0, fmt, stride] + u32(seed)

def tex_memfd(fmt, w, h, size=0, linear=1):
    """size: 0 for a memfd that just fits, 0xe0 + n for 64n bytes more."""
    planes = {NV12: 2, P010: 2, YUV420: 3, YUYV: 1}.get(fmt, 1)
    return [1, fmt, w, h, linear, 1, 1, 2, 0] + [0, 0] * planes + [size] + [0]

def update(t, region=NO_REGION, seed=7):
    return [2, t, 0, 0] + region + u32(seed)

def output(o, w, h, fmt=XRGB):
    return [4, o, 0, w - 1, h - 1, 0, fmt]

def begin(o, flags=0):
    return [6, o, flags]

def rect(o, b, rgba=(252, 0, 0, 252), blend=0, region=NO_REGION):
    return [7, o] + box(*b) + list(rgba) + [blend] + region

def texture(o, t, b, transform=0, filt=0, blend=0, alpha=None, src=None, region=NO_REGION):
    out = [8, o, t, alpha if alpha is not None else 0, 1 if alpha is not None else 0]
    out += box(*b) + [transform, filt, blend]
    if src is None:
        out += [0]
    else:
        out += [1] + small(src[0], -32) + small(src[1], -32) + small(src[2], -8) + small(src[3], -8)
    return out + region

def submit(o):
    return [10, o]

def read(t, fmt=ARGB):
    return [11, t, 0, fmt, 0, 0]

def read_start(t, r, fmt=ARGB):
    return [12, t, r, 0, fmt, 0, 0]

def read_finish(r):
    return [13, r, 1]

def region(*boxes):
    out = [len(boxes)]
    for b in boxes:
        out += box(*b)
    return out

api = {
    'seed-draw': output(0, 64, 48) + tex_pixels(17, 13, ARGB) + begin(0) +
        rect(0, (0, 0, 64, 48), (30, 60, 90, 252), blend=1) +
        texture(0, 0, (5, 7, 34, 26), transform=1, alpha=126) + submit(0) + [15, 0],
    'seed-transforms': output(1, 40, 40, ABGR) + tex_pixels(9, 5, XRGB, stride=0xa4) + begin(1) +
        [x for i in range(8) for x in texture(1, 0, (i * 4, i * 3, 0, 0), transform=i, filt=i & 1)] +
        submit(1),
    'seed-update-damage': tex_pixels(32, 32, ARGB) + update(0, region((1, 2, 5, 6), (20, 20, 30, 3))) +
        update(0) + output(0, 32, 32) + begin(0) + texture(0, 0, (0, 0, 32, 32), src=(2, 3, 20, 10)) +
        submit(0) + read(0),
    'seed-read-requests': tex_pixels(21, 11, RGB565) + read_start(0, 0, XRGB) + read_start(0, 1, RGB565) +
        read_finish(1) + read(0, ABGR) + [3, 0],
    'seed-yuv': tex_memfd(NV12, 15, 9) + tex_memfd(YUYV, 8, 4, 0xe3) + tex_memfd(YUV420, 5, 3, 0xc1) +
        tex_memfd(P010, 4, 4) + output(0, 24, 24) + begin(0) +
        [x for t in range(4) for x in texture(0, t, (t * 6, 0, 6, 24), filt=t & 1)] + submit(0),
    'seed-memfd-output': [4, 0, 2, 30, 20, 0, XRGB, 1, 0, 0, 0, 0] + [0xa4, 0, 0] +
        tex_pixels(12, 9, ARGB) + begin(0) + texture(0, 0, (3, 3, 24, 18), filt=1) + submit(0) +
        [16, 0, 0, 12, 9, 0] + region((0, 0, 5, 5)) + [1, 0, 0, 0, 0] + [0, 0, 0] +
        [17, 1, 0] + begin(0) + texture(0, 0, (0, 0, 0, 0)) + submit(0),
    'seed-clip-destroy': output(0, 50, 30) + output(1, 20, 20, RGB565) + tex_pixels(8, 8, ABGR) +
        begin(0) + begin(1) +
        rect(0, (-10, -10, 100, 100), region=region((3, 3, 10, 10), (40, 0, 20, 20))) +
        texture(1, 0, (2, 2, 16, 16), region=region((0, 0, 9, 20))) +
        [5, 0] + submit(1) + [3, 0] + [14, 1] + read(0) + submit(0),
}

# fuzz_linux_dmabuf.c ops (after the version byte)
def create_params():
    return [0]

def add(params, fd_kind, plane, offset, stride, mod=0, memfd_size=64):
    out = [2, params, plane, mod, fd_kind]
    if fd_kind in (0, 1):
        out += [0] + list(struct.pack('<H', memfd_size // 16))
    return out + [offset, stride]

def create(params, w, h, fmt, flags=0, immed=False):
    return [6 if immed else 5, params, w, h, fmt, flags]

dmabuf = {
    'seed-memfd-create': [1] + create_params() + add(0, 0, 0, 0, 64, memfd_size=1024) +
        create(0, 16, 16, XRGB) + [7, 0] + [8, 0, 0],
    'seed-planes': [1] + create_params() + add(0, 0, 0, 0, 16) + add(0, 3, 1, 0, 16) +
        create(0, 16, 16, NV12, immed=True) ,
    'seed-kinds': [0] + create_params() + add(0, 2, 0, 0, 64) + create(0, 16, 1, ARGB) +
        create_params() + add(1, 4, 0, 0, 64) + create(1, 16, 1, ARGB, immed=True),
    'seed-feedback-destroy': [1, 7, 0, 7, 0, 9, 1, 0, 9, 3, 11],
    'seed-used-twice': [1] + create_params() + add(0, 1, 0, 0, 64) + create(0, 16, 1, XRGB) +
        create(0, 16, 1, XRGB),
}

# fuzz_wl_shm.c ops (after the version byte)
def memfd_pool(size, exact=True):
    # pick_fd: a memfd of `size` bytes; pick_size: the file's own size.
    return [0, 0, 0] + list(struct.pack('<H', size // 16)) + [0, 0, 0]

def shm_buffer(pool, w, h, stride_pad=0, offset64=0, xrgb=True):
    return [2, pool, w, h, stride_pad, 0, offset64, 1 if xrgb else 0]

def use(buffer, damage=None):
    return [8, buffer, 0] if damage is None else [8, buffer, 1] + list(damage)

def shm_destroy(kind, index=0):
    return [6, kind, index] if kind < 2 else [6, kind]

wl_shm = {
    'seed-use-update': [0] + memfd_pool(16384) + shm_buffer(0, 64, 64) + use(0) +
        use(0, (0, 0, 16, 16)) + [10, 0] + shm_destroy(1),
    'seed-truncate': [0] + memfd_pool(16384) + shm_buffer(0, 64, 64) + use(0) +
        [7, 0, 1] + use(0, (0, 0, 64, 64)),
    'seed-resize-past-file': [0] + memfd_pool(4096) + [5, 0, 0, 0, 1, 1],
    'seed-resize-smaller': [0] + memfd_pool(4096) + [5, 0, 0, 0, 0xff, 0],
    'seed-buffer-offsets': [0] + memfd_pool(4096) + shm_buffer(0, 16, 16, offset64=60) +
        shm_buffer(0, 16, 16, stride_pad=0xa0),
    'seed-outlive': [0] + memfd_pool(16384) + shm_buffer(0, 32, 32) + use(0) +
        shm_destroy(1) + shm_destroy(0) + [1],
    'seed-pipe-pool': [0, 0, 2, 0x80, 0xc0, 0x10, 0x00],
}

for name, corpus in (('api', api), ('linux-dmabuf', dmabuf), ('wl-shm', wl_shm)):
    d = os.path.join(here, 'corpus', name)
    os.makedirs(d, exist_ok=True)
    for seed, program in corpus.items():
        with open(os.path.join(d, seed), 'wb') as f:
            f.write(bytes(program))
