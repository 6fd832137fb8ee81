package io.github.litestream.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which statements of a warm successor's startup take the database over first (DESIGN
 * 4.16): every statement that may write does; a read never does.
 */
class StatementKindTests {

	@ParameterizedTest
	@ValueSource(strings = { "SELECT 1", "  select * from notes", "-- a comment\nSELECT 1", "/* hint */ (SELECT 1)",
			"VALUES (1)", "EXPLAIN QUERY PLAN SELECT 1", "PRAGMA table_info(notes)", "PRAGMA user_version",
			"WITH t AS (SELECT 1) SELECT * FROM t", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT a", "RELEASE a" })
	void readsDoNotTakeTheDatabaseOver(String sql) {
		assertThat(StatementKind.isRead(sql)).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "INSERT INTO notes VALUES (1)", "update notes set text = ''", "DELETE FROM notes",
			"REPLACE INTO notes VALUES (1)", "CREATE TABLE IF NOT EXISTS notes (id)", "DROP TABLE notes",
			"ALTER TABLE notes ADD COLUMN x", "PRAGMA user_version = 3",
			"WITH t AS (SELECT 1) INSERT INTO notes SELECT * FROM t", "VACUUM", "ANALYZE", "" })
	void writesAndUnknownStatementsTakeTheDatabaseOver(String sql) {
		assertThat(StatementKind.isRead(sql)).isFalse();
	}

	@Test
	void aStatementThatIsNotKnownTakesTheDatabaseOver() {
		assertThat(StatementKind.isRead(null)).isFalse();
		assertThat(StatementKind.writeIntent(null)).isEqualTo("a transaction beginning with a batch");
		assertThat(StatementKind.writeIntent("SELECT 1")).isNull();
		assertThat(StatementKind.writeIntent("INSERT INTO notes VALUES (1)"))
			.isEqualTo("a transaction beginning with 'INSERT INTO notes VALUES (1)'");
	}

}
