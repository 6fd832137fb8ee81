/**
 * A ReplicaClient that keeps LTX files in a local directory, laid out as Litestream v0.5
 * does. Uses the {@code storage} SPI and {@code ltx} file names only.
 * <p>
 * {@link FileReplicaClient} lists, reads, writes (a synced temporary file renamed or
 * hard-linked into place) and deletes LTX files, and classifies I/O failures;
 * {@code FileLease} owns the lease object {@code lock.json}: its version, and every write
 * of it as a read-compare-write under the lease mutex.
 */
@NullMarked
package io.github.litestream.storage.file;

import org.jspecify.annotations.NullMarked;
