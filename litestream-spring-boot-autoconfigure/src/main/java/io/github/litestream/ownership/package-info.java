/**
 * Ownership of a database (DESIGN 4.14-4.15): one {@link DatabaseOwnership} state machine
 * per database, fed by one {@link ReplicaLease} per replica kept in the replica itself.
 * The DataSource gate, the engine's writers, health, readiness, the endpoint and the
 * meters read it. Uses {@code storage} and {@code ltx} only.
 */
@NullMarked
package io.github.litestream.ownership;

import org.jspecify.annotations.NullMarked;
