/**
 * A pet clinic on Spring Data JPA and Hibernate over a replicated SQLite database.
 */
package io.github.litestream.samplejpa;
