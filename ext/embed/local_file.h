/*
** local_file: read-only memory maps of model files, with errors that name the file.
*/
#ifndef STRATA_EMBED_LOCAL_FILE_H
#define STRATA_EMBED_LOCAL_FILE_H

#include <stddef.h>

typedef struct lembed_file {
    const unsigned char *data;
    size_t size;
} lembed_file;

/* Maps path read-only. Returns 0, or -1 with a message ("cannot open 'x': No such file or
** directory") in err. An empty file maps to data == NULL, size 0. */
int lembed_file_map(const char *path, lembed_file *f, char *err, size_t errlen);
void lembed_file_unmap(lembed_file *f);

#endif
