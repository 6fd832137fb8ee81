package io.github.litestream.durable;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a method return only once what it committed is on every replica of the database,
 * so a caller that got an answer (a controller's response, a message acknowledged) never
 * loses the write with this machine. Asynchronous replication otherwise loses up to one
 * sync interval of commits on a crash; use it for the few writes that must not be lost (a
 * payment, a signup), not for every request.
 * <p>
 * The wait starts when the method returned and, when a transaction is active around it,
 * once that transaction committed: on a {@code @Transactional} method or inside one, the
 * commit happens first and the method's caller sees the return (or the failure of the
 * wait) only after it. Nothing is uploaded early: the commit rides the next regular cut,
 * so the wait lasts up to one {@code sync-interval} plus an upload, much less in eager
 * mode ({@code sync-interval: 0}). A method that throws does not wait.
 * <p>
 * When the replicas do not hold the commit in time (a replica fails, or this instance may
 * not write them because its lease was fenced or taken), the method throws
 * {@link io.github.litestream.replication.ReplicationTimeoutException}. The transaction
 * stays committed in the local database and is uploaded later as usual: the outcome for
 * the client is unknown, as with a lost response, so retries should be idempotent.
 * <p>
 * On a class, it applies to every public method of it.
 *
 * @see io.github.litestream.jdbc.LitestreamDatabase#awaitReplicated(java.time.Duration)
 */
@Target({ ElementType.METHOD, ElementType.TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface AwaitReplicated {

	/**
	 * How long to wait at most, as a duration ({@code "5s"}, {@code "500ms"},
	 * {@code "PT5S"}); a placeholder ({@code "${app.durable-timeout:5s}"}) is resolved.
	 * @return the timeout
	 */
	String timeout() default "5s";

	/**
	 * The name of the database (its DataSource bean name) whose commits to wait for;
	 * empty for the application's only replicated database.
	 * @return the database name
	 */
	String database() default "";

}
