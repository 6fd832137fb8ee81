/**
 * Actuator endpoint and health indicator for Litestream replication.
 */
@NullMarked
package io.github.litestream.actuate;

import org.jspecify.annotations.NullMarked;
