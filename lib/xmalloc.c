/*
 * Allocation wrappers after tmux's xmalloc.c: they never return NULL.
 * A zero size is allocated as one byte so callers need no special case.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatalx("xmalloc: allocating %zu bytes: %s", size,
		       strerror(errno));
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		fatalx("xcalloc: allocating %zu * %zu bytes: %s", nmemb, size,
		       strerror(errno));
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (size != 0 && nmemb > SIZE_MAX / size)
		fatalx("xreallocarray: %zu * %zu bytes overflows", nmemb, size);
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		fatalx("xreallocarray: allocating %zu * %zu bytes: %s", nmemb,
		       size, strerror(errno));
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t maxlen)
{
	char *p;
	size_t len;

	len = strnlen(s, maxlen);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0 || s == NULL)
		fatalx("xasprintf: %s", strerror(errno));
	return s;
}
