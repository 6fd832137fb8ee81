/**
 * Test harness around real processes: the official Litestream binary as a compatibility
 * oracle, child JVMs that write to SQLite, and helpers to inspect SQLite and LTX files.
 */
@NullMarked
package io.github.litestream.testsupport;

import org.jspecify.annotations.NullMarked;
