/**
 * The ReplicaClient SPI through which the engine reads and writes LTX files on a replica.
 */
@NullMarked
package io.github.litestream.storage;

import org.jspecify.annotations.NullMarked;
