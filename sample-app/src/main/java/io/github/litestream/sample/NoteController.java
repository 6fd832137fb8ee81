package io.github.litestream.sample;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.github.litestream.durable.AwaitReplicated;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The notes API: create, count and list notes.
 */
@RestController
@RequestMapping("/api/notes")
class NoteController {

	private final JdbcClient jdbc;

	NoteController(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	@PostMapping
	ResponseEntity<Note> create(@RequestBody NewNote request) {
		if (request.text() == null || request.text().isBlank()) {
			return ResponseEntity.badRequest().build();
		}
		String createdAt = Instant.now().toString();
		Note note = this.jdbc.sql("INSERT INTO note (text, created_at) VALUES (?, ?) RETURNING id, text, created_at")
			.params(request.text(), createdAt)
			.query(Note.class)
			.single();
		return ResponseEntity.status(HttpStatus.CREATED).body(note);
	}

	/**
	 * Creates a note and answers only once it is on every replica: a client that got the
	 * 201 never loses the note with this machine (docs/guide.md, "Durable
	 * acknowledgement"). Without an answer, or with a 500 after the timeout, the note may
	 * or may not be stored.
	 * @param request the note
	 * @return the created note
	 */
	@PostMapping("/durable")
	@AwaitReplicated(timeout = "${notes.durable-timeout:10s}")
	public ResponseEntity<Note> createDurably(@RequestBody NewNote request) {
		return create(request);
	}

	@GetMapping("/count")
	Map<String, Long> count() {
		return Map.of("count", this.jdbc.sql("SELECT COUNT(*) FROM note").query(Long.class).single());
	}

	@GetMapping
	List<Note> list() {
		return this.jdbc.sql("SELECT id, text, created_at FROM note ORDER BY id").query(Note.class).list();
	}

	/**
	 * The body of a new note.
	 *
	 * @param text the text
	 */
	record NewNote(String text) {
	}

}
