#version 450

// Y'CbCr textures: the immutable sampler of set 0 converts to RGB (ycbcr.c).
layout(set = 0, binding = 0) uniform sampler2D tex;

layout(location = 0) in vec2 uv;
layout(location = 1) flat in vec4 quad_color;
layout(location = 0) out vec4 out_color;

void main()
{
	// Opaque: the opacity scales every channel, as for premultiplied texels.
	out_color = vec4(texture(tex, uv).rgb, 1.0) * quad_color.x;
}
