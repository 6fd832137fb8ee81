/**
 * Durable acknowledgement: {@link io.github.litestream.durable.AwaitReplicated} makes a
 * method return only once the transaction it committed is on every replica. Uses the
 * replicated databases of {@code jdbc}, Spring AOP and Spring's transaction
 * synchronization.
 */
@NullMarked
package io.github.litestream.durable;

import org.jspecify.annotations.NullMarked;
