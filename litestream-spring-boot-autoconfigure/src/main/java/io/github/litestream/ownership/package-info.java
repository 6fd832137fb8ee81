/**
 * Ownership of a database (DESIGN 4.14-4.15): one {@link DatabaseOwnership} state machine
 * per database, fed by one {@link ReplicaLease} per replica kept in the replica itself.
 * The DataSource gate, the engine's writers, health, readiness, the endpoint and the
 * meters read it. Uses {@code storage} and {@code ltx} only.
 * <p>
 * {@link ReplicaLease} is the loop of one lease; the rest is package-private, one class
 * per concern:
 * <ul>
 * <li>{@code LeaseStateMachine}: the lease's state, the lease last seen and why it is not
 * held, one method per transition, each logged once.</li>
 * <li>{@code LeaseWrites}: the reads and conditional writes of the lease object
 * ({@link LeaseRecord}), and a take whose answer was lost.</li>
 * <li>{@code LeaseContest}: whether a contender may take another's lease now (expiry by
 * observation, {@link TakeBack} after a restart on the same disk).</li>
 * <li>{@code HandoverRequests}: asking a holder to hand over, withdrawing the request,
 * and passing a request to the holder's handler once.</li>
 * <li>{@code SupplantWatch}: another instance held the lease after this engine did.</li>
 * <li>{@code LeaseThread}: the lease's thread and the condition its waits use.</li>
 * </ul>
 */
@NullMarked
package io.github.litestream.ownership;

import org.jspecify.annotations.NullMarked;
