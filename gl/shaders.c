#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gl/gles_private.h"
#include "gles_shaders.h"
#include "private/backend.h"
#include "private/log.h"

/* Attribute locations, bound before linking so every program shares one layout. */
enum {
	ATTRIB_POS = 0,
	ATTRIB_TEX = 1,
	ATTRIB_COLOR = 2,
};

static GLuint compile(GLenum stage, const char *source, const char *define,
	enum mosaic_log level)
{
	// The define goes right after the #version line, which must come first.
	char *text = NULL;
	const char *newline = strchr(source, '\n');
	if (define != NULL && newline != NULL) {
		size_t size = strlen(source) + strlen(define) + 16;
		text = malloc(size);
		if (text == NULL) {
			mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
			return 0;
		}
		snprintf(text, size, "%.*s#define %s 1\n%s", (int)(newline + 1 - source), source,
			define, newline + 1);
	}
	const char *full = text != NULL ? text : source;

	GLuint shader = glCreateShader(stage);
	glShaderSource(shader, 1, &full, NULL);
	glCompileShader(shader);
	free(text);
	GLint ok = GL_FALSE;
	glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[1024] = "";
		glGetShaderInfoLog(shader, sizeof(log), NULL, log);
		mosaic_log(level, "gles: shader (%s) does not compile: %s",
			define != NULL ? define : "vertex", log);
		glDeleteShader(shader);
		return 0;
	}
	return shader;
}

static bool link_program(struct gles_program *out, GLuint vert, const char *define,
	enum mosaic_log level)
{
	GLuint frag = compile(GL_FRAGMENT_SHADER, gles_shader_quad_frag, define, level);
	if (frag == 0) {
		return false;
	}
	GLuint program = glCreateProgram();
	glAttachShader(program, vert);
	glAttachShader(program, frag);
	glBindAttribLocation(program, ATTRIB_POS, "a_pos");
	glBindAttribLocation(program, ATTRIB_TEX, "a_tex");
	glBindAttribLocation(program, ATTRIB_COLOR, "a_color");
	glLinkProgram(program);
	glDetachShader(program, vert);
	glDetachShader(program, frag);
	glDeleteShader(frag);
	GLint ok = GL_FALSE;
	glGetProgramiv(program, GL_LINK_STATUS, &ok);
	if (!ok) {
		char log[1024] = "";
		glGetProgramInfoLog(program, sizeof(log), NULL, log);
		mosaic_log(level, "gles: program %s does not link: %s", define, log);
		glDeleteProgram(program);
		return false;
	}
	out->program = program;
	out->tex = glGetUniformLocation(program, "u_tex");
	out->texel_u = glGetUniformLocation(program, "u_texel_u");
	out->texel_v = glGetUniformLocation(program, "u_texel_v");
	out->texel_size = glGetUniformLocation(program, "u_texel_size");
	if (out->tex >= 0) {
		glUseProgram(program);
		glUniform1i(out->tex, 0);
		glUseProgram(0);
	}
	return true;
}

bool gles_shaders_init(struct gles_renderer *r, bool probing)
{
	enum mosaic_log level = mosaic_probe_level(probing);
	static const char *const defines[GLES_SOURCE_COUNT] = {
		[GLES_SOURCE_SOLID] = "SOURCE_SOLID",
		[GLES_SOURCE_RGBA] = "SOURCE_RGBA",
		[GLES_SOURCE_RGBX] = "SOURCE_RGBX",
		[GLES_SOURCE_EXTERNAL] = "SOURCE_EXTERNAL",
	};
	GLuint vert = compile(GL_VERTEX_SHADER, gles_shader_quad_vert, NULL, level);
	if (vert == 0) {
		return false;
	}
	bool ok = true;
	for (int i = 0; i < GLES_SOURCE_COUNT && ok; i++) {
		if (i == GLES_SOURCE_EXTERNAL && !r->exts.egl_image_external) {
			continue;
		}
		ok = link_program(&r->programs[i], vert, defines[i], level);
	}
	glDeleteShader(vert);
	if (!ok) {
		return false;
	}

	// One vertex layout for every program: the context is ours alone.
	glGenBuffers(1, &r->vbo);
	glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
	gles_set_vertex_offset(0);
	glEnableVertexAttribArray(ATTRIB_POS);
	glEnableVertexAttribArray(ATTRIB_TEX);
	glEnableVertexAttribArray(ATTRIB_COLOR);
	glBindBuffer(GL_ARRAY_BUFFER, 0);

	// Quads are 4 vertices and 2 triangles: indices 0 1 2, 1 3 2, then + 4 per quad.
	uint16_t *indices = malloc(GLES_MAX_QUADS_PER_DRAW * 6 * sizeof(*indices));
	if (indices == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return false;
	}
	for (uint32_t q = 0; q < GLES_MAX_QUADS_PER_DRAW; q++) {
		static const uint16_t quad[6] = { 0, 1, 2, 1, 3, 2 };
		for (int i = 0; i < 6; i++) {
			indices[q * 6 + i] = (uint16_t)(q * 4 + quad[i]);
		}
	}
	glGenBuffers(1, &r->ibo);
	glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, r->ibo);
	glBufferData(GL_ELEMENT_ARRAY_BUFFER,
		(GLsizeiptr)(GLES_MAX_QUADS_PER_DRAW * 6 * sizeof(*indices)), indices,
		GL_STATIC_DRAW);
	glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, 0);
	free(indices);
	// Drawing from a buffer without storage is undefined (NVIDIA crashes).
	GLenum error = gles_take_error(r);
	if (error != GL_NO_ERROR) {
		if (!r->base.lost) {
			mosaic_log(level, "gles: cannot make the index buffer (GL error 0x%x)", error);
		}
		return false;
	}
	return true;
}

void gles_set_vertex_offset(size_t first_vertex)
{
	const GLsizei stride = GLES_FLOATS_PER_VERTEX * sizeof(float);
	const char *base = (const char *)(uintptr_t)(first_vertex * (size_t)stride);
	glVertexAttribPointer(ATTRIB_POS, 2, GL_FLOAT, GL_FALSE, stride, base);
	glVertexAttribPointer(ATTRIB_TEX, 2, GL_FLOAT, GL_FALSE, stride,
		base + 2 * sizeof(float));
	glVertexAttribPointer(ATTRIB_COLOR, 4, GL_FLOAT, GL_FALSE, stride,
		base + 4 * sizeof(float));
}

void gles_shaders_finish(struct gles_renderer *r)
{
	for (int i = 0; i < GLES_SOURCE_COUNT; i++) {
		if (r->programs[i].program != 0) {
			glDeleteProgram(r->programs[i].program);
		}
	}
	if (r->vbo != 0) {
		glDeleteBuffers(1, &r->vbo);
	}
	if (r->ibo != 0) {
		glDeleteBuffers(1, &r->ibo);
	}
}
