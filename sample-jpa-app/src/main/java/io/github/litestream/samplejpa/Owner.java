package io.github.litestream.samplejpa;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import jakarta.persistence.CascadeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;

/**
 * A pet owner.
 */
@Entity
public class Owner {

	// SQLite's rowid alias is a column declared INTEGER PRIMARY KEY, exactly; Hibernate
	// maps Long to bigint, which ddl-auto=validate would refuse.
	@Id
	@GeneratedValue(strategy = GenerationType.IDENTITY)
	@Column(columnDefinition = "integer")
	private Long id;

	@Column(nullable = false)
	private String name;

	@Column(nullable = false)
	private Instant createdAt;

	@OneToMany(mappedBy = "owner", cascade = CascadeType.ALL)
	@OrderBy("id")
	private List<Pet> pets = new ArrayList<>();

	protected Owner() {
	}

	Owner(String name, Instant createdAt) {
		this.name = name;
		this.createdAt = createdAt;
	}

	Long getId() {
		return this.id;
	}

	String getName() {
		return this.name;
	}

	Instant getCreatedAt() {
		return this.createdAt;
	}

	List<Pet> getPets() {
		return this.pets;
	}

	Pet addPet(String name, LocalDate birthDate) {
		Pet pet = new Pet(this, name, birthDate);
		this.pets.add(pet);
		return pet;
	}

}
