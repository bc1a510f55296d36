#version 450
#extension GL_GOOGLE_include_directive : require

// Y'CbCr textures: the immutable sampler of set 0 converts to RGB (ycbcr.c).
layout(set = 0, binding = 0) uniform sampler2D tex;

layout(location = 1) flat in vec4 quad_color;
layout(location = 0) out vec4 out_color;

#include "nearest.glsl"

void main()
{
	// Opaque: the opacity scales every channel, as for premultiplied texels.
	out_color = vec4(texture(tex, sample_coords()).rgb, 1.0) * quad_color.x;
}
