package io.github.litestream.samplejpa;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small pet clinic service on Spring Data JPA and Hibernate whose SQLite database is
 * replicated by the Litestream starter.
 */
@SpringBootApplication
public class SampleJpaApplication {

	/**
	 * Starts the application.
	 * @param args the command line arguments
	 */
	public static void main(String[] args) {
		SpringApplication.run(SampleJpaApplication.class, args);
	}

}
