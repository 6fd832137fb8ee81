/**
 * End-to-end tests of the {@code litestream} endpoint behind Spring Security, configured
 * as the guide's "Securing the endpoint" shows: a servlet application with Actuator on a
 * management port of its own, real SQLite and a file replica.
 */
package io.github.litestream.securitye2e;
