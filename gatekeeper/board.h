/*-------------------------------------------------------------------------
 *
 * board.h
 *		HTML of the release board served by `gatekeeper serve`, and the
 *		growable text buffer it is written into.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GATEKEEPER_BOARD_H
#define GATEKEEPER_BOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* A growable NUL-terminated text; failed stays true after any allocation failure. */
typedef struct gk_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} gk_buf;

extern void buf_append(gk_buf *b, const char *s);
extern void buf_append_len(gk_buf *b, const char *s, size_t n);
extern void buf_append_html(gk_buf *b, const char *s);
extern void buf_free(gk_buf *b);

/* Everything one rendering of the board shows. */
typedef struct board_view
{
	const char *user;			/* the logged-in PostgreSQL role */
	const char *csrf;			/* token for the hidden form fields */
	const char *message;		/* outcome of the last action, or NULL */
	bool		message_is_error;
	const gk_rows *flags;		/* db_board_flags() */
	const gk_rows *stats;		/* db_board_stats(), NULL when not available */
	const char *stats_error;	/* why not */
	const gk_rows *history;		/* db_board_history(), may be NULL */
} board_view;

/* The board as a complete HTML page (malloc'd), NULL when out of memory. */
extern char *board_render(const board_view *view);

/* A small HTML page with a title and one paragraph (malloc'd). */
extern char *board_render_message(const char *title, const char *text);

#endif							/* GATEKEEPER_BOARD_H */
