#version 450
#extension GL_GOOGLE_include_directive : require

layout(set = 0, binding = 0) uniform texture2D tex;
layout(set = 1, binding = 0) uniform sampler samp;

layout(location = 1) flat in vec4 quad_color;
layout(location = 0) out vec4 out_color;

#include "nearest.glsl"

void main()
{
	// Texels are premultiplied; the opacity scales every channel.
	out_color = texture(sampler2D(tex, samp), sample_coords()) * quad_color.x;
}
