/**
 * A ReplicaClient that keeps LTX files in a local directory, laid out as Litestream v0.5
 * does.
 */
@NullMarked
package io.github.litestream.storage.file;

import org.jspecify.annotations.NullMarked;
