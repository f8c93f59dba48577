/*-------------------------------------------------------------------------
 *
 * guard.h
 *		The guard background worker (needs shared_preload_libraries).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RELEASE_GUARD_H
#define PG_RELEASE_GUARD_H

extern void guard_init(void);

#endif							/* PG_RELEASE_GUARD_H */
