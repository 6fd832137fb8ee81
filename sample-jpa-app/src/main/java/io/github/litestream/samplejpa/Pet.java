package io.github.litestream.samplejpa;

import java.time.LocalDate;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;

/**
 * A pet, always of one owner.
 */
@Entity
public class Pet {

	@Id
	@GeneratedValue(strategy = GenerationType.IDENTITY)
	@Column(columnDefinition = "integer")
	private Long id;

	@ManyToOne(fetch = FetchType.LAZY, optional = false)
	@JoinColumn(name = "owner_id", columnDefinition = "integer")
	private Owner owner;

	@Column(nullable = false)
	private String name;

	private LocalDate birthDate;

	protected Pet() {
	}

	Pet(Owner owner, String name, LocalDate birthDate) {
		this.owner = owner;
		this.name = name;
		this.birthDate = birthDate;
	}

	Long getId() {
		return this.id;
	}

	String getName() {
		return this.name;
	}

	LocalDate getBirthDate() {
		return this.birthDate;
	}

}
