#version 450

layout(set = 0, binding = 0) uniform texture2D tex;
layout(set = 1, binding = 0) uniform sampler samp;

layout(location = 0) in vec2 uv;
layout(location = 1) flat in vec4 quad_color;
layout(location = 0) out vec4 out_color;

void main()
{
	// Texels are premultiplied; the opacity scales every channel.
	out_color = texture(sampler2D(tex, samp), uv) * quad_color.x;
}
