// The texture coordinate a fragment samples (included by texture.frag and
// texture_ycbcr.frag). Linear filtering samples the interpolated uv.
// Nearest filtering follows the pixman backend (include/mosaic/pass.h): the
// pixel centre, gl_FragCoord.xy, goes through the draw's map to texel
// coordinates t, and texel floor(t), clamped to the texture, is the one
// shown. The sampler is given that texel's centre, so that neither the
// rounding of the hardware's nearest filter nor the interpolation across the
// quad's two triangles can pick another one (interpolated coordinates are
// not exact: on exact ties, 2:1 scales, they went either way per triangle).
// A Y'CbCr conversion sampler allows no texelFetch; the same coordinate
// serves both.

layout(location = 0) in vec2 uv;
layout(location = 2) flat in vec4 quad_texel_u;
layout(location = 3) flat in vec4 quad_texel_v;
layout(location = 4) flat in vec4 quad_texel_size;

vec2 sample_coords()
{
	if (quad_texel_size.x == 0.0) {
		return uv;
	}
	vec3 p = vec3(gl_FragCoord.xy - vec2(quad_texel_u.w, quad_texel_v.w), 1.0);
	vec2 t = vec2(dot(quad_texel_u.xyz, p), dot(quad_texel_v.xyz, p));
	vec2 texel = clamp(floor(t), vec2(0.0), quad_texel_size.xy - 1.0);
	return (texel + 0.5) * quad_texel_size.zw;
}
