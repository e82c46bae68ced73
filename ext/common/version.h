/*
** strata version, shared by every extension's <name>_version() function.
*/
#ifndef STRATA_VERSION_H
#define STRATA_VERSION_H

#define STRATA_VERSION "0.1.0"

#endif
