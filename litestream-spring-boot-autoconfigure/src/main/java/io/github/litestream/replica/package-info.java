/**
 * One replica of a database: shipping local LTX files to it ({@link ReplicaUploader}, one
 * thread per replica, under the replica's lease), compacting its levels and applying
 * retention ({@link ReplicaCompactor}), proving that it continues the local history
 * before writing to it ({@link ReplicaAttachment}, {@link LineageStore}), and the local
 * LTX files in the meta directory that uploads read ({@link LocalStore}). Sees its
 * database's engine only through {@link LocalHistory}. Uses {@code core},
 * {@code restore}, {@code ownership}, {@code storage} and {@code ltx}.
 */
@NullMarked
package io.github.litestream.replica;

import org.jspecify.annotations.NullMarked;
