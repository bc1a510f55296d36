#version 450

// One quad per draw, as a 4-vertex triangle strip without vertex buffers.
layout(push_constant) uniform Quad {
	// Destination box in normalized device coordinates: x, y, width, height.
	vec4 dst;
	// Rows of the affine map from the unit square to texture coordinates.
	vec4 uv_x;
	vec4 uv_y;
	// Premultiplied color (rects) or (alpha, 0, 0, 0) for textures.
	vec4 color;
} quad;

layout(location = 0) out vec2 uv;

void main()
{
	vec2 p = vec2(float(gl_VertexIndex & 1), float((gl_VertexIndex >> 1) & 1));
	uv = vec2(dot(quad.uv_x.xyz, vec3(p, 1.0)), dot(quad.uv_y.xyz, vec3(p, 1.0)));
	gl_Position = vec4(quad.dst.xy + p * quad.dst.zw, 0.0, 1.0);
}
