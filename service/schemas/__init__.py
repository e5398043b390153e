"""msgspec Structs per resource: Thing (output), ThingCreate / ThingPatch (input)."""
