/**
 * Restore: planning which LTX files rebuild a database at a target
 * ({@link RestorePlanner}), fetching them in parallel, merging and applying them into a
 * new database file and checking it ({@link Restorer}), and the reservations that keep a
 * running restore's files from compaction's retention ({@link RestoreReservations}). Uses
 * {@code core}, {@code storage} and {@code ltx}; knows nothing of uploads, leases or the
 * running engine. Deciding whether to restore at startup lives in
 * {@code replication.StartupRestore}; an in-place restore of a running database in
 * {@code jdbc}.
 */
@NullMarked
package io.github.litestream.restore;

import org.jspecify.annotations.NullMarked;
