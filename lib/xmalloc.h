/* Allocation wrappers that never return NULL: on failure they call fatalx. */
#ifndef OGI_XMALLOC_H
#define OGI_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Returns a newly allocated string; caller frees. */
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
