/*-------------------------------------------------------------------------
 *
 * files.c
 *		Expand the PATH arguments of "gatekeeper check" into the ordered
 *		list of migration files to classify.
 *
 * A file argument is taken as is.  A directory contributes every *.sql
 * file below it in lexical (byte) order, which is the order Flyway
 * (V1__x.sql), golang-migrate (0001_x.up.sql), dbmate and sqitch
 * (deploy/) apply them; rollback scripts (*.down.sql, sqitch revert/ and
 * verify/) and hidden entries are skipped.  Arguments keep their order.
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gatekeeper.h"

#define GK_MAX_DIR_DEPTH 32

/* Append a copy of path; false when out of memory */
static bool
list_add(gk_pathlist *list, const char *path)
{
	char	   *copy;

	if (list->n == list->cap)
	{
		int			cap = list->cap ? list->cap * 2 : 32;
		char	  **grown = realloc(list->paths, sizeof(char *) * cap);

		if (grown == NULL)
			return false;
		list->paths = grown;
		list->cap = cap;
	}
	copy = strdup(path);
	if (copy == NULL)
		return false;
	list->paths[list->n++] = copy;
	return true;
}

/* Does s end with suffix? */
static bool
ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s);
	size_t		lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* qsort comparator: byte order of the paths */
static int
cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Collect migration files below dir into list (unsorted).
 */
static int
walk_dir(const char *dir, gk_pathlist *list, int depth, gk_error *err)
{
	DIR		   *d;
	struct dirent *de;

	if (depth > GK_MAX_DIR_DEPTH)
		return 0;
	d = opendir(dir);
	if (d == NULL)
	{
		err->kind = GK_ERR_USAGE;
		snprintf(err->message, sizeof(err->message), "cannot open directory \"%s\": %s",
				 dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
	{
		char	   *path;
		size_t		len;
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		len = strlen(dir) + strlen(de->d_name) + 2;
		path = malloc(len);
		if (path == NULL)
			goto nomem;
		if (ends_with(dir, "/"))
			snprintf(path, len, "%s%s", dir, de->d_name);
		else
			snprintf(path, len, "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0)
		{
			free(path);
			continue;
		}
		if (S_ISDIR(sb.st_mode))
		{
			if (strcmp(de->d_name, "revert") != 0 && strcmp(de->d_name, "verify") != 0 &&
				walk_dir(path, list, depth + 1, err) != 0)
			{
				free(path);
				closedir(d);
				return -1;
			}
		}
		else if (S_ISREG(sb.st_mode) && ends_with(de->d_name, ".sql") &&
				 !ends_with(de->d_name, ".down.sql"))
		{
			if (!list_add(list, path))
			{
				free(path);
				goto nomem;
			}
		}
		free(path);
	}
	closedir(d);
	return 0;

nomem:
	closedir(d);
	err->kind = GK_ERR_NOMEM;
	snprintf(err->message, sizeof(err->message), "out of memory");
	return -1;
}

/*
 * Expand file and directory arguments into an ordered list of files.
 */
int
gk_expand_paths(char *const *args, int nargs, gk_pathlist *out, gk_error *err)
{
	int			i;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	for (i = 0; i < nargs; i++)
	{
		struct stat sb;

		if (stat(args[i], &sb) != 0)
		{
			err->kind = GK_ERR_USAGE;
			snprintf(err->message, sizeof(err->message), "cannot access \"%s\": %s",
					 args[i], strerror(errno));
			gk_pathlist_free(out);
			return -1;
		}
		if (S_ISDIR(sb.st_mode))
		{
			int			first = out->n;

			if (walk_dir(args[i], out, 0, err) != 0)
			{
				gk_pathlist_free(out);
				return -1;
			}
			qsort(out->paths + first, out->n - first, sizeof(char *), cmp_paths);
		}
		else if (!list_add(out, args[i]))
		{
			err->kind = GK_ERR_NOMEM;
			snprintf(err->message, sizeof(err->message), "out of memory");
			gk_pathlist_free(out);
			return -1;
		}
	}
	return 0;
}

/* Release a path list; safe on a zeroed list */
void
gk_pathlist_free(gk_pathlist *list)
{
	int			i;

	for (i = 0; i < list->n; i++)
		free(list->paths[i]);
	free(list->paths);
	memset(list, 0, sizeof(*list));
}
